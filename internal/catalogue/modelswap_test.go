package catalogue

import "testing"

// swapLines is a good spec of a model swap: versions seeded on a
// compacted topic, orders and a new version loaded; line i+1 is
// swapLines[i].
var swapLines = []string{
	"title: T",                      // 1
	"cluster: kafka",                // 2
	"files: [main.go]",              // 3
	"timeout: 60s",                  // 4
	"variables:",                    // 5
	"  INPUT: {kind: topic}",        // 6
	"  PREDICTIONS: {kind: topic}",  // 7
	"  MODELS_TOPIC:",               // 8
	"    kind: topic",               // 9
	"    configs:",                  // 10
	"      cleanup.policy: compact", // 11
	"  ORDERS: {kind: file, generator: orders, count: 320, event_times: {span: 30m}}", // 12
	"  MODELS:",                      // 13
	"    kind: file",                 // 14
	"    generator: model",           // 15
	"    versions: 2",                // 16
	"  NEW_MODEL:",                   // 17
	"    kind: file",                 // 18
	"    generator: model",           // 19
	"    follows: MODELS",            // 20
	"seed:",                          // 21
	"  - topic: MODELS_TOPIC",        // 22
	"    from: MODELS",               // 23
	"load:",                          // 24
	"  - topic: INPUT",               // 25
	"    from: ORDERS",               // 26
	"    key: customer_id",           // 27
	"    rate: 40/s",                 // 28
	"    start: 1s",                  // 29
	"  - topic: MODELS_TOPIC",        // 30
	"    from: NEW_MODEL",            // 31
	"    rate: 1/s",                  // 32
	"    start: 4s",                  // 33
	"hints: [one, two]",              // 34
	"checks:",                        // 35
	"  - name: swapped",              // 36
	"    type: kafka.model-versions", // 37
	"    topic: PREDICTIONS",         // 38
	"    input: ORDERS",              // 39
	"    seeded: MODELS",             // 40
	"    published: NEW_MODEL",       // 41
	"    grace: 1s",                  // 42
}

func swapEdit(from, to int, with ...string) string { return edit(swapLines, from, to, with...) }

func TestModelSwapSpecParses(t *testing.T) {
	cat, err := Load(course(map[string]string{specFile: fileOf(swapLines...)}))
	if err != nil {
		t.Fatal(err)
	}
	s := cat.Exercise("kafka/first").Spec
	if len(s.Load) != 2 || s.Load[1].Topic != "MODELS_TOPIC" || s.Seeds[0].Topic != "MODELS_TOPIC" {
		t.Fatalf("loads %+v, seeds %+v", s.Load, s.Seeds)
	}
	// MODELS (variable 4) is drawn as two versions; NEW_MODEL is the third
	// of the same draw.
	if root, skip, lineage := s.ModelDraw("MODELS"); root != 4 || skip != 0 || !lineage {
		t.Fatalf("MODELS: %d %d %v", root, skip, lineage)
	}
	if root, skip, lineage := s.ModelDraw("NEW_MODEL"); root != 4 || skip != 2 || !lineage {
		t.Fatalf("NEW_MODEL: %d %d %v", root, skip, lineage)
	}
	if v := s.Variables[5]; v.ModelVersions() != 1 || v.Follows != "MODELS" {
		t.Fatalf("NEW_MODEL %+v", v)
	}
}

func TestModelSwapProblemsAtTheirLine(t *testing.T) {
	for _, c := range []struct {
		name, content string
		line          int
		msg           string
	}{
		{"versions on orders", swapEdit(12, 12, "  ORDERS: {kind: file, generator: orders, count: 320, event_times: {span: 30m}, versions: 2}"), 12,
			"ORDERS: versions and follows shape a file of model versions, and this file is orders"},
		{"too many versions", swapEdit(16, 16, "    versions: 9"), 16, "MODELS: versions must be 1 to 5"},
		{"following itself", swapEdit(20, 20, "    follows: NEW_MODEL"), 20, "NEW_MODEL follows itself"},
		{"following orders", swapEdit(20, 20, "    follows: ORDERS"), 20, "NEW_MODEL follows ORDERS, which is not a model file"},
		{"a cleanup policy the broker refuses", swapEdit(11, 11, "      cleanup.policy: compacted"), 11,
			`MODELS_TOPIC: cleanup.policy must be compact, delete or compact,delete, not "compacted"`},
		{"a model seed keyed by a field", swapEdit(23, 23, "    from: MODELS", "    key: customer_id"), 24,
			"a seed from the model file MODELS is keyed by the model's name (fraud): leave key out"},
		{"orders without keys onto a compacted topic", swapEdit(27, 27), 24,
			""},
		{"orders seeded, not loaded", swapEdit(21, 29, "seed:", "  - topic: MODELS_TOPIC", "    from: MODELS", "  - topic: INPUT", "    from: ORDERS", "    key: customer_id", "load:"), 37,
			`check "swapped" tells predictions made before NEW_MODEL is published from those made after, and ORDERS is seeded (line 24)`},
		{"one version seeded", swapEdit(16, 16), 39, `check "swapped" needs at least two versions in MODELS, an old one and the one in use`},
		{"a new version that follows nothing", swapEdit(20, 20), 40, `check "swapped" needs NEW_MODEL to be the version after those of MODELS: give NEW_MODEL follows: MODELS`},
		{"the new version never published", swapEdit(30, 33), 37, `check "swapped" judges predictions by when NEW_MODEL was published, and no load publishes it: add load: {topic: MODELS_TOPIC, from: NEW_MODEL, rate: 1/s, start: 4s}`},
		{"published before the first order", swapEdit(33, 33, "    start: 500ms"), 30, "NEW_MODEL is published 500ms after the program starts, no later than the first order of ORDERS (1s)"},
		{"published too late", swapEdit(33, 33, "    start: 8s"), 30,
			"NEW_MODEL is published 8s after the program starts, and the last order of ORDERS is due 8.975s after it: orders must keep coming until at least 11s"},
		{"published elsewhere", swapEdit(30, 30, "  - topic: PREDICTIONS"), 30, "NEW_MODEL is loaded onto PREDICTIONS, and the versions of MODELS are seeded onto MODELS_TOPIC (line 22)"},
		{"a grace too long", swapEdit(42, 42, "    grace: 1h"), 42, `grace must be a duration from 100ms to 10s, like 1s, not "1h"`},
		{"orders read from a model", swapEdit(39, 39, "    input: MODELS"), 36, "input is MODELS, a file of model versions: name the file of orders the models score"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.msg == "" {
				c.msg = "INPUT has cleanup.policy compact, and a compacted topic refuses a record without a key: give the load key: customer_id"
				c.content = swapEdit(6, 6, "  INPUT: {kind: topic, configs: {cleanup.policy: \"compact,delete\"}}")
				c.content = edit(fileLines(c.content), 27, 27)
				c.line = 25
			}
			ps := problemsFor(t, map[string]string{specFile: c.content}, specFile)
			wantProblemAt(t, ps, specFile, c.line, c.msg)
		})
	}
}

// A topic of a model's versions may be seeded and loaded; any other
// topic holds one file's lines, either seeded or loaded.
func TestOnlyModelTopicsAreSeededAndLoaded(t *testing.T) {
	ps := problemsFor(t, map[string]string{specFile: swapEdit(23, 23, "    from: ORDERS", "    key: customer_id")}, specFile)
	wantProblemAt(t, ps, specFile, 31, "MODELS_TOPIC is seeded (line 22) and loaded")
}

// Files that follow the same one take the versions after it in the order
// the spec declares them, and together hold at most five versions.
func TestFollowersTakeTheNextVersions(t *testing.T) {
	lines := swapEdit(20, 20, "    follows: MODELS", "  LATER_MODEL: {kind: file, generator: model, follows: MODELS, versions: 2}")
	cat, err := Load(course(map[string]string{specFile: lines}))
	if err != nil {
		t.Fatal(err)
	}
	s := cat.Exercise("kafka/first").Spec
	if root, skip, _ := s.ModelDraw("LATER_MODEL"); root != 4 || skip != 3 {
		t.Fatalf("LATER_MODEL drawn from variable %d after %d versions", root, skip)
	}
	if root, skip, lineage := s.ModelDraw("ORDERS"); root != 3 || skip != 0 || lineage {
		t.Fatalf("ORDERS: %d %d %v", root, skip, lineage)
	}

	ps := problemsFor(t, map[string]string{specFile: swapEdit(20, 20, "    follows: MODELS", "    versions: 4")}, specFile)
	wantProblemAt(t, ps, specFile, 13, "MODELS and the files that follow it hold 6 versions of the model, and at most 5 can differ in the order of their features")
	ps = problemsFor(t, map[string]string{specFile: swapEdit(20, 20, "    follows: MODELS", "  LATER_MODEL: {kind: file, generator: model, follows: NEW_MODEL}")}, specFile)
	wantProblemAt(t, ps, specFile, 21, "LATER_MODEL follows NEW_MODEL, which follows MODELS: follow MODELS, the first file of the model's versions")
}
