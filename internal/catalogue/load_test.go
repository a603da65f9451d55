package catalogue

import (
	"testing"
	"time"
)

// loadLines is a good spec with a seed and a load; line i+1 is loadLines[i].
var loadLines = []string{
	"title: T",                              // 1
	"cluster: kafka",                        // 2
	"files: [main.go]",                      // 3
	"timeout: 60s",                          // 4
	"variables:",                            // 5
	"  INPUT: {kind: topic, partitions: 3}", // 6
	"  SEEDED: {kind: topic}",               // 7
	"  GROUP: {kind: group}",                // 8
	"  ORDERS:",                             // 9
	"    kind: file",                        // 10
	"    generator: orders",                 // 11
	"    count: 500",                        // 12
	"seed:",                                 // 13
	"  - topic: SEEDED",                     // 14
	"    from: ORDERS",                      // 15
	"load:",                                 // 16
	"  - topic: INPUT",                      // 17
	"    from: ORDERS",                      // 18
	"    key: customer_id",                  // 19
	"    rate: 100/s",                       // 20
	"    spike: {after: 1s, times: 5, for: 500ms}", // 21
	"    start: 500ms",                   // 22
	"hints: [one, two]",                  // 23
	"checks:",                            // 24
	"  - name: input",                    // 25
	"    type: kafka.values-match-input", // 26
	"    topic: INPUT",                   // 27
	"    input: ORDERS",                  // 28
}

func loadEdit(from, to int, with ...string) string { return edit(loadLines, from, to, with...) }

func TestLoadParses(t *testing.T) {
	cat, err := Load(course(map[string]string{specFile: fileOf(loadLines...)}))
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise("kafka/first")
	if len(ex.Load) != 1 {
		t.Fatalf("loads %+v", ex.Load)
	}
	l := ex.Load[0]
	want := TopicLoad{Topic: "INPUT", From: "ORDERS", Key: "customer_id", Rate: 100,
		Spike: &Spike{After: time.Second, Times: 5, For: 500 * time.Millisecond}, Start: 500 * time.Millisecond, Line: 17}
	if l.Topic != want.Topic || l.From != want.From || l.Key != want.Key || l.Rate != want.Rate || l.Start != want.Start || l.Line != want.Line ||
		l.Spike == nil || *l.Spike != *want.Spike {
		t.Fatalf("load %+v (spike %+v), want %+v", l, l.Spike, want)
	}
	if got := l.String(); got != "ORDERS to INPUT at 100/s (500/s from 1s for 500ms)" {
		t.Fatalf("described as %q", got)
	}
	// Without spike and start: steady from the program's start.
	cat, err = Load(course(map[string]string{specFile: loadEdit(19, 22, "    rate: 200/s")}))
	if err != nil {
		t.Fatal(err)
	}
	if l := cat.Exercise("kafka/first").Load[0]; l.Spike != nil || l.Start != 0 || l.Key != "" || l.Rate != 200 {
		t.Fatalf("defaults: %+v", l)
	}
	// A spec without load has none.
	cat, err = Load(course(nil))
	if err != nil {
		t.Fatal(err)
	}
	if ex := cat.Exercise("kafka/first"); ex.Load != nil {
		t.Fatalf("loads %+v", ex.Load)
	}
}

func TestLoadProblemsAtTheirLine(t *testing.T) {
	cases := []struct {
		name     string
		content  string
		wantLine int
		wantMsg  string
	}{
		{"unknown setting", loadEdit(20, 20, "    rat: 100/s"), 20, `unknown field "rat"`},
		{"not a mapping", loadEdit(17, 22, "  - INPUT"), 17, "a load is a mapping such as {topic: INPUT_TOPIC, from: ORDERS, rate: 100/s}"},
		{"topic of the wrong kind", loadEdit(17, 17, "  - topic: GROUP"), 17, `load topic "GROUP" must be a topic variable: it is a variable of kind group`},
		{"undeclared topic", loadEdit(17, 17, "  - topic: OUTPUT"), 17, `load topic "OUTPUT" must be a topic variable: the spec declares no such variable`},
		{"topic not created", loadEdit(6, 6, "  INPUT: {kind: topic, create: false}"), 17, "load topic INPUT has create: false"},
		{"no topic", loadEdit(17, 18, "  - from: ORDERS"), 17, "the load has no topic"},
		{"from a topic", loadEdit(18, 18, "    from: SEEDED"), 18, `load from "SEEDED" must be a file variable: it is a variable of kind topic`},
		{"no from", loadEdit(18, 18), 17, "the load has no from"},
		{"key not a field", loadEdit(19, 19, "    key: customer"), 19, `key "customer" is not a field of an input line (order_id, customer_id, seq, amount_cents, event_time, poison, deleted)`},
		{"rate without unit", loadEdit(20, 20, "    rate: 100"), 20, `rate must be lines per second like 100/s, not "100"`},
		{"rate per minute", loadEdit(20, 20, "    rate: 100/min"), 20, `rate must be lines per second like 100/s, not "100/min"`},
		{"rate zero", loadEdit(20, 20, "    rate: 0/s"), 20, "rate must be 1/s to 100000/s, not 0/s"},
		{"rate too high", loadEdit(20, 20, "    rate: 100001/s"), 20, "rate must be 1/s to 100000/s, not 100001/s"},
		{"rate a mapping", loadEdit(20, 20, "    rate: {per_second: 100}"), 20, "rate must be lines per second like 100/s"},
		{"no rate", loadEdit(20, 20), 17, "the load has no rate: give lines per second, like 100/s"},
		{"spike not a mapping", loadEdit(21, 21, "    spike: 5x"), 21, "spike must be a mapping like {after: 4s, times: 5, for: 3s}"},
		{"unknown spike setting", loadEdit(21, 21, "    spike: {after: 1s, times: 5, four: 500ms}"), 21, `unknown field "four"`},
		{"spike times one", loadEdit(21, 21, "    spike: {after: 1s, times: 1, for: 500ms}"), 21, `spike: times must be a whole number from 2 to 100 (the spike's rate is the steady rate times this), not "1"`},
		{"spike times a fraction", loadEdit(21, 21, "    spike: {after: 1s, times: 2.5, for: 500ms}"), 21, `spike: times must be a whole number from 2 to 100`},
		{"spike without times", loadEdit(21, 21, "    spike: {after: 1s, for: 500ms}"), 21, "spike: times is missing"},
		{"spike without for", loadEdit(21, 21, "    spike:", "      after: 1s", "      times: 5"), 21, "spike: for is missing"},
		{"spike for zero", loadEdit(21, 21, "    spike:", "      after: 1s", "      times: 5", "      for: 0s"), 24, `spike: for must be a duration like 3s, not "0s"`},
		{"spike after negative", loadEdit(21, 21, "    spike:", "      after: -1s", "      times: 5", "      for: 1s"), 22, `spike: after must be a duration like 4s (0 or more), counted from the load's first line, not "-1s"`},
		{"spike too fast", loadEdit(20, 21, "    rate: 50000/s", "    spike: {after: 0s, times: 5, for: 1ms}"), 21, "the spike's rate, 50000/s × 5 = 250000/s, must be at most 100000/s"},
		{"spike after the last line", loadEdit(21, 21, "    spike: {after: 5s, times: 5, for: 1s}"), 21, "the spike begins 5s into the load, and at 100/s the 500 lines of ORDERS are all published by 4.99s: begin it sooner, or lower the rate"},
		{"start not a duration", loadEdit(22, 22, "    start: soon"), 22, `start must be a duration like 500ms (0 or more), not "soon"`},
		{"start negative", loadEdit(22, 22, "    start: -1s"), 22, `start must be a duration like 500ms (0 or more), not "-1s"`},
		{"past the time limit", loadEdit(4, 4, "timeout: 3s"), 17, "the load publishes until about 3.49s after the program starts (500 lines of ORDERS from 500ms, as rate and spike pace them), and the program's time limit is 3s: raise timeout, or the rate"},
		{"seeded and loaded", loadEdit(17, 17, "  - topic: SEEDED"), 17, "SEEDED is seeded (line 14) and loaded: a load publishes onto a topic of its own while the program runs"},
		{"loaded twice", loadEdit(23, 22, "  - topic: INPUT", "    from: ORDERS", "    rate: 10/s"), 23, "INPUT is loaded twice (also at line 17): one load per topic"},
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

// A load works the same on Pulsar: its messages carry the grader's send
// time as their event time.
func TestLoadInAPulsarExercise(t *testing.T) {
	file := "exercises/pulsar/01-first/exercise.yaml"
	content := fileOf(
		"title: T",               // 1
		"cluster: pulsar",        // 2
		"files: [main.go]",       // 3
		"variables:",             // 4
		"  TOPIC: {kind: topic}", // 5
		"  ORDERS: {kind: file, generator: orders}", // 6
		"load:",                         // 7
		"  - topic: TOPIC",              // 8
		"    from: ORDERS",              // 9
		"    rate: 50/s",                // 10
		"hints: [one, two]",             // 11
		"checks:",                       // 12
		"  - name: drained",             // 13
		"    type: pulsar.subscription", // 14
		"    topic: TOPIC",              // 15
		"    subscription: TOPIC",       // 16
	)
	cat, err := Load(course(map[string]string{
		file:                                content,
		"exercises/pulsar/01-first/main.go": "package main // TODO\n",
		"solutions/pulsar/01-first/main.go": "package main\n",
		"labs/01-basics/lab.md":             "---\nid: basics\ntitle: Basics\nexercises: [kafka/first, pulsar/first]\n---\n\n## Step one\n\nText.\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if l := cat.Exercise("pulsar/first").Load; len(l) != 1 || l[0].Rate != 50 || l[0].Topic != "TOPIC" {
		t.Fatalf("loads %+v", l)
	}
}

func TestLoadScheduleSteady(t *testing.T) {
	l := TopicLoad{Rate: 100}
	for i, want := range map[int]time.Duration{0: 0, 1: 10 * time.Millisecond, 100: time.Second, 499: 4990 * time.Millisecond} {
		if got := l.Due(i); got != want {
			t.Errorf("line %d due at %s, want %s", i, got, want)
		}
	}
	// A rate that does not divide a second: line i is due at i/rate, to
	// the nanosecond, with no error carried from line to line.
	l = TopicLoad{Rate: 3}
	if got := l.Due(1); got != 333333333 {
		t.Errorf("at 3/s line 1 due at %s", got)
	}
	if got := l.Due(3000); got != 1000*time.Second {
		t.Errorf("at 3/s line 3000 due at %s, want 1000s", got)
	}
}

func TestLoadScheduleSpike(t *testing.T) {
	// 100/s; from 1s to 1.5s, 500/s; then 100/s again.
	l := TopicLoad{Rate: 100, Spike: &Spike{After: time.Second, Times: 5, For: 500 * time.Millisecond}}
	for i, want := range map[int]time.Duration{
		0: 0, 99: 990 * time.Millisecond, 100: time.Second, // the spike begins
		101: 1002 * time.Millisecond, 350: 1500 * time.Millisecond, // and ends
		351: 1510 * time.Millisecond, 499: 2990 * time.Millisecond,
	} {
		if got := l.Due(i); got != want {
			t.Errorf("line %d due at %s, want %s", i, got, want)
		}
	}
	// Lines due in each window: the rate the schedule keeps there.
	dueIn := func(from, to time.Duration) int {
		n := 0
		for i := range 10_000 {
			if d := l.Due(i); d >= from && d < to {
				n++
			}
		}
		return n
	}
	for _, w := range []struct {
		from, to time.Duration
		want     int
	}{
		{0, time.Second, 100},
		{time.Second, 1500 * time.Millisecond, 250},
		{1200 * time.Millisecond, 1300 * time.Millisecond, 50},
		{1500 * time.Millisecond, 2500 * time.Millisecond, 100},
		{5 * time.Second, 6 * time.Second, 100},
	} {
		if got := dueIn(w.from, w.to); got != w.want {
			t.Errorf("%d lines due in [%s, %s), want %d", got, w.from, w.to, w.want)
		}
	}
	// Never earlier than the line before.
	for i := 1; i < 2000; i++ {
		if l.Due(i) <= l.Due(i-1) {
			t.Fatalf("line %d due at %s, line %d at %s", i, l.Due(i), i-1, l.Due(i-1))
		}
	}
	// A spike from the first line.
	l.Spike.After = 0
	if got := l.Due(250); got != 500*time.Millisecond {
		t.Errorf("spike from 0: line 250 due at %s, want 500ms", got)
	}
}
