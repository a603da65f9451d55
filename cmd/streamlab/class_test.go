package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/embedded"
)

// A workshop on a shared cluster, from the command line: a learner's
// check with --class says where their progress goes and shares it; the
// instructor's class --format csv and json print the room. The shared
// cluster is an in-process Kafka reached as an external one: what is
// tested here is the wiring (the class on a real Kafka is tui/class's
// TestThreeLearnersOnLocalKafka).
func TestClassFromTheCommandLine(t *testing.T) {
	isolate(t)
	ctx := context.Background()
	cl, err := embedded.New().Start(ctx, containers.Kafka, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop(ctx)
	addr := cl.Endpoints().KafkaBootstrap[0]
	shared := []string{"--cluster", "external", "--kafka-bootstrap", addr}

	// Before any learner checked: a header, and no one.
	out, stderr, code := cli(t, append([]string{"class", "dbs", "--format", "csv"}, shared...)...)
	if code != 0 || strings.TrimSpace(out) != strings.Join(csvHeaderForTest, ",") {
		t.Fatalf("an empty class: exit %d\n%s\nstderr: %s", code, out, stderr)
	}

	_, stderr, code = cli(t, append([]string{"check", "keyed-producer", "--dir", "../../solutions/kafka/02-keyed-producer", "--class", "dbs", "--learner", "ada"}, shared...)...)
	if code != 0 || !strings.Contains(stderr, "sharing your progress with class dbs on external at "+addr) {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("the check was not shared:\n%s", stderr)
	}

	out, stderr, code = cli(t, append([]string{"class", "dbs", "--format", "csv"}, shared...)...)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 2 {
		t.Fatalf("exit %d, %v:\n%s\nstderr: %s", code, err, out, stderr)
	}
	if row := strings.Join(recs[1], ","); !strings.HasPrefix(row, "ada,kafka/keyed-producer,pass,") {
		t.Errorf("ada's row: %s", row)
	}
	out, _, code = cli(t, append([]string{"class", "DBS", "--format", "json"}, shared...)...)
	var x struct {
		Class    string
		Learners []struct{ Learner, Status string }
	}
	if err := json.Unmarshal([]byte(out), &x); err != nil || code != 0 || x.Class != "dbs" || len(x.Learners) != 1 || x.Learners[0].Status != "pass" {
		t.Errorf("exit %d, %v: %s", code, err, out)
	}
}

// What a learner or an instructor gets wrong is said, with the fix, and
// nothing runs.
func TestClassUsage(t *testing.T) {
	isolate(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "create-topic", "--class", "dbs", "--cluster", "embedded"}, "add --learner NAME"},
		{[]string{"check", "create-topic", "--class", "Not a name", "--learner", "ada"}, "class name"},
		{[]string{"class"}, "class takes the class's name"},
		{[]string{"class", "a b"}, "lower-case letters"},
		{[]string{"class", "dbs", "--format", "xml"}, "csv or json"},
		{[]string{"class", "dbs"}, "--format csv"}, // no terminal in a test
		{[]string{"class", "dbs", "--format", "csv", "--cluster", "embedded"}, "no one else sees"},
	} {
		_, stderr, code := cli(t, tc.args...)
		if code != codeUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q (want %q)", tc.args, code, stderr, tc.want)
		}
	}
}

// A check with --class on a cluster no one else sees still runs and
// grades; the learner is told their check was not shared.
func TestClassOnAPrivateClusterWarns(t *testing.T) {
	isolate(t)
	_, stderr, code := cli(t, "check", "keyed-producer", "--dir", "../../solutions/kafka/02-keyed-producer", "--cluster", "embedded", "--class", "dbs", "--learner", "ada")
	if code != 0 || !strings.Contains(stderr, "warning: your checks are not shared with class dbs") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// csvHeaderForTest is the CSV's header row, as a spreadsheet reads it.
var csvHeaderForTest = []string{
	"learner", "exercise", "status", "score", "max_score", "checks_passed", "checks",
	"hints_used", "attempts", "gave_up", "on_exercise_s", "last_check", "idle_s",
	"fails_in_a_row", "stuck", "stuck_why", "passed", "total", "failed_checks", "message",
}
