package catalogue

import "testing"

// latencyLines is a good spec with a latency and a lag check on a load;
// line i+1 is latencyLines[i].
var latencyLines = []string{
	"title: T",                // 1
	"cluster: kafka",          // 2
	"files: [main.go]",        // 3
	"timeout: 60s",            // 4
	"variables:",              // 5
	"  INPUT: {kind: topic}",  // 6
	"  OUTPUT: {kind: topic}", // 7
	"  SEEDED: {kind: topic}", // 8
	"  GROUP: {kind: group}",  // 9
	"  ORDERS: {kind: file, generator: orders, count: 500}", // 10
	"  OTHER: {kind: file, generator: orders}",              // 11
	"seed:",             // 12
	"  - topic: SEEDED", // 13
	"    from: OTHER",   // 14
	"load:",             // 15
	"  - topic: INPUT",  // 16
	"    from: ORDERS",  // 17
	"    rate: 100/s",   // 18
	"    spike: {after: 1s, times: 5, for: 1s}", // 19
	"hints: [one, two]",                         // 20
	"checks:",                                   // 21
	"  - name: fast",                            // 22
	"    type: kafka.latency",                   // 23
	"    topic: OUTPUT",                         // 24
	"    input: ORDERS",                         // 25
	"    field: order_id",                       // 26
	"    percentile: 99",                        // 27
	"    max: 800ms",                            // 28
	"    during: spike",                         // 29
	"  - name: caught up",                       // 30
	"    type: kafka.max-lag",                   // 31
	"    group: GROUP",                          // 32
	"    topic: INPUT",                          // 33
	"    max: 500",                              // 34
}

func latencyEdit(from, to int, with ...string) string { return edit(latencyLines, from, to, with...) }

func TestLatencyChecksParse(t *testing.T) {
	cat, err := Load(course(map[string]string{specFile: fileOf(latencyLines...)}))
	if err != nil {
		t.Fatal(err)
	}
	if ex := cat.Exercise("kafka/first"); len(ex.Checks) != 2 || ex.Checks[0].Type != "kafka.latency" || ex.Checks[1].Type != "kafka.max-lag" {
		t.Fatalf("checks %+v", ex.Checks)
	}
}

func TestLatencyNeedsItsInputLoaded(t *testing.T) {
	for _, c := range []struct {
		name, content string
		line          int
		msg           string
	}{
		{"seeded, not loaded", latencyEdit(25, 25, "    input: OTHER"), 25,
			`check "fast" measures how long the lines of OTHER take to come out, and OTHER is seeded (line 13), not loaded: a seed is on the topic before the program starts`},
		{"neither", latencyEdit(12, 14), 22 - 3, // the seed's three lines gone
			""},
		{"output is the loaded topic", latencyEdit(24, 24, "    topic: INPUT"), 24,
			`check "fast" reads its output from INPUT, the topic the load publishes ORDERS to: name the topic the program writes to`},
		{"spike without one", latencyEdit(19, 19), 28, // the spike's line gone
			`check "fast" judges by the load's spike (during: spike or steady), and the load of ORDERS (line 16) has no spike`},
		// Without the seed (3 lines fewer), SEEDED can take a second load.
		{"loaded twice", edit(fileLines(latencyEdit(12, 14)), 17, 16, "  - topic: SEEDED", "    from: ORDERS", "    rate: 10/s"), 25,
			`check "fast" measures how long the lines of ORDERS take to come out, and ORDERS is loaded onto INPUT (line 13) and SEEDED (line 17): the check cannot tell which load an output came from, so load it once`},
		{"a setting at its line", latencyEdit(28, 28, "    max: soon"), 28, `max must be a duration like 800ms, not "soon"`},
		{"lag max at its line", latencyEdit(34, 34, "    max: lots"), 34, `max must be a whole number of messages (0 or more), like 500, not "lots"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.msg == "" {
				// OTHER is neither seeded nor loaded once the seed is gone.
				c.content = edit(fileLines(latencyEdit(12, 14)), 22, 22, "    input: OTHER")
				c.line, c.msg = 22, `check "fast" measures how long the lines of OTHER take to come out, and no load publishes OTHER: add load: {topic: ..., from: OTHER, rate: 100/s}`
			}
			ps := problemsFor(t, map[string]string{specFile: c.content}, specFile)
			wantProblemAt(t, ps, specFile, c.line, c.msg)
			if len(ps) != 1 {
				t.Fatalf("want one problem, got %v", ps)
			}
		})
	}
}

// A load with problems of its own is not reported again as missing.
func TestLatencyOnABrokenLoad(t *testing.T) {
	ps := problemsFor(t, map[string]string{specFile: latencyEdit(18, 18, "    rate: fast")}, specFile)
	wantProblemAt(t, ps, specFile, 18, `rate must be lines per second like 100/s, not "fast"`)
	if len(ps) != 1 {
		t.Fatalf("want one problem, got %v", ps)
	}
}
