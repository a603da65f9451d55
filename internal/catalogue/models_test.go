package catalogue

import (
	"strings"
	"testing"
	"time"
)

// modelLines is a good spec with orders that carry event times and a
// model file; line i+1 is modelLines[i].
var modelLines = []string{
	"title: T",                     // 1
	"cluster: kafka",               // 2
	"files: [main.go]",             // 3
	"variables:",                   // 4
	"  INPUT:",                     // 5
	"    kind: topic",              // 6
	"  PREDICTIONS:",               // 7
	"    kind: topic",              // 8
	"  ORDERS:",                    // 9
	"    kind: file",               // 10
	"    generator: orders",        // 11
	"    event_times: {span: 30m}", // 12
	"  MODEL_FILE:",                // 13
	"    kind: file",               // 14
	"    generator: model",         // 15
	"seed:",                        // 16
	"  - topic: INPUT",             // 17
	"    from: ORDERS",             // 18
	"hints: [one, two]",            // 19
	"checks:",                      // 20
	"  - name: scored",             // 21
	"    type: kafka.predictions",  // 22
	"    topic: PREDICTIONS",       // 23
	"    input: ORDERS",            // 24
	"    model: MODEL_FILE",        // 25
	"  - name: in order",           // 26
	"    type: kafka.input-order",  // 27
	"    topic: PREDICTIONS",       // 28
	"    input: ORDERS",            // 29
	"    match: order_id",          // 30
	"    key: customer_id",         // 31
	"  - name: features",           // 32
	"    type: kafka.features",     // 33
	"    topic: PREDICTIONS",       // 34
	"    input: ORDERS",            // 35
	"    window: 10m",              // 36
}

func modelEdit(from, to int, with ...string) string { return edit(modelLines, from, to, with...) }

func TestModelAndEventTimesParse(t *testing.T) {
	cat, err := Load(course(map[string]string{specFile: fileOf(modelLines...)}))
	if err != nil {
		t.Fatal(err)
	}
	vs := cat.Exercise("kafka/first").Variables
	if vs[2].EventTimes == nil || vs[2].EventTimes.Span != 30*time.Minute {
		t.Fatalf("orders %+v", vs[2])
	}
	if vs[3].Generator != GeneratorModel {
		t.Fatalf("model %+v", vs[3])
	}
}

func TestModelProblemsAtTheirLine(t *testing.T) {
	cases := []struct {
		name     string
		content  string
		wantLine int
		wantMsg  string
	}{
		{"unknown generator", modelEdit(15, 15, "    generator: weights"), 13, `MODEL_FILE: generator must be orders or model, not "weights"`},
		{"a model with a count", modelEdit(15, 15, "    generator: model", "    count: 30"), 13, "MODEL_FILE: count, customers, poison_every, deletes and event_times shape orders, and this file is a model"},
		{"a seed from the model keyed by a field", modelEdit(18, 18, "    from: MODEL_FILE", "    key: customer_id"), 19, "a seed from the model file MODEL_FILE is keyed by the model's name (fraud): leave key out"},
		{"a short span", modelEdit(12, 12, "    event_times: {span: 10s}"), 9, "ORDERS: event_times: span must be a duration from 1m to 24h, like 30m, not 10s"},
		{"model read from orders", modelEdit(25, 25, "    model: ORDERS"), 21, `check "scored" reads ORDERS as a file of generator model: make it {kind: file, generator: model}`},
		{"orders read from the model", modelEdit(35, 35, "    input: MODEL_FILE"), 32, `check "features" reads MODEL_FILE as a file of generator orders`},
		{"features without a window", modelEdit(36, 36), 32, "window must be a duration of at least 1s, like 10m"},
		{"a tolerance too loose", modelEdit(25, 25, "    model: MODEL_FILE", "    tolerance: 0.5"), 21, "tolerance must be from 0 to 0.1, not 0.5"},
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

// Each check that windows by event time says so, at its own line.
func TestOrdersWithoutEventTimes(t *testing.T) {
	ps := problemsFor(t, map[string]string{specFile: modelEdit(12, 12)}, specFile)
	wantProblemAt(t, ps, specFile, 20, `check "scored" windows ORDERS by event time: give it event_times, like event_times: {span: 30m}`)
	wantProblemAt(t, ps, specFile, 31, `check "features" windows ORDERS by event time`)
	if len(ps) != 2 {
		t.Fatalf("want two problems, got %v", ps)
	}
}

// A misspelt setting is reported at its line (the variable it is in is
// then unknown to the rest of the spec, which says so too).
func TestUnknownEventTimesSetting(t *testing.T) {
	ps := problemsFor(t, map[string]string{specFile: modelEdit(12, 12, "    event_times: {spam: 30m}")}, specFile)
	wantProblemAt(t, ps, specFile, 12, `unknown field "spam" (known: span)`)
}

// A track named after a cluster holds that cluster's exercises; a track of
// another name, such as ml, may use either.
func TestTracksAndClusters(t *testing.T) {
	moved := map[string]string{
		"exercises/kafka/01-first/exercise.yaml": "",
		"exercises/kafka/01-first/main.go":       "",
		"solutions/kafka/01-first/main.go":       "",
		"exercises/ml/01-first/exercise.yaml":    goodSpec,
		"exercises/ml/01-first/main.go":          "package main // TODO\n",
		"solutions/ml/01-first/main.go":          "package main\n",
		"labs/01-basics/lab.md":                  strings.ReplaceAll(goodLab, "kafka/first", "ml/first"),
	}
	cat, err := Load(course(moved))
	if err != nil {
		t.Fatal(err)
	}
	if ex := cat.Exercise("ml/first"); ex == nil || ex.Cluster != "kafka" || ex.SolutionDir != "solutions/ml/01-first" {
		t.Fatalf("exercise %+v", ex)
	}
	_, err = Load(course(map[string]string{specFile: strings.Replace(goodSpec, "cluster: kafka", "cluster: pulsar", 1)}))
	if err == nil || !strings.Contains(err.Error(), "an exercise in track kafka must use cluster kafka") {
		t.Fatalf("a pulsar exercise in the kafka track: %v", err)
	}
}
