package catalogue

import (
	"strings"
	"testing"
	"time"
)

// faultLines extend specLines (23 lines) with a group and a file variable,
// a second instance and three good faults. faultSpec moves the variables
// into the variables block, so the numbers in the comments are the lines
// of the file it writes.
var faultLines = append(append([]string(nil), specLines...),
	"  GROUP:",                  // 10
	"    kind: group",           // 11
	"  INPUT:",                  // 12
	"    kind: file",            // 13
	"    generator: orders",     // 14
	"instances: 2",              // 29
	"faults:",                   // 30
	"  - kill: program",         // 31
	"    instance: 1",           // 32
	"    restart: false",        // 33
	"    when:",                 // 34
	"      records:",            // 35
	"        topic: TOPIC",      // 36
	"        at_least: 200",     // 37
	"  - kill: program",         // 38
	"    when: {after: 1500ms}", // 39
	"  - kill: program",         // 40
	"    when:",                 // 41
	"      committed:",          // 42
	"        group: GROUP",      // 43
	"        topic: TOPIC",      // 44
	"        at_least: 50",      // 45
)

// faultSpec writes lines with the new variables after line 9, where the
// variables block of specLines ends.
func faultSpec(lines []string) string {
	out := append([]string(nil), lines[:9]...)
	out = append(out, lines[23:28]...)
	out = append(out, lines[9:23]...)
	return fileOf(append(out, lines[28:]...)...)
}

// faultEdit is faultSpec with lines from..to (numbered as in the file
// faultSpec writes) replaced.
func faultEdit(from, to int, with ...string) string {
	return edit(fileLines(faultSpec(faultLines)), from, to, with...)
}

func fileLines(s string) []string {
	lines := []string{}
	start := 0
	for i := range len(s) {
		if s[i] == '\n' {
			lines = append(lines, s[start:i])
			start = i + 1
		}
	}
	return lines
}

func TestFaultsParse(t *testing.T) {
	cat, err := Load(course(map[string]string{specFile: faultSpec(faultLines)}))
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise("kafka/first")
	if ex.Instances != 2 || len(ex.Faults) != 3 {
		t.Fatalf("instances %d, faults %+v", ex.Instances, ex.Faults)
	}
	f := ex.Faults[0]
	if f.Kill != "program" || f.Instance != 1 || f.Restart || f.When.Records == nil || *f.When.Records != (RecordsTrigger{Topic: "TOPIC", AtLeast: 200}) || f.Line != 31 {
		t.Fatalf("first fault %+v", f)
	}
	if f := ex.Faults[1]; f.Instance != 0 || !f.Restart || f.When.After != 1500*time.Millisecond {
		t.Fatalf("second fault %+v: instance 0 and restart are the defaults", f)
	}
	if c := ex.Faults[2].When.Committed; c == nil || *c != (CommittedTrigger{Group: "GROUP", Topic: "TOPIC", AtLeast: 50}) {
		t.Fatalf("third fault %+v", ex.Faults[2])
	}
	if got := f.String(); got != "kill instance 1 of the program once TOPIC holds at least 200 records" {
		t.Fatalf("described as %q", got)
	}
	// Without instances or faults, one instance and no fault.
	cat, err = Load(course(nil))
	if err != nil {
		t.Fatal(err)
	}
	if ex := cat.Exercise("kafka/first"); ex.Instances != 1 || ex.Faults != nil {
		t.Fatalf("defaults: instances %d, faults %v", ex.Instances, ex.Faults)
	}
}

func TestFaultProblemsAtTheirLine(t *testing.T) {
	if got := fileLines(faultSpec(faultLines))[30]; got != "  - kill: program" {
		t.Fatalf("fixture moved: line 31 is %q", got)
	}
	cases := []struct {
		name     string
		content  string
		wantLine int
		wantMsg  string
	}{
		{"unknown fault", faultEdit(38, 38, "  - partition: GROUP"), 38, `unknown fault "partition" (known faults: kill, lose, rebalance, redeliver, unload)`},
		{"no fault type", faultEdit(38, 38, "  - restart: true"), 38, "does not say what it does: give one of kill, lose, rebalance, redeliver, unload"},
		{"unknown setting", faultEdit(33, 33, "    restrat: false"), 33, `unknown field "restrat"`},
		{"kill what", faultEdit(38, 38, "  - kill: disk"), 38, `kill must be program or broker, not "disk"`},
		{"two triggers", faultEdit(39, 39, "    when: {after: 1s,", "      records: {topic: TOPIC, at_least: 1}}"), 40, "when has two triggers (after and records)"},
		{"no trigger", faultEdit(39, 39, "    restart: true"), 38, "the fault has no when"},
		{"empty trigger", faultEdit(39, 39, "    when: {}"), 39, "when is empty"},
		{"unknown trigger", faultEdit(39, 39, "    when: {lag: 5}"), 39, `unknown field "lag"`},
		{"bad duration", faultEdit(39, 39, "    when: {after: soon}"), 39, `after "soon" is not a duration`},
		{"negative duration", faultEdit(39, 39, "    when: {after: -1s}"), 39, `after "-1s" is not a duration`},
		{"undeclared topic", faultEdit(36, 36, "        topic: OUTPUT"), 36, `topic "OUTPUT" must be a topic variable: the spec declares no such variable`},
		{"topic of the wrong kind", faultEdit(36, 36, "        topic: GROUP"), 36, `topic "GROUP" must be a topic variable: it is a variable of kind group`},
		{"group of the wrong kind", faultEdit(43, 43, "        group: INPUT"), 43, `group "INPUT" must be a group variable: it is a variable of kind file`},
		{"at_least zero", faultEdit(45, 45, "        at_least: 0"), 45, "at_least must be 1 or more"},
		{"unknown records field", faultEdit(37, 37, "        atleast: 200"), 37, `unknown field "atleast"`},
		{"instance out of range", faultEdit(32, 32, "    instance: 2"), 32, "instance 2 does not exist: instances are numbered 0 to 1"},
		{"negative instance", faultEdit(32, 32, "    instance: -1"), 32, "instance -1 does not exist"},
		{"instance with one instance", faultEdit(29, 29, "instances: 1"), 32, "instance 1 does not exist: instances are numbered 0 to 0"},
		{"too many instances", faultEdit(29, 29, "instances: 9"), 29, "instances must be 1 to 8, not 9"},
		{"no instances", faultEdit(29, 29, "instances: 0"), 29, "instances must be 1 to 8, not 0"},
		{"instances a word", faultEdit(29, 29, "instances: two"), 29, "cannot unmarshal !!str `two` into int"},
		{"restart a word", faultEdit(33, 33, "    restart: later"), 33, "cannot unmarshal !!str `later` into bool"},
		{"fault not a mapping", faultEdit(38, 39, "  - kill"), 38, "a fault is a mapping"},
		{"two types in one fault", faultEdit(39, 39, "    kill: program"), 39, `"kill" is given twice`},
		{"a broker instance", faultEdit(31, 33, "  - kill: broker", "    instance: 1"), 32, "instance is for kill: program; a broker has no instances"},
		{"a broker left down", faultEdit(38, 38, "  - kill: broker", "    restart: false"), 39, "a broker the grader kills is always started again"},
		{"rebalance of a topic", faultEdit(38, 38, "  - rebalance: TOPIC", "    topic: TOPIC"), 38, `rebalance "TOPIC" must name a group variable`},
		{"rebalance without a topic", faultEdit(38, 38, "  - rebalance: GROUP"), 38, "a rebalance needs topic"},
		{"rebalance hold", faultEdit(38, 38, "  - rebalance: GROUP", "    topic: TOPIC", "    hold: forever"), 40, `hold "forever" must be a duration`},
		{"lose what", faultEdit(38, 39, "  - lose: records", "    when: {produce: {topic: TOPIC, at_least: 1}}"), 38, `lose must be acks, not "records"`},
		{"a kill setting on a lose fault", faultEdit(31, 31, "  - lose: acks"), 33, "restart is not a setting of a lose fault (a lose fault has: instance, times, when, required)"},
		{"lose on a polled trigger", faultEdit(38, 38, "  - lose: acks"), 39, "lose: acks acts on the answers to produce requests, so its trigger must be produce"},
		{"times zero", faultEdit(38, 39, "  - lose: acks", "    times: 0", "    when: {produce: {topic: TOPIC, at_least: 1}}"), 39, "times must be 1 to 100, not 0"},
		{"a lose setting on a kill fault", faultEdit(38, 38, "  - kill: program", "    times: 2"), 39, "times is not a setting of a kill fault"},
		{"produce trigger on a group", faultEdit(39, 39, "    when: {produce: {topic: GROUP, at_least: 1}}"), 39, `topic "GROUP" must be a topic variable`},
		{"commit trigger without a group", faultEdit(39, 39, "    when: {commit: {topic: TOPIC, at_least: 1}}"), 39, `group "" must be a group variable`},
		{"a commit held as sent on a broker kill", faultEdit(38, 39, "  - kill: broker", "    when: {commit: {group: GROUP, topic: TOPIC, at_least: 1, stored: false}}"), 39, "a commit trigger with stored: false kills the program as it sends the commit, so its fault must be kill: program"},
		{"required a word", faultEdit(38, 38, "  - kill: program", "    required: sometimes"), 39, "cannot unmarshal !!str `sometimes` into bool"},
		{"unload on kafka", faultEdit(38, 38, "  - unload: TOPIC"), 38, "unload moves a Pulsar topic between brokers, and this is a kafka exercise"},
		{"reserved variable", faultEdit(12, 12, "  INSTANCES:"), 12, "INSTANCES is set by the grader"},
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

// Proxied triggers and the lose fault parse into their own fields.
func TestProxiedFaultsParse(t *testing.T) {
	content := faultEdit(38, 45,
		"  - lose: acks",
		"    times: 3",
		"    required: true",
		"    when: {produce: {topic: TOPIC, at_least: 40}}",
		"  - kill: program",
		"    when: {commit: {group: GROUP, topic: TOPIC, at_least: 50}}",
	)
	cat, err := Load(course(map[string]string{specFile: content}))
	if err != nil {
		t.Fatal(err)
	}
	fs := cat.Exercise("kafka/first").Faults
	lose, kill := fs[1], fs[2]
	if lose.Type() != "lose" || lose.Times != 3 || !lose.Required || lose.When.Produce == nil || *lose.When.Produce != (ProduceTrigger{Topic: "TOPIC", AtLeast: 40}) || !lose.When.Proxied() {
		t.Fatalf("lose fault %+v", lose)
	}
	if kill.Type() != "kill" || kill.Required || kill.When.Commit == nil || *kill.When.Commit != (CommitTrigger{Group: "GROUP", Topic: "TOPIC", AtLeast: 50}) {
		t.Fatalf("kill fault %+v", kill)
	}
	if got := lose.String(); got != "lose the acknowledgements of 3 produce requests to instance 0 as the broker accepts the produce request that brings the records it wrote to TOPIC to at least 40" {
		t.Fatalf("described as %q", got)
	}
}

// A commit trigger with stored: false holds as the commit is sent.
func TestCommitBeforeStoredParses(t *testing.T) {
	content := faultEdit(39, 39, "    when: {commit: {group: GROUP, topic: TOPIC, at_least: 50, stored: false}}")
	cat, err := Load(course(map[string]string{specFile: content}))
	if err != nil {
		t.Fatal(err)
	}
	kill := cat.Exercise("kafka/first").Faults[1]
	if kill.When.Commit == nil || !kill.When.Commit.BeforeStored() || !kill.When.Proxied() {
		t.Fatalf("kill fault %+v", kill)
	}
	if got := kill.String(); got != "kill instance 0 of the program as it sends the commit that would bring GROUP's offsets on TOPIC to at least 50, before the broker stores it, then start it again" {
		t.Fatalf("described as %q", got)
	}
}

func TestRebalanceParses(t *testing.T) {
	content := faultEdit(38, 38, "  - rebalance: GROUP", "    topic: TOPIC", "    hold: 2s")
	cat, err := Load(course(map[string]string{specFile: content}))
	if err != nil {
		t.Fatal(err)
	}
	f := cat.Exercise("kafka/first").Faults[1]
	if f.Type() != "rebalance" || f.Rebalance != "GROUP" || f.Topic != "TOPIC" || f.Hold != 2*time.Second || f.When.After != 1500*time.Millisecond {
		t.Fatalf("rebalance fault %+v", f)
	}
}

// A records or committed trigger reads Kafka: a Pulsar exercise cannot use one.
func TestKafkaTriggerInPulsarExercise(t *testing.T) {
	content := fileOf(
		"title: T",                      // 1
		"cluster: pulsar",               // 2
		"files: [main.go]",              // 3
		"variables:",                    // 4
		"  TOPIC: {kind: topic}",        // 5
		"hints: [one, two]",             // 6
		"checks:",                       // 7
		"  - name: drained",             // 8
		"    type: pulsar.subscription", // 9
		"    topic: TOPIC",              // 10
		"    subscription: TOPIC",       // 11
		"faults:",                       // 12
		"  - kill: program",             // 13
		"    when:",                     // 14
		"      records: {topic: TOPIC, at_least: 1}", // 15
	)
	file := "exercises/pulsar/01-first/exercise.yaml"
	ps := problemsFor(t, map[string]string{
		file:                                content,
		"exercises/pulsar/01-first/main.go": "package main // TODO\n",
		"solutions/pulsar/01-first/main.go": "package main\n",
	}, file)
	wantProblemAt(t, ps, file, 15, "a records trigger reads Kafka, and this is a pulsar exercise")
}

// pulsarFaultSpec is a Pulsar exercise with the given faults, from line 15.
func pulsarFaultSpec(faults ...string) string {
	return fileOf(append([]string{
		"title: T",                      // 1
		"cluster: pulsar",               // 2
		"files: [main.go]",              // 3
		"variables:",                    // 4
		"  TOPIC: {kind: topic}",        // 5
		"  SUB: {kind: subscription}",   // 6
		"hints: [one, two]",             // 7
		"checks:",                       // 8
		"  - name: drained",             // 9
		"    type: pulsar.subscription", // 10
		"    topic: TOPIC",              // 11
		"    subscription: SUB",         // 12
		"faults:",                       // 13
		"  - kill: program",             // 14
		"    when: {after: 1s}",         // 15
	}, faults...)...)
}

// On Kafka, the Pulsar faults and trigger are named as Pulsar's (beside
// the variable of a kind Kafka has not).
func TestPulsarFaultsInKafkaExercise(t *testing.T) {
	ps := problemsFor(t, map[string]string{specFile: faultEdit(38, 38, "  - redeliver: GROUP", "    topic: TOPIC")}, specFile)
	wantProblemAt(t, ps, specFile, 38, "redeliver moves a Pulsar subscription's cursor, and this is a kafka exercise")
	ps = problemsFor(t, map[string]string{specFile: faultEdit(39, 39, "    when: {acknowledged: {subscription: GROUP, topic: TOPIC, at_least: 1}}")}, specFile)
	wantProblemAt(t, ps, specFile, 39, "an acknowledged trigger reads a Pulsar subscription, and this is a kafka exercise")
}

// pulsarCourse is a course of one Pulsar exercise with spec content.
func pulsarCourse(content string) map[string]string {
	return map[string]string{
		"labs/01-basics/lab.md":                   strings.ReplaceAll(goodLab, "kafka/first", "pulsar/first"),
		"exercises/kafka/01-first/exercise.yaml":  "",
		"exercises/kafka/01-first/main.go":        "",
		"solutions/kafka/01-first/main.go":        "",
		"exercises/pulsar/01-first/exercise.yaml": content,
		"exercises/pulsar/01-first/main.go":       "package main // TODO\n",
		"solutions/pulsar/01-first/main.go":       "package main\n",
	}
}

func pulsarFaultProblems(t *testing.T, content string) []Problem {
	t.Helper()
	file := "exercises/pulsar/01-first/exercise.yaml"
	return problemsFor(t, pulsarCourse(content), file)
}

func TestPulsarFaultsParse(t *testing.T) {
	content := pulsarFaultSpec(
		"  - unload: TOPIC",     // 16
		"    times: 3",          // 17
		"    every: 1500ms",     // 18
		"    when: {after: 2s}", // 19
		"  - redeliver: SUB",    // 20
		"    topic: TOPIC",      // 21
		"    count: 25",         // 22
		"    required: true",    // 23
		"    when:",             // 24
		"      acknowledged: {subscription: SUB, topic: TOPIC, at_least: 100}",
	)
	cat, err := Load(course(pulsarCourse(content)))
	if err != nil {
		t.Fatal(err)
	}
	fs := cat.Exercise("pulsar/first").Faults
	un, re := fs[1], fs[2]
	if un.Type() != "unload" || un.Unload != "TOPIC" || un.Times != 3 || un.Every != 1500*time.Millisecond || un.When.After != 2*time.Second {
		t.Fatalf("unload fault %+v", un)
	}
	if re.Type() != "redeliver" || re.Redeliver != "SUB" || re.Topic != "TOPIC" || re.Count != 25 || !re.Required ||
		re.When.Acknowledged == nil || *re.When.Acknowledged != (AcknowledgedTrigger{Subscription: "SUB", Topic: "TOPIC", AtLeast: 100}) || re.When.Proxied() {
		t.Fatalf("redeliver fault %+v", re)
	}
	if got := un.String(); got != "unload TOPIC (its broker closes it; clients reconnect) 3 times, 1.5s apart, 2s after the program started" {
		t.Errorf("unload described as %q", got)
	}
	if got := re.String(); got != "move SUB on TOPIC back by 25 acknowledged messages, so that they are delivered again, once SUB has acknowledged at least 100 messages of TOPIC" {
		t.Errorf("redeliver described as %q", got)
	}
	// A kill of whichever instance is active.
	content = pulsarFaultSpec("  - kill: program", "    restart: false", "    active: {subscription: SUB, topic: TOPIC}", "    when: {after: 2s}")
	cat, err = Load(course(pulsarCourse(content)))
	if err != nil {
		t.Fatal(err)
	}
	k := cat.Exercise("pulsar/first").Faults[1]
	if k.Active == nil || *k.Active != (ActiveConsumer{Subscription: "SUB", Topic: "TOPIC"}) || k.Restart {
		t.Fatalf("kill of the active instance %+v", k)
	}
	if got := k.String(); got != "kill the instance whose consumer is SUB's active one on TOPIC 2s after the program started" {
		t.Errorf("described as %q", got)
	}
	// Defaults: one unload; a redelivery of 10.
	content = pulsarFaultSpec("  - unload: TOPIC", "    when: {after: 2s}", "  - redeliver: SUB", "    topic: TOPIC", "    when: {after: 2s}")
	cat, err = Load(course(pulsarCourse(content)))
	if err != nil {
		t.Fatal(err)
	}
	fs = cat.Exercise("pulsar/first").Faults
	if fs[1].Times != 1 || fs[1].Every != time.Second || fs[2].Count != 10 {
		t.Errorf("defaults: %+v %+v", fs[1], fs[2])
	}
}

func TestPulsarFaultProblemsAtTheirLine(t *testing.T) {
	for _, c := range []struct {
		name   string
		faults []string
		line   int
		msg    string
	}{
		{"unload a subscription", []string{"  - unload: SUB", "    when: {after: 1s}"}, 16, `unload "SUB" must name a topic variable`},
		{"unload too often", []string{"  - unload: TOPIC", "    times: 50", "    when: {after: 1s}"}, 17, "times must be 1 to 20, not 50"},
		{"unload every", []string{"  - unload: TOPIC", "    every: 10ms", "    when: {after: 1s}"}, 17, `every "10ms" must be a duration from 100ms to 1m`},
		{"unload instance", []string{"  - unload: TOPIC", "    instance: 0", "    when: {after: 1s}"}, 17, "instance is not a setting of a unload fault"},
		{"redeliver a topic", []string{"  - redeliver: TOPIC", "    topic: TOPIC", "    when: {after: 1s}"}, 16, `redeliver "TOPIC" must name a subscription variable`},
		{"redeliver without a topic", []string{"  - redeliver: SUB", "    when: {after: 1s}"}, 16, "a redeliver needs topic"},
		{"redeliver count", []string{"  - redeliver: SUB", "    topic: TOPIC", "    count: 0", "    when: {after: 1s}"}, 18, "count must be 1 to 10000, not 0"},
		{"acknowledged by a topic", []string{"  - unload: TOPIC", "    when: {acknowledged: {subscription: TOPIC, topic: TOPIC, at_least: 5}}"}, 17, `subscription "TOPIC" must be a subscription variable: it is a variable of kind topic`},
		{"acknowledged at_least", []string{"  - unload: TOPIC", "    when:", "      acknowledged: {subscription: SUB, topic: TOPIC, at_least: 0}"}, 18, "at_least must be 1 or more"},
		{"a kafka trigger", []string{"  - unload: TOPIC", "    when: {produce: {topic: TOPIC, at_least: 5}}"}, 17, "a produce trigger reads Kafka, and this is a pulsar exercise"},
		{"active and instance", []string{"  - kill: program", "    instance: 0", "    active: {subscription: SUB, topic: TOPIC}", "    when: {after: 1s}"}, 18, "give instance or active, not both"},
		{"active of a topic", []string{"  - kill: program", "    active:", "      subscription: TOPIC", "      topic: TOPIC", "    when: {after: 1s}"}, 18, `active needs subscription: a subscription variable (got "TOPIC")`},
		{"active unknown field", []string{"  - kill: program", "    active: {subscription: SUB, topic: TOPIC, group: X}", "    when: {after: 1s}"}, 17, `unknown field "group"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			ps := pulsarFaultProblems(t, pulsarFaultSpec(c.faults...))
			wantProblemAt(t, ps, "exercises/pulsar/01-first/exercise.yaml", c.line, c.msg)
			if len(ps) != 1 {
				t.Fatalf("want one problem, got %v", ps)
			}
		})
	}
}
