package grading_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/tui/grading"
	"github.com/streamlab/streamlab/tui/tuitest"
)

// screen plays a program's output through a terminal emulator: bubbletea
// v2 redraws only the cells that change, so the bytes alone do not say
// what is on the screen.
type screen struct {
	mu  sync.Mutex
	emu *vt.Emulator
	out io.Reader
}

func newScreen(out io.Reader, w, h int) *screen {
	emu := vt.NewEmulator(w, h)
	// The emulator answers terminal queries on its input side; nobody
	// reads them.
	go func() { _, _ = io.Copy(io.Discard, emu) }()
	return &screen{emu: emu, out: out}
}

func (s *screen) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := io.ReadAll(s.out)
	// Without a TTY, bubbletea writes bare newlines and counts on the
	// terminal driver to add the carriage return; do what it would.
	_, _ = s.emu.Write(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")))
	return s.emu.String()
}

// waitFor waits until every text is on the screen; timeout only keeps a
// broken view from hanging the test.
func (s *screen) waitFor(t *testing.T, timeout time.Duration, texts ...string) string {
	t.Helper()
	scr, err := tuitest.WaitForText(s.text, timeout, texts...)
	if err != nil {
		t.Fatal(err)
	}
	return scr
}

// trimScreen drops the blank cells at the ends of the screen's lines and
// the blank lines under it.
func trimScreen(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n") + "\n"
}

// stillSpinner shows every frame of the spinner as its first: which one
// is on the screen depends on when it is looked at.
func stillSpinner(s string) string {
	for _, f := range spinner.MiniDot.Frames {
		s = strings.ReplaceAll(s, f, spinner.MiniDot.Frames[0])
	}
	return s
}

// The view on a terminal, as the program draws it: rows change as events
// come from three submissions at once, ctrl+c says the grade is being
// cancelled, and the grade's end leaves the last frame (a golden) for the
// summary table the command prints under it.
func TestLiveOnATerminal(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			c := &clock{tuitest.Now}
			var mu sync.Mutex
			cancelled := false
			names := []string{"ada", "bob", "cy", "dan", "eve"}
			m := grading.New(grading.Options{
				Exercise: "kafka/keyed-producer", Submissions: subs(names...), Jobs: 3, Checks: 2,
				Now:    func() time.Time { mu.Lock(); defer mu.Unlock(); return c.now() },
				Cancel: func() { mu.Lock(); cancelled = true; mu.Unlock() },
			})
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(size[0], size[1]),
				teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII)))
			s := newScreen(tm.Output(), size[0], size[1])
			later := func(d time.Duration) { mu.Lock(); c.advance(d); mu.Unlock() }

			tm.Send(grading.ClusterMsg{Provider: "embedded (chosen with --cluster embedded)"})
			tm.Send(grading.ClusterMsg{Status: "in-process Kafka ready (0s)"})
			for _, n := range names[:3] {
				tm.Send(stage(n, grader.StagePreparing))
			}
			tm.Send(stage("bob", grader.StageBuilding))
			tm.Send(stage("ada", grader.StageRunning))
			s.waitFor(t, 10*time.Second, "Grading kafka/keyed-producer", "cluster: embedded", "ada", "running", "bob", "building", "cy", "preparing", "dan", "queued")

			later(6 * time.Second)
			tm.Send(stage("ada", grader.StageChecking))
			tm.Send(test("ada"))
			tm.Send(done(entry("ada", result.Pass, 8, 8, 6*time.Second)))
			tm.Send(stage("dan", grader.StagePreparing))
			tm.Send(done(entry("cy", result.Error, 0, 8, 6*time.Second)))
			live := s.waitFor(t, 10*time.Second, "2/5", "✓ pass 8/8", "! error 0/8", "the broker went away", "about ")
			t.Run("live", func(t *testing.T) { golden.RequireEqual(t, trimScreen(stillSpinner(live))) })

			tm.Send(tuitest.Key("ctrl+c"))
			s.waitFor(t, 10*time.Second, "Cancelling")
			mu.Lock()
			if !cancelled {
				t.Error("ctrl+c did not cancel the grade")
			}
			mu.Unlock()
			later(time.Second)
			tm.Send(done(entry("bob", result.Error, 0, 8, 7*time.Second)))
			tm.Send(done(entry("dan", result.Error, 0, 8, time.Second)))
			tm.Send(grading.FinishedMsg{})
			tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
			last := s.waitFor(t, 10*time.Second, "cancelled after")
			t.Run("last", func(t *testing.T) { golden.RequireEqual(t, trimScreen(last)) })
		})
	}
}

// blockingSession grades as a program that runs until it is stopped.
type blockingSession struct {
	ex      *catalogue.Exercise
	started chan string

	mu                sync.Mutex
	running, returned int
}

func (s *blockingSession) Check(ctx context.Context, req course.CheckRequest) (result.Result, error) {
	s.mu.Lock()
	s.running++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running--
		s.returned++
		s.mu.Unlock()
	}()
	req.Events(grader.Event{Stage: grader.StagePreparing})
	req.Events(grader.Event{Stage: grader.StageRunning})
	req.Events(grader.Event{Line: "sent 10 orders"})
	s.started <- filepath.Base(req.Dir)
	<-ctx.Done()
	return result.Result{Exercise: s.ex.ID, Status: result.Error, Message: "the check was cancelled", MaxScore: s.ex.MaxScore()}, nil
}

func (s *blockingSession) StartCluster(context.Context, containers.Kind, func(containers.Event)) (containers.Cluster, auto.Choice, error) {
	return nil, auto.Choice{}, nil
}
func (s *blockingSession) Choice(containers.Kind) (auto.Choice, error)  { return auto.Choice{}, nil }
func (s *blockingSession) Cluster(containers.Kind) containers.Cluster   { return nil }
func (s *blockingSession) SpecFile(*catalogue.Exercise) ([]byte, error) { return []byte("spec"), nil }
func (s *blockingSession) Learner() string                              { return "" }
func (s *blockingSession) counts() (running, returned int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running, s.returned
}

// class is four Python submissions and a session that grades them until
// cancelled, two at a time.
func class(t *testing.T) (gradebook.Options, []gradebook.Submission, *blockingSession) {
	t.Helper()
	cat, err := catalogue.Load(streamlab.Content)
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise("kafka/keyed-producer")
	dir := t.TempDir()
	for _, n := range []string{"ada", "bob", "cy", "dan"} {
		if err := os.MkdirAll(filepath.Join(dir, n), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n, "main.py"), []byte("print('"+n+"')\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	subs, _, err := gradebook.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	sess := &blockingSession{ex: ex, started: make(chan string, len(subs))}
	return gradebook.Options{Session: sess, Exercise: ex, Jobs: 2}, subs, sess
}

// ended says how the grade ended; it fails the test if the grade never
// ends (a hang, not a slow machine: the limit is far above what it takes).
func ended(t *testing.T, res <-chan graded) graded {
	t.Helper()
	select {
	case g := <-res:
		return g
	case <-time.After(time.Minute):
		t.Fatal("the grade did not end")
	}
	return graded{}
}

type graded struct {
	entries []gradebook.Entry
	err     error
	out     string
}

// gradeLive runs grading.Grade with the view on a pipe for its keyboard
// and a buffer for its screen.
func gradeLive(ctx context.Context, opts gradebook.Options, subs []gradebook.Submission, keys io.Reader) <-chan graded {
	res := make(chan graded, 1)
	go func() {
		var out bytes.Buffer
		entries, err := grading.Grade(ctx, opts, subs,
			tea.WithInput(keys), tea.WithOutput(&out), tea.WithWindowSize(80, 24), tea.WithColorProfile(colorprofile.ASCII))
		res <- graded{entries, err, out.String()}
	}()
	return res
}

func waitStarted(t *testing.T, sess *blockingSession, n int) {
	t.Helper()
	for range n {
		select {
		case <-sess.started:
		case <-time.After(time.Minute):
			t.Fatal("the submissions were not graded")
		}
	}
}

// A cancelled grade: what ran was stopped, what waited was not graded.
func checkCancelled(t *testing.T, g graded, sess *blockingSession) {
	t.Helper()
	if g.err != nil {
		t.Fatal(g.err)
	}
	if running, returned := sess.counts(); running != 0 || returned != 2 {
		t.Errorf("%d checks still running, %d returned: want 0 and 2", running, returned)
	}
	for _, e := range g.entries {
		msg := e.Result.Message
		if e.Result.Status != result.Error || !(strings.Contains(msg, "cancelled") || strings.Contains(msg, "interrupted")) {
			t.Errorf("%s: %s %q, want an error saying it was cancelled", e.Submission.Name, e.Result.Status, msg)
		}
	}
	s := newScreen(strings.NewReader(g.out), 80, 24)
	if scr := s.text(); !strings.Contains(scr, "cancelled after") || !strings.Contains(scr, "0 of 4 submissions graded") || !strings.Contains(scr, "2 stopped · 2 not graded") {
		t.Errorf("last frame:\n%s", scr)
	}
}

// ctrl+c typed on the view's keyboard cancels the grade: the running
// programs are stopped, the queued ones not graded, and the view ends.
func TestCtrlCEndsTheGrade(t *testing.T) {
	opts, subs, sess := class(t)
	keys, typed, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	defer typed.Close()
	res := gradeLive(context.Background(), opts, subs, keys)
	waitStarted(t, sess, 2)
	if _, err := typed.Write([]byte{0x03}); err != nil { // what the terminal sends for ctrl+c
		t.Fatal(err)
	}
	checkCancelled(t, ended(t, res), sess)
}

// A signal (SIGINT from outside, SIGTERM) cancels the command's context:
// the grade stops the same way and the view ends with it.
func TestSignalEndsTheGrade(t *testing.T) {
	opts, subs, sess := class(t)
	keys, typed, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	defer typed.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := gradeLive(ctx, opts, subs, keys)
	waitStarted(t, sess, 2)
	cancel()
	checkCancelled(t, ended(t, res), sess)
}

// Where there is no terminal, each finished submission is a line, as it
// always was.
func TestLines(t *testing.T) {
	var b bytes.Buffer
	done := grading.Lines(&b, 3)
	pass := entry("ada", result.Pass, 8, 8, 4200*time.Millisecond)
	skipped := entry("bob", result.Fail, 4, 8, 3*time.Second)
	skipped.Skipped = true
	broken := entry("cy", result.Error, 0, 8, 60*time.Millisecond)
	for _, e := range []gradebook.Entry{pass, skipped, broken} {
		done(e)
	}
	want := "[1/3] ada: pass 8/8 (4.2s)\n" +
		"[2/3] bob: fail 4/8 (skipped (unchanged))\n" +
		"[3/3] cy: error 0/8 (0.1s)\n" +
		"  the broker went away while the program ran\nsecond line of the message\n"
	if b.String() != want {
		t.Errorf("lines:\n%s\nwant:\n%s", b.String(), want)
	}
}
