package class_test

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/classroom"
	"github.com/streamlab/streamlab/tui/class"
	"github.com/streamlab/streamlab/tui/tuitest"
)

// now is the tests' clock: 10:00, an hour into the class.
var now = tuitest.Now.Truncate(time.Hour).Add(time.Hour)

// at is min minutes before now.
func at(min int) time.Time { return now.Add(-time.Duration(min) * time.Minute) }

func check(learner, exercise, status string, min int) classroom.Event {
	e := classroom.Event{Version: classroom.Version, Learner: learner, Exercise: exercise, Status: status,
		MaxScore: 8, Checks: 2, Attempt: 1, At: at(min)}
	switch status {
	case "pass":
		e.Score, e.ChecksPassed = 8, 2
	case "fail":
		e.Score, e.ChecksPassed = 3, 1
		e.Failed = []classroom.Failure{{Check: "every record is keyed by its customer_id", Status: "fail",
			Message: "12 of 40 records have no key: the first is at partition 0, offset 3"}}
	case "error":
		e.Message = "the cluster did not answer: dial tcp 10.0.0.5:9092: connection refused"
	}
	return e
}

// morning is a morning's worth of checks: ana passes steadily, bo fails
// three times in a row, cleo has not checked for a quarter of an hour,
// dmitri hits a cluster error, and eve gave up once.
func morning() []classroom.Event {
	ev := []classroom.Event{
		check("ana", "kafka/create-topic", "pass", 55), check("ana", "kafka/keyed-producer", "fail", 40),
		check("ana", "kafka/keyed-producer", "pass", 30), check("ana", "kafka/consumer-group", "pass", 2),
		check("bo", "kafka/create-topic", "pass", 50), check("bo", "kafka/keyed-producer", "fail", 20),
		check("bo", "kafka/keyed-producer", "fail", 9), check("bo", "kafka/keyed-producer", "fail", 4),
		check("cleo", "kafka/create-topic", "fail", 15),
		check("dmitri", "kafka/create-topic", "pass", 45), check("dmitri", "kafka/keyed-producer", "error", 1),
		check("eve", "kafka/create-topic", "pass", 35),
	}
	ev[7].HintsUsed, ev[7].Attempt = 2, 3
	gave := check("eve", "kafka/keyed-producer", "pass", 6)
	gave.GaveUp, gave.HintsUsed = true, 3
	return append(ev, gave)
}

func newModel(t *testing.T, w, h int) *class.Model {
	t.Helper()
	cat, err := catalogue.Load(streamlab.Content)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ex := range cat.Exercises {
		ids = append(ids, ex.ID)
	}
	m := class.New(context.Background(), class.Options{
		Class: "dbs-2025", Place: "external at kafka.workshop:9092", Exercises: ids,
		Title: func(id string) string {
			if ex := cat.Exercise(id); ex != nil {
				return ex.Title
			}
			return ""
		},
		Now: func() time.Time { return now },
	})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

func view(m *class.Model) string { return tuitest.ASCII(m.View().Content) }

// text is the screen's text without its styles.
func text(m *class.Model) string { return ansi.Strip(m.View().Content) }

func TestView(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"120x40", 120, 40}} {
		t.Run(size.name, func(t *testing.T) {
			m := newModel(t, size.w, size.h)
			m.Update(class.BatchMsg{Batch: classroom.Batch{Events: morning(), CaughtUp: true}})
			golden.RequireEqual(t, view(m))
		})
	}
}

// A learner's details: the failed checks' messages, as the instructor
// reads them before going over to help.
func TestDetail(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"120x40", 120, 40}} {
		t.Run(size.name, func(t *testing.T) {
			m := newModel(t, size.w, size.h)
			m.Update(class.BatchMsg{Batch: classroom.Batch{Events: morning(), CaughtUp: true}})
			if m.Selected() != "bo" {
				t.Fatalf("sorted by stuck, bo should be first and selected, got %q", m.Selected())
			}
			m.Update(tuitest.Key("enter"))
			if m.Detail() != "bo" {
				t.Fatalf("enter should open bo's details, got %q", m.Detail())
			}
			golden.RequireEqual(t, view(m))
			m.Update(tuitest.Key("esc"))
			if m.Detail() != "" {
				t.Fatal("esc should go back to the room")
			}
		})
	}
}

func TestEmptyAndLoading(t *testing.T) {
	m := newModel(t, 80, 24)
	m.Update(class.BatchMsg{Batch: classroom.Batch{CaughtUp: true}})
	if s := strings.Join(strings.Fields(text(m)), " "); !strings.Contains(s, "No checks yet") || !strings.Contains(s, "--class dbs-2025") {
		t.Errorf("an empty class should say how learners join it:\n%s", s)
	}
}

// Keys: typing filters by name, backspace and esc undo it, tab sorts,
// and the cursor stays on its learner when rows move.
func TestKeys(t *testing.T) {
	m := newModel(t, 80, 24)
	m.Update(class.BatchMsg{Batch: classroom.Batch{Events: morning(), CaughtUp: true}})
	learners := func() string {
		var out []string
		for _, r := range m.Rows() {
			out = append(out, r.Learner)
		}
		return strings.Join(out, " ")
	}
	if got := learners(); got != "bo cleo dmitri ana eve" {
		t.Errorf("by stuck: %s", got)
	}
	m.Update(tuitest.Key("tab"))
	if got := learners(); got != "ana bo cleo dmitri eve" {
		t.Errorf("by name: %s", got)
	}
	m.Update(tuitest.Key("tab"))
	if got := learners(); got != "ana eve bo dmitri cleo" {
		t.Errorf("by progress: %s", got)
	}
	m.Update(tuitest.Key("tab"))
	if got := learners(); got != "dmitri ana bo eve cleo" {
		t.Errorf("by last activity: %s", got)
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift})
	if got := learners(); got != "ana eve bo dmitri cleo" {
		t.Errorf("shift+tab should go back to progress: %s", got)
	}
	if m.Selected() != "bo" {
		t.Fatalf("the cursor should follow bo, first when sorted by stuck, through the sorts: %q", m.Selected())
	}
	m.Update(tuitest.Key("up"))
	if m.Selected() != "eve" {
		t.Fatalf("up from bo: %q", m.Selected())
	}
	// bo passes: sorted by progress he moves above eve; the cursor stays
	// on eve.
	m.Update(class.BatchMsg{Batch: classroom.Batch{Events: []classroom.Event{check("bo", "kafka/keyed-producer", "pass", 0)}}})
	if got := learners(); got != "ana bo eve dmitri cleo" || m.Selected() != "eve" {
		t.Errorf("after bo's pass: %s, selected %s", got, m.Selected())
	}
	for _, k := range []string{"e", "v"} {
		m.Update(tuitest.Key(k))
	}
	if got := learners(); got != "eve" {
		t.Errorf("filter ev: %s", got)
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
	if got := learners(); got != "eve cleo" {
		t.Errorf("filter e: %s", got)
	}
	if !strings.Contains(text(m), "filter: e") {
		t.Errorf("the filter should show:\n%s", text(m))
	}
	m.Update(tuitest.Key("esc"))
	if got := learners(); got != "ana bo eve dmitri cleo" {
		t.Errorf("esc clears the filter: %s", got)
	}
	m.Update(tuitest.Key("z"))
	if s := text(m); !strings.Contains(s, `No learner's name contains "z"`) {
		t.Errorf("a filter that matches no one should say so:\n%s", s)
	}
	if _, cmd := m.Update(tuitest.Key("ctrl+c")); cmd == nil {
		t.Error("ctrl+c should quit")
	}
}

// The idle half of the stuck rule needs no new event: the clock's tick
// is enough.
func TestIdleBecomesStuck(t *testing.T) {
	clock := now
	m := class.New(context.Background(), class.Options{Class: "dbs", Place: "here", Exercises: []string{"kafka/create-topic"},
		Now: func() time.Time { return clock }})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(class.BatchMsg{Batch: classroom.Batch{Events: []classroom.Event{check("ana", "kafka/create-topic", "fail", 0)}, CaughtUp: true}})
	if m.Rows()[0].Stuck {
		t.Fatal("ana just checked")
	}
	clock = clock.Add(classroom.StuckIdle)
	m.Update(class.TickMsg{})
	if r := m.Rows()[0]; !r.Stuck || r.StuckWhy != "idle 10m" {
		t.Errorf("after 10 idle minutes: %+v", r)
	}
	if s := text(m); !strings.Contains(s, "1 stuck") {
		t.Errorf("the header should count the stuck:\n%s", s)
	}
}

// Narrow and short terminals cut lines; they never overflow.
func TestSmallSizes(t *testing.T) {
	m := newModel(t, 80, 24)
	m.Update(class.BatchMsg{Batch: classroom.Batch{Events: morning(), CaughtUp: true}})
	for _, size := range [][2]int{{10, 3}, {30, 8}, {44, 12}, {200, 60}} {
		m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		lines := strings.Split(m.View().Content, "\n")
		if len(lines) != size[1] {
			t.Errorf("%v: %d lines", size, len(lines))
		}
		for _, l := range lines {
			if w := lipgloss.Width(l); w > size[0] {
				t.Errorf("%v: line of width %d: %q", size, w, l)
			}
		}
	}
}
