package catalogue

import (
	"testing"
	"time"
)

// stampLines is a good spec with a stamped seed and a time variable; line
// i+1 is stampLines[i].
var stampLines = []string{
	"title: T",                        // 1
	"cluster: kafka",                  // 2
	"files: [main.go]",                // 3
	"variables:",                      // 4
	"  INPUT:",                        // 5
	"    kind: topic",                 // 6
	"  ORDERS:",                       // 7
	"    kind: file",                  // 8
	"    generator: orders",           // 9
	"  SINCE:",                        // 10
	"    kind: time",                  // 11
	"    of: INPUT",                   // 12
	"    at: 30%..70%",                // 13
	"seed:",                           // 14
	"  - topic: INPUT",                // 15
	"    from: ORDERS",                // 16
	"    timestamps:",                 // 17
	"      span: 24h",                 // 18
	"hints: [one, two]",               // 19
	"checks:",                         // 20
	"  - name: copied",                // 21
	"    type: kafka.copied-since",    // 22
	"    topic: INPUT",                // 23
	"    from: INPUT",                 // 24
	"    since: SINCE",                // 25
	"  - name: kept",                  // 26
	"    type: kafka.timestamps-kept", // 27
	"    topic: INPUT",                // 28
	"    from: INPUT",                 // 29
}

func stampEdit(from, to int, with ...string) string { return edit(stampLines, from, to, with...) }

func TestStampedSeedAndTimeVariableParse(t *testing.T) {
	cat, err := Load(course(map[string]string{specFile: fileOf(stampLines...)}))
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise("kafka/first")
	if ts := ex.Seeds[0].Timestamps; ts == nil || ts.Span != 24*time.Hour {
		t.Fatalf("seed timestamps %+v", ts)
	}
	since := ex.Variables[2]
	lo, hi, err := since.AtRange()
	if since.Kind != KindTime || since.Of != "INPUT" || err != nil || lo != 0.3 || hi != 0.7 {
		t.Fatalf("time variable %+v: at %v..%v, %v", since, lo, hi, err)
	}
	// One percentage is a range of one point.
	if lo, hi, err := (Variable{At: "60%"}).AtRange(); err != nil || lo != 0.6 || hi != 0.6 {
		t.Fatalf("at 60%%: %v..%v, %v", lo, hi, err)
	}
}

func TestStampProblemsAtTheirLine(t *testing.T) {
	cases := []struct {
		name     string
		content  string
		wantLine int
		wantMsg  string
	}{
		{"span zero", stampEdit(18, 18, "      span: 0s"), 18, "timestamps: span must be a duration of at least 1s, like 24h"},
		{"span under a second", stampEdit(18, 18, "      span: 500ms"), 18, "span must be a duration of at least 1s"},
		{"unknown timestamps setting", stampEdit(18, 18, "      spam: 24h"), 18, `unknown field "spam"`},
		{"time without of", stampEdit(12, 12), 10, "SINCE: of is missing"},
		{"of an unstamped topic", stampEdit(17, 18), 12, `SINCE: of "INPUT" must be a topic that a seed stamps`},
		{"of an undeclared variable", stampEdit(12, 12, "    of: OUTPUT"), 12, `SINCE: of "OUTPUT" must be a topic that a seed stamps`},
		{"time without at", stampEdit(13, 13), 10, "SINCE: at is missing"},
		{"at without a percent sign", stampEdit(13, 13, "    at: 60"), 13, `at must be a percentage like 60% or a range like 30%..70%, not "60"`},
		{"at reversed", stampEdit(13, 13, "    at: 70%..30%"), 13, `at "70%..30%" must run from a lower to a higher percentage`},
		{"at past the end", stampEdit(13, 13, "    at: 120%"), 13, "0% to 100%"},
		{"of on a file", stampEdit(9, 9, "    generator: orders", "    of: INPUT"), 7, "ORDERS: of and at are settings of a time variable, and this one is a file"},
		{"unknown kind", stampEdit(11, 11, "    kind: instant"), 10, "kind must be one of topic, group, file, subscription, namespace, time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := problemsFor(t, map[string]string{specFile: c.content}, specFile)
			wantProblemAt(t, ps, specFile, c.wantLine, c.wantMsg)
			if len(ps) != 1 {
				t.Fatalf("want one problem, got %v", ps)
			}
		})
	}
}

// A span that is not a duration is reported once, at its line: the time
// variable drawn from that seed is not blamed for it.
func TestSpanThatIsNotADuration(t *testing.T) {
	ps := problemsFor(t, map[string]string{specFile: stampEdit(18, 18, "      span: a day")}, specFile)
	wantProblemAt(t, ps, specFile, 18, "cannot unmarshal !!str `a day` into time.Duration")
	if len(ps) != 1 {
		t.Fatalf("want one problem, got %v", ps)
	}
}

// Only a Kafka record carries a timestamp its producer chooses: a Pulsar
// seed with timestamps is refused at the line that asks for them.
func TestTimestampsOnAPulsarSeed(t *testing.T) {
	content := fileOf(
		"title: T",               // 1
		"cluster: pulsar",        // 2
		"files: [main.go]",       // 3
		"variables:",             // 4
		"  TOPIC: {kind: topic}", // 5
		"  ORDERS: {kind: file, generator: orders}", // 6
		"seed:",                         // 7
		"  - topic: TOPIC",              // 8
		"    from: ORDERS",              // 9
		"    timestamps: {span: 24h}",   // 10
		"hints: [one, two]",             // 11
		"checks:",                       // 12
		"  - name: drained",             // 13
		"    type: pulsar.subscription", // 14
		"    topic: TOPIC",              // 15
		"    subscription: TOPIC",       // 16
	)
	file := "exercises/pulsar/01-first/exercise.yaml"
	ps := problemsFor(t, map[string]string{
		file:                                content,
		"exercises/pulsar/01-first/main.go": "package main // TODO\n",
		"solutions/pulsar/01-first/main.go": "package main\n",
	}, file)
	wantProblemAt(t, ps, file, 10, "timestamps are for Kafka seeds")
	if len(ps) != 1 {
		t.Fatalf("want one problem, got %v", ps)
	}
}
