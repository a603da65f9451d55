package tui_test

import (
	"bytes"
	"context"
	"io"
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
	deadline := time.Now().Add(timeout)
	for {
		scr := s.screen()
		missing := ""
		for _, text := range texts {
			if !strings.Contains(scr, text) {
				missing = text
				break
			}
		}
		if missing == "" {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("after %s, %q is not on the screen:\n%s", timeout, missing, scr)
		}
		time.Sleep(50 * time.Millisecond)
	}
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
	s.press("i")
	s.waitFor(10*time.Second, "topic sl-keyed-producer-topic-", "6 partitions · 120 records", "p5")
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
