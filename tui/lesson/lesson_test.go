package lesson_test

import (
	"fmt"
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

// At the size the root gives the lesson in an 80×24 terminal, every line
// of every step can be scrolled into view, the end marker shows only when
// the last line is on the screen, and every exercise link is shown whole.
func TestEveryLineReachableAt80x24(t *testing.T) {
	env := tuitest.NewEnv(t, tuitest.Options{})
	for _, lab := range env.Session.Catalogue().Labs {
		for step := range lab.Steps {
			// As the root does: the size first, then the lab.
			m := lesson.New(tuitest.Common(env.Session, 78, 21))
			m.SetSize(78, 21)
			msgs := feed(t, m, m.Open(lab.ID, step))
			r, ok := tuitest.Find[lesson.RenderedMsg](msgs)
			if !ok {
				t.Fatalf("%s step %d not rendered", lab.ID, step+1)
			}
			var want []string
			for _, l := range strings.Split(ansi.Strip(r.Content), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					want = append(want, l)
				}
			}
			last := want[len(want)-1]
			seen := ""
			for range 200 {
				v := view(m)
				seen += v
				if strings.Contains(v, "end of step") && !strings.Contains(v, last) {
					t.Errorf("%s step %d: the end marker shows, but the last line %q is hidden:\n%s", lab.ID, step+1, last, v)
					break
				}
				m.Update(tuitest.Key("down"))
			}
			for _, l := range want {
				if !strings.Contains(seen, l) {
					t.Errorf("%s step %d: the line %q never came into view", lab.ID, step+1, l)
				}
			}
			for i, id := range lab.Steps[step].Exercises {
				label := fmt.Sprintf("[%d] %s", i+1, env.Session.Catalogue().Exercise(id).Title)
				if !strings.Contains(view(m), label) {
					t.Errorf("%s step %d: link %q not shown whole:\n%s", lab.ID, step+1, label, view(m))
				}
			}
		}
	}
}

// Rendered markdown has no stray space at the start of a line (inline
// code's padding), and a list item's wrapped lines sit under its text.
func TestMarkdownLayout(t *testing.T) {
	env := tuitest.NewEnv(t, tuitest.Options{})
	for _, lab := range env.Session.Catalogue().Labs {
		for step := range lab.Steps {
			r, ok := tuitest.Msgs(lesson.Render(lab, step, 78, "dark"), 0)[0].(lesson.RenderedMsg)
			if !ok || r.Err != nil {
				t.Fatalf("%s step %d: %v", lab.ID, step+1, r.Err)
			}
			for _, p := range tuitest.LayoutProblemsOf(lesson.Markdown(lab.Steps[step]), r.Content, 2) {
				t.Errorf("%s step %d: %s", lab.ID, step+1, p)
			}
		}
	}
}
