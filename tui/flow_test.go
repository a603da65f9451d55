package tui_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"

	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/tui"
	"github.com/streamlab/streamlab/tui/tuitest"
)

// term is what a learner sees: the program's output played through a
// terminal emulator, since bubbletea v2 only redraws the cells that change.
type term struct {
	t   *testing.T
	tm  *teatest.TestModel
	mu  sync.Mutex
	emu *vt.Emulator
}

func newTerm(t *testing.T, m tea.Model, w, h int) *term {
	emu := vt.NewEmulator(w, h)
	// The emulator answers terminal queries on its input side; nobody
	// types there, so drain it.
	go func() { _, _ = io.Copy(io.Discard, emu) }()
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII)))
	return &term{t: t, tm: tm, emu: emu}
}

// screen feeds what the program wrote since the last look to the
// emulator and returns the screen's text.
func (s *term) screen() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := io.ReadAll(s.tm.Output())
	// Without a TTY, bubbletea writes bare newlines and counts on the
	// terminal driver's ONLCR to add the carriage return; do what it would.
	_, _ = s.emu.Write(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")))
	return s.emu.String()
}

// waitFor waits until every text is on the screen.
func (s *term) waitFor(timeout time.Duration, texts ...string) string {
	s.t.Helper()
	scr, err := tuitest.WaitForText(s.screen, timeout, texts...)
	if err != nil {
		s.t.Fatal(err)
	}
	return scr
}

// press types keys one at a time, as a person would.
func (s *term) press(keys ...string) {
	for _, k := range keys {
		s.tm.Send(tuitest.Key(k))
		time.Sleep(30 * time.Millisecond)
	}
}

func (s *term) quit(env *tuitest.Env) {
	s.t.Helper()
	s.press("q")
	s.tm.WaitFinished(s.t, teatest.WithFinalTimeout(30*time.Second))
	if env.Session.Cluster(containers.Kafka) != nil {
		s.t.Error("the Kafka cluster is still running after quitting")
	}
}

// A learner opens the Kafka lab, follows the link to the keyed producer,
// checks the solution in the exercise folder, and sees it pass and where
// the records went.
func TestFlowLessonToPassingCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and grades a program")
	}
	env := tuitest.NewEnv(t, tuitest.Options{})
	env.Solution(t, "kafka/keyed-producer")
	m := tui.New(context.Background(), tui.Options{Session: env.Session})
	s := newTerm(t, m, 80, 24)

	s.waitFor(5*time.Second, "Your course", "Create a topic that keeps fourteen days")
	s.press("up", "enter")
	s.waitFor(5*time.Second, "Step 1 of 4", "Why Kafka is where data comes in")
	s.press("n", "n")
	s.waitFor(5*time.Second, "Step 3 of 4", "[1] Keep each customer's orders in order")
	s.press("enter")
	s.waitFor(5*time.Second, "kafka/keyed-producer", "c checks your program")
	s.press("c")
	scr := s.waitFor(4*time.Minute, "✓ passed · 8/8 points")
	for _, want := range []string{"✓ every record is keyed by its customer_id", "✓ each customer's orders are in one partition"} {
		if !strings.Contains(scr, want) {
			t.Errorf("missing %q:\n%s", want, scr)
		}
	}
	// The run's output stays after the pass, and the next exercise is
	// one key away.
	s.waitFor(5*time.Second, "Program output", "produced 120 records", "n: next exercise")
	s.press("i")
	s.waitFor(10*time.Second, "topic sl-keyed-producer-topic-", "6 partitions · 120 records", "p5")
	s.press("esc")
	s.waitFor(5*time.Second, "n: next exercise")
	s.press("n")
	s.waitFor(5*time.Second, "› kafka/consumer-group", "Total each customer's orders as a consumer group")
	s.quit(env)
	if !env.Session.Progress().Get("kafka/keyed-producer").Done {
		t.Error("the pass was not saved")
	}
}

// The starter fails, and the screen says which check failed and why.
func TestFlowStarterFailsWithTheReason(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and grades a program")
	}
	env := tuitest.NewEnv(t, tuitest.Options{})
	env.Starter(t, "kafka/keyed-producer")
	m := tui.New(context.Background(), tui.Options{Session: env.Session})
	s := newTerm(t, m, 80, 24)

	s.waitFor(5*time.Second, "Your course")
	s.press("down", "enter")
	s.waitFor(5*time.Second, "kafka/keyed-producer", "c checks your program")
	s.press("c")
	s.waitFor(4*time.Minute, "✗ not yet", "✗ every record is keyed by its customer_id", "None of the 120 records has a key")
	s.quit(env)
	if p := env.Session.Progress().Get("kafka/keyed-producer"); p.Done || p.LastStatus != "fail" {
		t.Errorf("progress after a failing check: %+v", p)
	}
}

// A first start: the workspace is offered and created, an edit is reset to
// the pristine starter with a backup, the starter fails, the solution is
// seen only after giving up, and the course source is never touched.
func TestFlowFirstStartWorkspaceResetAndGiveUp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and grades a program")
	}
	env := tuitest.NewEnv(t, tuitest.Options{NoWorkspace: true})
	m := tui.New(context.Background(), tui.Options{Session: env.Session})
	s := newTerm(t, m, 80, 24)

	s.waitFor(5*time.Second, "Welcome to streamlab", "Create it now? y")
	s.press("y")
	s.waitFor(10*time.Second, "Your course", "Your workspace is")
	ws := env.Session.Workspace()
	if !ws.Exists() {
		t.Fatal("y did not create the workspace")
	}
	const id = "kafka/create-topic"
	ex := env.Session.Catalogue().Exercise(id)
	file := filepath.Join(ws.ExerciseDir(ex), "main.go")
	if err := os.WriteFile(file, []byte("package main // my attempt\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.press("enter") // the first exercise of the first lab
	s.waitFor(5*time.Second, id, "c checks your program")
	s.press("r")
	s.waitFor(5*time.Second, "Reset main.go to the starter?")
	s.press("y")
	s.waitFor(10*time.Second, "your files are in")
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), "TODO") {
		t.Fatal("reset did not restore the starter")
	}
	s.press("c")
	s.waitFor(4*time.Minute, "✗ not yet")
	s.press("s")
	s.waitFor(5*time.Second, "Give up and see the solution? y/n")
	s.press("y")
	s.waitFor(10*time.Second, "Reference solution")
	if _, err := os.Stat(filepath.Join(ws.SolutionDir(ex), "main.go")); err != nil {
		t.Errorf("the solution is not in the workspace after giving up: %v", err)
	}
	s.quit(env)

	// Nothing the learner did reached the course source.
	out, err := exec.Command("git", "status", "--porcelain", "--", "../exercises", "../solutions", "../labs").CombinedOutput()
	if err != nil {
		t.Skipf("git status: %v %s", err, out)
	}
	if len(out) > 0 {
		t.Errorf("the course source changed:\n%s", out)
	}
}
