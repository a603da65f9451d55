package lesson_test

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/lesson"
	"github.com/streamlab/streamlab/tui/tuitest"
)

// feed runs cmd and hands every message it produced back to the model.
func feed(t *testing.T, m *lesson.Model, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	msgs := tuitest.Msgs(cmd, 0)
	for _, msg := range msgs {
		m.Update(msg)
	}
	return msgs
}

func open(t *testing.T, step int) *lesson.Model {
	env := tuitest.NewEnv(t, tuitest.Options{})
	m := lesson.New(tuitest.Common(env.Session, 78, 21))
	m.SetSize(78, 21)
	msgs := feed(t, m, m.Open("kafka-101", step))
	if _, ok := tuitest.Find[lesson.RenderedMsg](msgs); !ok {
		t.Fatalf("opening a lesson should render its step: %v", msgs)
	}
	return m
}

func TestSteps(t *testing.T) {
	m := open(t, 0)
	if !strings.Contains(view(m), "durable, ordered log") {
		t.Fatalf("step 1 not shown:\n%s", view(m))
	}
	_, cmd := m.Update(tuitest.Key("right"))
	feed(t, m, cmd)
	if m.Step() != 1 || !strings.Contains(view(m), "Topics are split into partitions") {
		t.Fatalf("step 2 not shown:\n%s", view(m))
	}
	_, cmd = m.Update(tuitest.Key("p"))
	feed(t, m, cmd)
	if m.Step() != 0 {
		t.Fatalf("p should go back, at step %d", m.Step())
	}
	_, cmd = m.Update(tuitest.Key("left"))
	if m.Step() != 0 || cmd != nil {
		t.Fatal("there is no step before the first")
	}
	// Coming back to a rendered step needs no new render.
	_, cmd = m.Update(tuitest.Key("n"))
	if cmd != nil {
		t.Fatal("step 2 was rendered already")
	}
}

func TestExerciseLinks(t *testing.T) {
	m := open(t, 2)
	if v := view(m); !strings.Contains(v, "[1] Keep each customer's orders in order") || strings.Contains(v, "exercise:") {
		t.Fatalf("the step's exercise link is not offered:\n%s", v)
	}
	_, cmd := m.Update(tuitest.Key("enter"))
	if msg, ok := tuitest.Find[common.OpenExerciseMsg](tuitest.Msgs(cmd, 0)); !ok || msg.ID != "kafka/keyed-producer" {
		t.Fatalf("enter should open the linked exercise, got %v", msg)
	}
	_, cmd = m.Update(tuitest.Key("1"))
	if msg, ok := tuitest.Find[common.OpenExerciseMsg](tuitest.Msgs(cmd, 0)); !ok || msg.ID != "kafka/keyed-producer" {
		t.Fatalf("1 should open the first link, got %v", msg)
	}
	_, cmd = m.Update(tuitest.Key("esc"))
	if _, ok := tuitest.Find[common.BackMsg](tuitest.Msgs(cmd, 0)); !ok {
		t.Fatal("esc should go back")
	}
}

func TestMarkdown(t *testing.T) {
	env := tuitest.NewEnv(t, tuitest.Options{})
	st := env.Session.Catalogue().Lab("kafka-101").Steps[2]
	md := lesson.Markdown(st)
	if strings.Contains(md, "exercise:") || !strings.Contains(md, "**Keep each customer's orders in order** [1]") {
		t.Fatalf("links not numbered:\n%s", md)
	}
	if strings.HasPrefix(md, "## ") {
		t.Fatal("the step heading should be left to the step line")
	}
}

func TestResizeRendersAgain(t *testing.T) {
	m := open(t, 0)
	m.SetSize(50, 21)
	_, cmd := m.Update(tea.WindowSizeMsg{Width: 52, Height: 24})
	msgs := feed(t, m, cmd)
	r, ok := tuitest.Find[lesson.RenderedMsg](msgs)
	if !ok || r.Width != 50 {
		t.Fatalf("a new width should render again: %v", msgs)
	}
	for _, l := range strings.Split(m.View(), "\n") {
		if lipgloss.Width(l) > 50 {
			t.Fatalf("line wider than 50 after resize: %q", l)
		}
	}
}

func TestView(t *testing.T) {
	m := open(t, 2)
	golden.RequireEqual(t, tuitest.ASCII(m.View()))
}

func view(m *lesson.Model) string { return ansi.Strip(m.View()) }

func TestStylesChangedRendersAgain(t *testing.T) {
	m := open(t, 0)
	_, cmd := m.Update(common.StylesChangedMsg{})
	if _, ok := tuitest.Find[lesson.RenderedMsg](feed(t, m, cmd)); !ok {
		t.Fatal("a change of styles should render the step again")
	}
}
