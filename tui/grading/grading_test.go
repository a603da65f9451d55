package grading_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/containers/embedded"
	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/tui/grading"
	"github.com/streamlab/streamlab/tui/tuitest"
)

// clock is a test's time: it moves only when the test says.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func subs(names ...string) []gradebook.Submission {
	var out []gradebook.Submission
	for _, n := range names {
		out = append(out, gradebook.Submission{Name: n, Dir: "/class/" + n})
	}
	return out
}

func newModel(c *clock, jobs, checks int, names ...string) *grading.Model {
	return grading.New(grading.Options{
		Exercise: "kafka/keyed-producer", Submissions: subs(names...), Jobs: jobs, Checks: checks, Now: c.now,
	})
}

func stage(name string, s grader.Stage) grading.EventMsg {
	return grading.EventMsg{Name: name, Event: grader.Event{Stage: s}}
}

func test(name string) grading.EventMsg {
	return grading.EventMsg{Name: name, Event: grader.Event{Test: &result.Test{Name: "a check", Status: result.Pass}}}
}

// entry is a submission's grade: a failure names the check that failed,
// an error has a message of two lines.
func entry(name string, status result.Status, score, maxScore int, took time.Duration) gradebook.Entry {
	r := result.Result{Exercise: "kafka/keyed-producer", Status: status, Score: score, MaxScore: maxScore}
	switch status {
	case result.Fail:
		r.Tests = []result.Test{
			{Name: "every input line arrived exactly once", Status: result.Pass},
			{Name: "every record is keyed by its customer_id", Status: result.Fail},
		}
	case result.Error:
		r.Message = "the broker went away while the program ran\nsecond line of the message"
	}
	return gradebook.Entry{Submission: gradebook.Submission{Name: name}, Result: r, Elapsed: took}
}

// text is the view as read, without its styles.
func text(m *grading.Model) string { return ansi.Strip(m.Render()) }

func done(e gradebook.Entry) grading.DoneMsg { return grading.DoneMsg{Entry: e} }

func states(m *grading.Model) map[string]grading.State {
	out := map[string]grading.State{}
	for _, r := range m.Rows() {
		out[r.Name] = r.State
	}
	return out
}

func wantStates(t *testing.T, m *grading.Model, want map[string]grading.State) {
	t.Helper()
	got := states(m)
	for name, s := range want {
		if got[name] != s {
			t.Errorf("%s is %q, want %q (all: %v)", name, got[name], s, got)
		}
	}
}

// Events of several submissions arrive interleaved, as from parallel
// jobs; each row follows its own, and the rows keep the order given.
func TestRowsFollowInterleavedEvents(t *testing.T) {
	c := &clock{tuitest.Now}
	m := newModel(c, 2, 2, "ada", "bob", "cy", "dan")
	steps := []tea.Msg{
		grading.ClusterMsg{Provider: "embedded (chosen with --cluster)"},
		stage("ada", grader.StagePreparing),
		stage("bob", grader.StagePreparing),
		stage("bob", grader.StageBuilding),
		stage("ada", grader.StageBuilding),
		stage("ada", grader.StageRunning),
		grading.EventMsg{Name: "ada", Event: grader.Event{Fault: "killed instance 0; started it again"}},
	}
	for _, msg := range steps {
		c.advance(time.Second)
		m.Update(msg)
	}
	wantStates(t, m, map[string]grading.State{"ada": grading.Running, "bob": grading.Building, "cy": grading.Queued, "dan": grading.Queued})
	if r := m.Rows()[0]; r.Fault == "" || !r.Started.Equal(tuitest.Now.Add(2*time.Second)) {
		t.Errorf("ada: fault %q, started %v: the first event starts the clock", r.Fault, r.Started)
	}

	// The program's own test comes before the checks and is not one of them.
	for _, msg := range []tea.Msg{test("ada"), stage("ada", grader.StageChecking), stage("bob", grader.StageRunning), test("ada")} {
		m.Update(msg)
	}
	wantStates(t, m, map[string]grading.State{"ada": grading.Checking, "bob": grading.Running})
	if n := m.Rows()[0].ChecksDone; n != 1 {
		t.Errorf("ada has %d checks done, want 1", n)
	}
	if v := text(m); !strings.Contains(v, "checking 1/2") {
		t.Errorf("the view does not count ada's checks:\n%s", v)
	}

	for _, msg := range []tea.Msg{
		stage("ada", grader.StageCleanup),
		done(entry("ada", result.Pass, 8, 8, 6*time.Second)),
		stage("ada", grader.StageRunning), // late: ada is done
		stage("cy", grader.StagePreparing),
		done(entry("bob", result.Fail, 4, 8, 7*time.Second)),
	} {
		m.Update(msg)
	}
	wantStates(t, m, map[string]grading.State{"ada": grading.Done, "bob": grading.Done, "cy": grading.Preparing, "dan": grading.Queued})

	_, cmd := m.Update(grading.FinishedMsg{})
	wantStates(t, m, map[string]grading.State{"cy": grading.NotGraded, "dan": grading.NotGraded})
	if _, ok := tuitest.Find[tea.QuitMsg](tuitest.Msgs(cmd, 0)); !ok {
		t.Error("the view should end when the grade is over")
	}
	var names []string
	for _, r := range m.Rows() {
		names = append(names, r.Name)
	}
	if strings.Join(names, " ") != "ada bob cy dan" {
		t.Errorf("rows in the order %v", names)
	}
}

// Feed turns the gradebook's callbacks into the view's messages, leaving
// out what the view does not show.
func TestFeed(t *testing.T) {
	var got []tea.Msg
	var opts gradebook.Options
	grading.Feed(&opts, func(m tea.Msg) { got = append(got, m) })
	ada := gradebook.Submission{Name: "ada"}
	opts.Cluster(auto.Choice{Provider: embedded.New(), Why: "chosen with --cluster embedded"})
	opts.Start(containers.Event{Stage: containers.StageStarting, Message: "starting Kafka"})
	opts.Start(containers.Event{Stage: containers.StageFailed, Message: "no"})
	opts.Events(ada, grader.Event{Line: "produced 120 records"})
	opts.Events(ada, grader.Event{Stage: grader.StageRunning})
	opts.Done(gradebook.Entry{Submission: ada})
	want := []string{
		"grading.ClusterMsg{Provider:\"embedded (chosen with --cluster embedded)\", Status:\"\"}",
		"grading.ClusterMsg{Provider:\"\", Status:\"starting Kafka\"}",
		"grading.EventMsg ada running",
		"grading.DoneMsg ada",
	}
	var have []string
	for _, m := range got {
		switch m := m.(type) {
		case grading.EventMsg:
			have = append(have, fmt.Sprintf("grading.EventMsg %s %s", m.Name, m.Event.Stage))
		case grading.DoneMsg:
			have = append(have, "grading.DoneMsg "+m.Entry.Submission.Name)
		default:
			have = append(have, fmt.Sprintf("%#v", m))
		}
	}
	if strings.Join(have, "\n") != strings.Join(want, "\n") {
		t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(have, "\n"), strings.Join(want, "\n"))
	}
}

// A class of 30 part-way through: some graded, three running, the rest
// queued.
func midGrade(c *clock) *grading.Model {
	var names []string
	for i := range 30 {
		names = append(names, fmt.Sprintf("student-%02d", i+1))
	}
	names[3] = "a-rather-long-submission-name-from-a-zip"
	m := newModel(c, 3, 2, names...)
	m.Update(grading.ClusterMsg{Provider: "embedded (chosen with --cluster embedded)"})
	m.Update(grading.ClusterMsg{Status: "in-process Kafka ready (0s)"})
	skipped := entry(names[0], result.Pass, 8, 8, 5*time.Second)
	skipped.Skipped = true
	m.Update(done(skipped))
	graded := []gradebook.Entry{
		entry(names[1], result.Pass, 8, 8, 9*time.Second),
		entry(names[2], result.Fail, 4, 8, 11*time.Second),
		entry(names[3], result.Error, 0, 8, 10*time.Second),
		entry(names[4], result.Pass, 8, 8, 10*time.Second),
	}
	for i, e := range graded {
		m.Update(stage(e.Submission.Name, grader.StagePreparing))
		c.advance(time.Duration(i+1) * 3 * time.Second)
		m.Update(done(e))
	}
	m.Update(stage(names[5], grader.StagePreparing))
	m.Update(stage(names[5], grader.StageBuilding))
	c.advance(4 * time.Second)
	m.Update(stage(names[6], grader.StagePreparing))
	m.Update(stage(names[6], grader.StageRunning))
	m.Update(grading.EventMsg{Name: names[6], Event: grader.Event{Fault: "forced a rebalance of the group"}})
	c.advance(2 * time.Second)
	m.Update(stage(names[7], grader.StagePreparing))
	m.Update(stage(names[7], grader.StageChecking))
	m.Update(test(names[7]))
	c.advance(1500 * time.Millisecond)
	return m
}

func TestView(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m := midGrade(&clock{tuitest.Now})
			m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			v := m.Render()
			golden.RequireEqual(t, tuitest.ASCII(v))
			lines := strings.Split(v, "\n")
			if len(lines) > size[1] {
				t.Errorf("%d lines on a screen of %d", len(lines), size[1])
			}
			// Whatever does not fit, the running ones are on the screen.
			for _, name := range []string{"student-06", "student-07", "student-08"} {
				if !strings.Contains(v, name) {
					t.Errorf("%s is running but not shown:\n%s", name, v)
				}
			}
		})
	}
}

// The estimate is the mean time of the graded ones, spread over the jobs:
// one graded in 10s, two running for 4s of it (6s left each), three
// queued on two slots: 6+10+10 on one, 6+10 on the other.
func TestETA(t *testing.T) {
	c := &clock{tuitest.Now}
	m := newModel(c, 2, 2, "a", "b", "c", "d", "e", "f")
	if v := text(m); strings.Contains(v, "left") {
		t.Errorf("an estimate before anything was graded:\n%s", v)
	}
	m.Update(stage("a", grader.StagePreparing))
	c.advance(10 * time.Second)
	m.Update(done(entry("a", result.Pass, 8, 8, 10*time.Second)))
	m.Update(stage("b", grader.StagePreparing))
	m.Update(stage("c", grader.StagePreparing))
	c.advance(4 * time.Second)
	if v := text(m); !strings.Contains(v, "about 26s left at 10s a submission") {
		t.Errorf("want about 26s left:\n%s", v)
	}
	// A folder with no program is graded at once: it says nothing of the
	// time the others take.
	m.Update(done(entry("d", result.Error, 0, 8, time.Millisecond)))
	if v := text(m); !strings.Contains(v, "about 16s left at 10s a submission") {
		t.Errorf("want about 16s left:\n%s", v)
	}
	// Once the last ones run past the mean, it says so instead of "0s
	// left".
	for _, n := range []string{"e", "f"} {
		m.Update(done(entry(n, result.Error, 0, 8, 0)))
	}
	c.advance(11 * time.Second)
	if v := text(m); strings.Contains(v, "left") || !strings.Contains(v, "2 running longer than the 10s a submission took so far") {
		t.Errorf("want 2 running longer than the mean:\n%s", v)
	}
}

// ctrl+c cancels once, and the view says the grade is being cancelled
// until the grade says it is over.
func TestCtrlCCancels(t *testing.T) {
	cancels := 0
	m := grading.New(grading.Options{Exercise: "kafka/keyed-producer", Submissions: subs("ada", "bob"), Jobs: 1, Cancel: func() { cancels++ }})
	m.Update(stage("ada", grader.StageRunning))
	m.Update(tuitest.Key("q"))
	if cancels != 0 || m.Cancelling() {
		t.Fatal("q cancelled the grade: only ctrl+c does")
	}
	m.Update(tuitest.Key("ctrl+c"))
	m.Update(tuitest.Key("ctrl+c"))
	if cancels != 1 || !m.Cancelling() || !strings.Contains(text(m), "Cancelling") {
		t.Fatalf("cancelled %d times, cancelling %v:\n%s", cancels, m.Cancelling(), m.Render())
	}
	m.Update(done(entry("ada", result.Error, 0, 8, time.Second)))
	m.Update(grading.FinishedMsg{})
	if v := text(m); !strings.Contains(v, "cancelled after") || !strings.Contains(v, "0 of 2 submissions graded") || !strings.Contains(v, "1 stopped · 1 not graded") {
		t.Errorf("last frame:\n%s", v)
	}
}

// Narrow and short terminals cut the view; they never panic or overflow.
func TestSmallSizes(t *testing.T) {
	for _, size := range [][2]int{{1, 1}, {10, 3}, {30, 8}, {50, 12}, {200, 60}} {
		m := midGrade(&clock{tuitest.Now})
		m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		lines := strings.Split(m.Render(), "\n")
		if len(lines) > max(size[1], 1) {
			t.Errorf("%dx%d: %d lines", size[0], size[1], len(lines))
		}
		for _, l := range lines {
			if lipgloss.Width(l) > size[0] {
				t.Errorf("%dx%d: a line of %d cells: %q", size[0], size[1], lipgloss.Width(l), l)
			}
		}
	}
}
