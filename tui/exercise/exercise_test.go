package exercise_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/exercise"
	"github.com/streamlab/streamlab/tui/tuitest"
	"github.com/streamlab/streamlab/tui/watch"
)

const id = "kafka/keyed-producer"

type fixture struct {
	m    *exercise.Model
	c    common.Common
	env  *tuitest.Env
	orig string // the package folder, where testdata is
}

func newExercise(t *testing.T) fixture {
	env := tuitest.NewEnv(t, tuitest.Options{})
	env.Starter(t, id)
	orig, _ := os.Getwd()
	t.Chdir(env.Root) // folders show relative to it, as in a repository
	c := tuitest.Common(env.Session, 78, 21)
	c.Watch = watch.Options{Debounce: 50 * time.Millisecond, Poll: 50 * time.Millisecond}
	m := exercise.New(c, id)
	m.SetSize(78, 21)
	f := fixture{m, c, env, orig}
	f.feed(t, m.Init())
	return f
}

// feed runs cmd and hands the messages it produced back to the screen.
func (f fixture) feed(t *testing.T, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	msgs := tuitest.Msgs(cmd, 500*time.Millisecond)
	for _, msg := range msgs {
		f.m.Update(msg)
	}
	return msgs
}

func (f fixture) press(t *testing.T, k string) []tea.Msg {
	t.Helper()
	_, cmd := f.m.Update(tuitest.Key(k))
	return tuitest.Msgs(cmd, 500*time.Millisecond)
}

func view(m *exercise.Model) string { return ansi.Strip(m.View()) }

// failing is a check that ended with one failed check.
func (f fixture) failing() {
	f.m.Update(common.CheckStartedMsg{ExerciseID: id})
	f.m.Update(common.CheckEventsMsg{ExerciseID: id, Events: []grader.Event{
		{Stage: grader.StagePreparing},
		{Vars: map[string]string{"TOPIC": "sl-keyed-producer-topic-0badc0de", "INPUT_FILE": "/tmp/input_file.jsonl"}},
		{Stage: grader.StageRunning},
		{Line: "sent 120 orders"},
		{Test: &result.Test{Name: "the program runs to completion", Status: result.Pass}},
	}})
	tests := []result.Test{
		{Name: "the program runs to completion", Status: result.Pass},
		{Name: "every input line arrived exactly once", Status: result.Pass, Score: 2, MaxScore: 2},
		{Name: "every record is keyed by its customer_id", Status: result.Fail, MaxScore: 2,
			Message: "In sl-keyed-producer-topic-0badc0de, 120 of 120 records have no key: set the record's Key to the order's customer_id."},
	}
	f.m.Update(common.CheckDoneMsg{ExerciseID: id, Result: result.Result{Exercise: id, Status: result.Fail, Tests: tests, Score: 2, MaxScore: 4}})
}

func TestCheckRequestAndStream(t *testing.T) {
	f := newExercise(t)
	msgs := f.press(t, "c")
	if req, ok := tuitest.Find[common.CheckRequestMsg](msgs); !ok || req.ExerciseID != id || req.Watch {
		t.Fatalf("c should ask for a check: %v", msgs)
	}
	_, cmd := f.m.Update(common.CheckStartedMsg{ExerciseID: id, Waiting: true})
	if f.m.State() != exercise.Waiting || cmd == nil {
		t.Fatal("waiting for the cluster should spin")
	}
	if !strings.Contains(view(f.m), "waiting for the kafka cluster") {
		t.Fatalf("no waiting line:\n%s", view(f.m))
	}
	f.m.Update(common.CheckStartedMsg{ExerciseID: id})
	if f.m.State() != exercise.Running {
		t.Fatal("not running")
	}
	if req := f.press(t, "c"); len(req) != 0 {
		t.Fatal("a second c during a check should not start another")
	}
	f.m.Update(common.CheckEventsMsg{ExerciseID: id, Events: []grader.Event{{Stage: grader.StageRunning}, {Line: "hello from the program"}}})
	if v := view(f.m); !strings.Contains(v, "running your program") || !strings.Contains(v, "hello from the program") {
		t.Fatalf("the run is not streamed:\n%s", v)
	}
	// Another exercise's messages are not this screen's.
	f.m.Update(common.CheckDoneMsg{ExerciseID: "kafka/create-topic", Result: result.Result{Status: result.Pass}})
	if f.m.State() != exercise.Running {
		t.Fatal("took another exercise's verdict")
	}
	if msgs := f.press(t, "esc"); len(msgs) != 1 {
		t.Fatalf("esc during a check should cancel it: %v", msgs)
	} else if _, ok := msgs[0].(common.CheckCancelMsg); !ok {
		t.Fatalf("esc during a check should cancel it: %v", msgs)
	}
	f.m.Update(common.CheckDoneMsg{ExerciseID: id, Result: result.Result{Status: result.Error, Message: common.Cancelled}})
	if !strings.Contains(view(f.m), "check cancelled") {
		t.Fatalf("no cancelled note:\n%s", view(f.m))
	}
	if _, ok := tuitest.Find[common.BackMsg](f.press(t, "esc")); !ok {
		t.Fatal("esc after the check should go back")
	}
}

func TestFailureShowsWhy(t *testing.T) {
	f := newExercise(t)
	f.failing()
	v := allText(f.m)
	for _, want := range []string{"✗ not yet · 2/4 points", "✗ every record is keyed by its customer_id", "120 of 120 records have no key", "last run: sl-keyed-producer-topic-0badc0de"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q in:\n%s", want, v)
		}
	}
	for range 40 {
		f.m.Update(tuitest.Key("b"))
	}
	got := tuitest.ASCII(f.m.View())
	t.Chdir(f.orig)
	golden.RequireEqual(t, got)
}

func TestHints(t *testing.T) {
	f := newExercise(t)
	n := len(f.c.Session.Catalogue().Exercise(id).Hints)
	for i := 1; i <= n; i++ {
		msgs := f.press(t, "h")
		h, ok := tuitest.Find[common.HintMsg](msgs)
		if !ok || h.Used != i {
			t.Fatalf("hint %d: %v", i, msgs)
		}
		f.m.Update(h)
	}
	if msgs := f.press(t, "h"); len(msgs) != 0 {
		t.Fatal("no hint after the last")
	}
	if v := view(f.m); !strings.Contains(v, "that was the last hint") {
		t.Fatalf("no last-hint note:\n%s", v)
	}
	if got := f.c.Session.Progress().Get(id).HintsUsed; got != n {
		t.Fatalf("hints used %d, want %d", got, n)
	}
}

func TestResetAsksFirst(t *testing.T) {
	f := newExercise(t)
	file := filepath.Join(f.m.Dir(), "main.go")
	if err := os.WriteFile(file, []byte("package main // mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.press(t, "r")
	if !strings.Contains(view(f.m), "Reset main.go to the starter?") {
		t.Fatalf("no confirmation:\n%s", view(f.m))
	}
	f.press(t, "n")
	if b, _ := os.ReadFile(file); string(b) != "package main // mine\n" {
		t.Fatal("n reset the file")
	}
	f.press(t, "r")
	msgs := f.press(t, "y")
	done, ok := tuitest.Find[common.ResetDoneMsg](msgs)
	if !ok || done.Err != nil || done.Backup == "" {
		t.Fatalf("reset: %+v", done)
	}
	f.m.Update(done)
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), "TODO") {
		t.Fatal("y did not restore the starter")
	}
	if !strings.Contains(view(f.m), "your files are in") {
		t.Fatalf("the backup is not mentioned:\n%s", view(f.m))
	}
}

func TestSolutionOnlyAfterAPassOrGivingUp(t *testing.T) {
	f := newExercise(t)
	if msgs := f.press(t, "s"); len(msgs) != 0 {
		t.Fatal("the solution opened before a pass")
	}
	if !strings.Contains(view(f.m), "Give up and see the solution?") {
		t.Fatalf("no question before giving up:\n%s", view(f.m))
	}
	if msgs := f.press(t, "n"); len(msgs) != 0 {
		t.Fatal("n opened the solution")
	}
	if _, err := os.Stat(filepath.Join(f.env.Root, "solutions")); err == nil {
		t.Fatal("the workspace holds solutions before a pass")
	}
	if err := f.c.Session.Progress().Record(id, "pass"); err != nil {
		t.Fatal(err)
	}
	msgs := f.press(t, "s")
	sol, ok := tuitest.Find[common.SolutionMsg](msgs)
	if !ok || sol.Err != nil {
		t.Fatalf("solution: %v", msgs)
	}
	f.m.Update(sol)
	if !strings.Contains(view(f.m), "Reference solution") {
		t.Fatal("the solution is not shown")
	}
}

func TestGivingUpShowsAndWritesTheSolution(t *testing.T) {
	f := newExercise(t)
	f.press(t, "s")
	msgs := f.press(t, "y")
	sol, ok := tuitest.Find[common.SolutionMsg](msgs)
	if !ok || sol.Err != nil || len(sol.Files) == 0 {
		t.Fatalf("giving up: %v", msgs)
	}
	f.m.Update(sol)
	if !strings.Contains(view(f.m), "Reference solution") {
		t.Fatal("the solution is not shown")
	}
	if _, err := os.Stat(filepath.Join(sol.Dir, "main.go")); err != nil {
		t.Fatalf("the solution was not written into the workspace: %v", err)
	}
	if !f.c.Session.Progress().Get(id).GaveUp {
		t.Fatal("giving up was not recorded")
	}
}

// allText scrolls through the whole screen and returns what it showed.
func allText(m *exercise.Model) string {
	var b strings.Builder
	for range 40 {
		m.Update(tuitest.Key("b"))
	}
	for range 40 {
		b.WriteString(view(m))
		m.Update(tuitest.Key("f"))
	}
	return b.String()
}

func TestWatchChecksOnSave(t *testing.T) {
	f := newExercise(t)
	msgs := f.press(t, "w")
	started, ok := tuitest.Find[exercise.WatchStartedMsg](msgs)
	if !ok || started.Err != nil {
		t.Fatalf("watch: %v", msgs)
	}
	_, wait := f.m.Update(started)
	defer f.m.Close()
	if !f.m.Watching() {
		t.Fatal("not watching")
	}
	time.Sleep(100 * time.Millisecond)
	if err := os.WriteFile(filepath.Join(f.m.Dir(), "main.go"), []byte("package main\n// saved\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, ok := tuitest.Find[exercise.FilesChangedMsg](tuitest.Msgs(wait, 5*time.Second))
	if !ok {
		t.Fatal("a save was not seen")
	}
	_, cmd := f.m.Update(changed)
	req, ok := tuitest.Find[common.CheckRequestMsg](tuitest.Msgs(cmd, 500*time.Millisecond))
	if !ok || !req.Watch {
		t.Fatal("a save should ask for a check")
	}
	// A save during a check runs one more check when it ends.
	f.m.Update(common.CheckStartedMsg{ExerciseID: id})
	f.m.Update(exercise.FilesChangedMsg{ExerciseID: id, Watcher: changed.Watcher, Files: []string{"main.go"}})
	_, cmd = f.m.Update(common.CheckDoneMsg{ExerciseID: id, Result: result.Result{Status: result.Fail}})
	if _, ok := tuitest.Find[common.CheckRequestMsg](tuitest.Msgs(cmd, 500*time.Millisecond)); !ok {
		t.Fatal("the save during the check was lost")
	}
	f.press(t, "w")
	if f.m.Watching() {
		t.Fatal("w should turn watch mode off")
	}
}

func TestSmallSizes(t *testing.T) {
	f := newExercise(t)
	f.failing()
	for _, size := range [][2]int{{1, 1}, {12, 4}, {40, 10}, {200, 60}} {
		f.m.SetSize(size[0], size[1])
		if n := len(strings.Split(f.m.View(), "\n")); n != size[1] {
			t.Errorf("%v: %d lines", size, n)
		}
	}
}

func TestNoCheckWithoutAFolder(t *testing.T) {
	env := tuitest.NewEnv(t, tuitest.Options{})
	ex := env.Session.Catalogue().Exercise(id)
	if err := os.RemoveAll(env.Session.ExerciseDir(ex)); err != nil {
		t.Fatal(err)
	}
	c := tuitest.Common(env.Session, 78, 21)
	m := exercise.New(c, id)
	for _, msg := range tuitest.Msgs(m.Init(), time.Second) {
		m.Update(msg)
	}
	_, cmd := m.Update(tuitest.Key("c"))
	if msgs := tuitest.Msgs(cmd, 100*time.Millisecond); len(msgs) != 0 {
		t.Fatalf("a check of a folder that does not exist: %v", msgs)
	}
	if v := view(m); !strings.Contains(v, "r writes the starter") {
		t.Fatalf("no way forward offered:\n%s", v)
	}
}

// What the grader did to the program (a fault) shows in its output.
func TestInjectedFaultShowsInTheOutput(t *testing.T) {
	f := newExercise(t)
	f.m.Update(common.CheckStartedMsg{ExerciseID: id})
	f.m.Update(common.CheckEventsMsg{ExerciseID: id, Events: []grader.Event{
		{Stage: grader.StageRunning}, {Line: "produced 20"},
		{Fault: "killed instance 0 when TOPIC held 22 records; started it again"},
	}})
	if v := view(f.m); !strings.Contains(v, "killed instance 0") {
		t.Fatalf("the fault is not shown:\n%s", v)
	}
}

// A save while watch mode is off builds the program, so that c does not
// wait for the link.
func TestSavingBuildsTheProgramAhead(t *testing.T) {
	f := newExercise(t)
	_, cmd := f.m.Update(exercise.FolderMsg{ExerciseID: id, Exists: true})
	started, ok := tuitest.Find[exercise.BuilderStartedMsg](tuitest.Msgs(cmd, 5*time.Second))
	if !ok {
		t.Fatal("no build-on-save watcher")
	}
	defer f.m.Close()
	_, wait := f.m.Update(started)
	saved := time.Now()
	if err := os.WriteFile(filepath.Join(f.m.Dir(), "main.go"), []byte(solutionMain(t, f.orig)), 0o644); err != nil {
		t.Fatal(err)
	}
	msg, ok := tuitest.Find[exercise.SavedMsg](tuitest.Msgs(wait, 10*time.Second))
	if !ok {
		t.Fatal("the save was not seen")
	}
	_, cmd = f.m.Update(msg)
	batch, ok := cmd().(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("a save should re-arm the watcher and build: %#v", cmd())
	}
	if _, ok := tuitest.Find[exercise.PrebuiltMsg](tuitest.Msgs(batch[1], 5*time.Minute)); !ok {
		t.Fatal("the build did not end")
	}
	path, err := grader.ProgramPath("", f.m.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.ModTime().Before(saved) {
		t.Fatalf("the program was not built after the save: %v", err)
	}
}

func solutionMain(t *testing.T, pkgDir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pkgDir, "..", "..", "solutions", "kafka", "02-keyed-producer", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
