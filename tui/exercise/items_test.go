package exercise_test

import (
	"strings"
	"testing"

	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/exercise"
	"github.com/streamlab/streamlab/tui/tuitest"
)

// tall gives the screen room for all its text at width w, so a test reads
// every section in one view.
func tall(f fixture, w int) string {
	f.m.SetSize(w, 400)
	return view(f.m)
}

// section returns the lines of a section of the screen, from under its
// heading to the next heading (or the end).
func section(v, heading string) string {
	_, rest, ok := strings.Cut(v, "\n"+heading)
	if !ok {
		return ""
	}
	lines := strings.Split(rest, "\n")[1:]
	for i, l := range lines {
		if l != "" && l[0] != ' ' {
			return strings.Join(lines[:i], "\n")
		}
	}
	return strings.Join(lines, "\n")
}

func (f fixture) allHints(t *testing.T) {
	t.Helper()
	for range f.c.Session.Catalogue().Exercise(id).Hints {
		h, ok := tuitest.Find[common.HintMsg](f.press(t, "h"))
		if !ok {
			t.Fatal("h gave no hint")
		}
		_, cmd := f.m.Update(h)
		f.feed(t, cmd)
	}
}

// Hints read like the task: inline code without backticks, wrapped lines
// under their text, and no stray space where inline code starts a line.
func TestHintsRenderLikeTheTask(t *testing.T) {
	f := newExercise(t)
	f.allHints(t)
	v := tall(f, 78)
	hints := section(v, "Hints · 3 of 3 shown")
	if !strings.Contains(hints, "customer_id") || !strings.Contains(hints, "3. Produce in file order") {
		t.Fatalf("the hints are not shown:\n%s", v)
	}
	for _, p := range tuitest.LayoutProblems(hints, 2) {
		t.Errorf("hints: %s", p)
	}
	task := section(v, "Task")
	if !strings.Contains(task, "$INPUT_FILE") {
		t.Fatalf("no task:\n%s", v)
	}
	for _, p := range tuitest.LayoutProblems(task, 2) {
		t.Errorf("task: %s", p)
	}
}

// passing is a check that passed, with the program's own lines mixed with
// its client library's logs.
func (f fixture) passing(t *testing.T) {
	t.Helper()
	f.m.Update(common.CheckStartedMsg{ExerciseID: id})
	f.m.Update(common.CheckEventsMsg{ExerciseID: id, Events: []grader.Event{
		{Stage: grader.StagePreparing},
		{Vars: map[string]string{"TOPIC": "sl-keyed-producer-topic-0badc0de", "INPUT_FILE": "/tmp/streamlab-run-123/input_file.jsonl"}},
		{Stage: grader.StageRunning},
		{Line: `time="2025-03-14T15:09:27Z" level=info msg="Connecting to broker" remote_addr="pulsar://127.0.0.1:6650"`},
		{Line: "reading orders from the input file"},
		{Line: `{"time":"2025-03-14T15:09:27Z","level":"INFO","msg":"producer connected","broker":"127.0.0.1:9092"}`},
		{Line: "[kgo] producing to partition 3"},
		{Line: "time=2025-03-14T15:09:28Z level=DEBUG msg=flushed records=120"},
		{Line: "sent 120 orders, keyed by customer"},
		{Line: "2025/03/14 15:09:28 created sl-keyed-producer-topic-0badc0de with 6 partitions and every order keyed by its customer_id"},
	}})
	if err := f.c.Session.Progress().Record(id, "pass"); err != nil {
		t.Fatal(err)
	}
	tests := []result.Test{
		{Name: "the program runs to completion", Status: result.Pass},
		{Name: "every record is keyed by its customer_id", Status: result.Pass, Score: 8, MaxScore: 8},
	}
	f.m.Update(common.CheckDoneMsg{ExerciseID: id, Result: result.Result{Exercise: id, Status: result.Pass, Tests: tests, Score: 8, MaxScore: 8}})
}

// The output of a run stays on the screen after a pass too, with the
// program's own lines first and the client library's logs behind a key.
func TestOutputKeptAfterAPassWithTheLearnersLinesFirst(t *testing.T) {
	f := newExercise(t)
	f.passing(t)
	v := tall(f, 78)
	out := section(v, "Program output")
	mine := []string{"reading orders from the input file", "sent 120 orders, keyed by customer"}
	for _, l := range mine {
		if !strings.Contains(out, l) {
			t.Fatalf("after a pass, %q is not in the program's output:\n%s", l, v)
		}
	}
	if strings.Contains(out, "…") || !strings.Contains(out, "keyed by its customer_id") {
		t.Errorf("a long line of the program's own is cut:\n%s", out)
	}
	if strings.Contains(out, "level=") || strings.Contains(out, "[kgo]") || strings.Contains(out, `"level"`) {
		t.Errorf("client-library logs are shown with the program's own lines:\n%s", out)
	}
	if !strings.Contains(out, "4 client-library log lines") {
		t.Errorf("the hidden library logs are not counted:\n%s", out)
	}
	f.press(t, "o")
	out = section(tall(f, 78), "Program output")
	last := strings.Index(out, "sent 120 orders")
	for _, noise := range []string{"Connecting to broker", "producer connected", "[kgo] producing", "msg=flushed"} {
		i := strings.Index(out, noise)
		if i < 0 {
			t.Errorf("o should show the library's %q:\n%s", noise, out)
		} else if i < last {
			t.Errorf("the library's %q comes before the program's own lines:\n%s", noise, out)
		}
	}
}

func TestLibraryLog(t *testing.T) {
	for line, want := range map[string]bool{
		`time="2025-03-14T15:09:27Z" level=info msg="Connecting to broker" remote_addr="pulsar://127.0.0.1:6650"`: true,
		`time="2025-03-14T15:09:27Z" level=warning msg="[Failed to connect to broker.]" error="dial tcp"`:         true,
		`{"time":"2025-03-14T15:09:27Z","level":"INFO","msg":"producer connected"}`:                               true,
		`{"level":"debug","ts":1710428967.1,"msg":"fetch"}`:                                                       true,
		"time=2025-03-14T15:09:28Z level=DEBUG msg=flushed":                                                       true,
		"level=info msg=\"joined group\"":                                                                         true,
		"[kgo] producing to partition 3":                                                                          true,
		"[INFO] [kgo] metadata update triggered":                                                                  true,
		"%3|1710428967.123|FAIL|rdkafka#producer-1| [thrd:127.0.0.1:9092]: connection refused":                    true,
		"INFO:kafka.conn:<BrokerConnection node_id=1> connecting":                                                 true,
		"2025-03-14 15:09:27.123 INFO  [140230] ClientConnection:182 | Connecting":                                true,
		"sent 120 orders":                                  false,
		"2025/03/14 15:09:27 read 120 orders":              false,
		`{"order_id":"o-1","customer_id":"c01","seq":1}`:   false,
		"main.go:12:2: undefined: kgo.ProducerSync":        false,
		"customer c01: total 1200 (level 3 of the ladder)": false,
	} {
		if got := exercise.LibraryLog(line); got != want {
			t.Errorf("LibraryLog(%q) = %v, want %v", line, got, want)
		}
	}
}

// The reference solution wraps its long lines instead of cutting them,
// at 80 columns and at 120.
func TestSolutionWrapsLongLines(t *testing.T) {
	long := "\tif err := client.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(order.CustomerID), Value: line}).FirstErr(); err != nil { log.Fatalf(\"producing order %s of customer %s to %s: %v\", order.ID, order.CustomerID, topic, err) }"
	for _, w := range []int{78, 118} {
		f := newExercise(t)
		f.m.Update(common.SolutionMsg{ExerciseID: id, Files: []course.SolutionFile{{Name: "main.go", Text: "package main\n\nfunc main() {\n" + long + "\n}\n"}}})
		v := tall(f, w)
		sol := section(v, "Reference solution")
		if strings.Contains(sol, "…") {
			t.Errorf("at %d cells a line is cut:\n%s", w, sol)
		}
		var shown []string
		for _, l := range strings.Split(sol, "\n") {
			_, code, _ := strings.Cut(l, "│")
			shown = append(shown, strings.Fields(code)...)
		}
		if got, want := strings.Join(shown, " "), strings.Join(strings.Fields("main.go package main func main() {"+long+"}"), " "); !strings.Contains(got, strings.Join(strings.Fields(long), " ")) {
			t.Errorf("at %d cells the solution lost code:\n got %s\nwant %s", w, got, want)
		}
	}
}

// After a pass the screen offers the next exercise, and n opens it.
func TestPassOffersTheNextExercise(t *testing.T) {
	f := newExercise(t)
	f.passing(t)
	v := view(f.m)
	if !strings.Contains(v, "n: next exercise") || !strings.Contains(v, "Total each customer's orders as a consumer group") {
		t.Fatalf("no next exercise offered after a pass:\n%s", v)
	}
	msgs := f.press(t, "n")
	if open, ok := tuitest.Find[common.OpenExerciseMsg](msgs); !ok || open.ID != "kafka/consumer-group" {
		t.Fatalf("n should open the next exercise: %v", msgs)
	}
}

// A generated input file is removed with the run's folder: the screen
// does not show its path once the run is over.
func TestNoDeadInputPath(t *testing.T) {
	f := newExercise(t)
	f.passing(t)
	v := tall(f, 78)
	if strings.Contains(v, "/tmp/streamlab-run-123/input_file.jsonl") {
		t.Errorf("the removed input file's path is shown:\n%s", v)
	}
	if !strings.Contains(v, "generated input (removed after the run)") {
		t.Errorf("the input file is not explained:\n%s", v)
	}
}
