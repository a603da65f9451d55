// Package lesson shows a lab's lesson one step at a time, rendered with
// glamour, with the exercises the step links to one key away.
package lesson

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/tui/common"
)

// RenderedMsg carries a step rendered for a width.
type RenderedMsg struct {
	LabID   string
	Step    int
	Width   int
	Content string
	Err     error
}

type renderKey struct {
	step, width int
}

// Model is the lesson screen.
type Model struct {
	c        common.Common
	lab      *catalogue.Lab
	step     int
	link     int // selected exercise link of the step
	vp       viewport.Model
	rendered map[renderKey]string
	pending  map[renderKey]bool
	shown    renderKey // what the viewport holds
}

// New returns an empty lesson screen; Open picks the lab.
func New(c common.Common) *Model {
	m := &Model{c: c, vp: viewport.New(), rendered: map[renderKey]string{}, pending: map[renderKey]bool{}}
	// Glamour wraps the text, but not a table too wide for a narrow
	// terminal: wrap what is left rather than cut it.
	m.vp.SoftWrap = true
	return m
}

// Open shows a lab at a step and returns the command that renders it.
func (m *Model) Open(labID string, step int) tea.Cmd {
	lab := m.c.Session.Catalogue().Lab(labID)
	if lab == nil {
		return common.Cmd(common.StatusMsg{Text: "no lab " + labID, Error: true})
	}
	if m.lab != lab {
		m.lab = lab
		m.rendered = map[renderKey]string{}
		m.pending = map[renderKey]bool{}
		m.shown = renderKey{-1, 0}
	}
	return m.goTo(step)
}

// Lab is the lab shown.
func (m *Model) Lab() *catalogue.Lab { return m.lab }

// Step is the step shown (from 0).
func (m *Model) Step() int { return m.step }

func (m *Model) goTo(step int) tea.Cmd {
	if m.lab == nil || len(m.lab.Steps) == 0 {
		return nil
	}
	m.step = max(min(step, len(m.lab.Steps)-1), 0)
	m.link = 0
	m.layout() // the step's links take their own lines
	return m.show()
}

// textWidth is the width markdown is wrapped at: the screen's, with a
// cap that keeps lines readable on wide terminals.
func (m *Model) textWidth() int { return max(min(m.c.Width, 100), 10) }

// show puts the current step in the viewport if it is rendered for this
// width, and otherwise asks for it (keeping the old text until then).
func (m *Model) show() tea.Cmd {
	k := renderKey{m.step, m.textWidth()}
	if s, ok := m.rendered[k]; ok {
		if m.shown != k {
			m.vp.SetContent(s)
			if m.shown.step != k.step {
				m.vp.GotoTop()
			}
			m.shown = k
		}
		return nil
	}
	if m.pending[k] {
		return nil
	}
	m.pending[k] = true
	return Render(m.lab, m.step, k.width, m.c.GlamourStyle())
}

var exerciseLink = regexp.MustCompile(`\[([^\]]+)\]\(` + regexp.QuoteMeta(catalogue.ExerciseScheme) + `([^)\s]+)\)`)

// Markdown is a step's markdown as the screen shows it: without its
// heading (the step line above shows the title), and with exercise links
// turned into numbered references the learner opens with a key.
func Markdown(st catalogue.Step) string {
	md := st.Markdown
	if first, rest, ok := strings.Cut(md, "\n"); ok && strings.HasPrefix(first, "## ") {
		md = strings.TrimLeft(rest, "\n")
	}
	n := 0
	return exerciseLink.ReplaceAllStringFunc(md, func(s string) string {
		n++
		text := exerciseLink.FindStringSubmatch(s)[1]
		return fmt.Sprintf("**%s** [%d]", text, n)
	})
}

// Render renders one step of a lab with glamour, in a command.
func Render(lab *catalogue.Lab, step, width int, style string) tea.Cmd {
	md := Markdown(lab.Steps[step])
	return func() tea.Msg {
		out, err := common.Markdown(md, width-2, style, -1)
		// A blank line under the step line, as glamour starts a document.
		return RenderedMsg{LabID: lab.ID, Step: step, Width: width, Content: "\n" + out, Err: err}
	}
}

func (m *Model) SetSize(w, h int) {
	m.c.SetSize(w, h)
	m.layout()
}

// layout gives the text what the step line, the scroll note and the
// step's links leave of the screen. It depends on the step: the viewport
// must be exactly as tall as what is shown of it, or it would call itself
// at the bottom with lines still hidden below.
func (m *Model) layout() {
	m.vp.SetWidth(max(m.c.Width, 1))
	m.vp.SetHeight(max(m.c.Height-m.chromeHeight(), 1))
}

// chromeHeight is the lines around the text: the step line above, the
// scroll note and the exercise links below.
func (m *Model) chromeHeight() int {
	n := 2
	if ls := m.linkLines(); len(ls) > 0 {
		n += 1 + len(ls)
	}
	return n
}

// linkLines lays out the step's exercise links, as many to a line as fit,
// so that none is cut.
func (m *Model) linkLines() []string {
	st, w := m.c.Styles, max(m.c.Width, 1)
	const lead = "Exercise: "
	var lines []string
	line := st.Label.Render(lead)
	n := 0 // links on the line
	for i, id := range m.links() {
		title := id
		if ex := m.c.Session.Catalogue().Exercise(id); ex != nil {
			title = ex.Title
		}
		label := common.Truncate(fmt.Sprintf("[%d] %s", i+1, title), w-len(lead))
		if i == m.link {
			label = st.Link.Render(label)
		} else {
			label = st.Text.Render(label)
		}
		if n > 0 && lipgloss.Width(line)+2+lipgloss.Width(label) > w {
			lines = append(lines, line)
			line, n = strings.Repeat(" ", len(lead)), 0
		}
		if n > 0 {
			line += "  "
		}
		line += label
		n++
	}
	if n > 0 {
		lines = append(lines, line)
	}
	return lines
}

func (m *Model) links() []string {
	if m.lab == nil || len(m.lab.Steps) == 0 {
		return nil
	}
	return m.lab.Steps[m.step].Exercises
}

func (m *Model) Title() string {
	if m.lab == nil {
		return "Lesson"
	}
	return m.lab.Title
}

func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	km := m.c.KeyMap
	switch msg := msg.(type) {
	case RenderedMsg:
		if m.lab == nil || msg.LabID != m.lab.ID {
			return m, nil
		}
		k := renderKey{msg.Step, msg.Width}
		delete(m.pending, k)
		if msg.Err != nil {
			m.rendered[k] = msg.Err.Error() + "\n\n" + Markdown(m.lab.Steps[msg.Step])
		} else {
			m.rendered[k] = msg.Content
		}
		return m, m.show()
	case common.StylesChangedMsg:
		// Rendered in the old style: render again.
		m.rendered, m.pending = map[renderKey]string{}, map[renderKey]bool{}
		m.shown = renderKey{-1, 0}
		if m.lab == nil {
			return m, nil
		}
		return m, m.show()
	case tea.WindowSizeMsg:
		if m.lab == nil {
			return m, nil
		}
		m.layout()
		return m, m.show()
	case tea.KeyPressMsg:
		if m.lab == nil {
			return m, nil
		}
		switch {
		case key.Matches(msg, km.NextStep):
			return m, m.goTo(m.step + 1)
		case key.Matches(msg, km.PrevStep):
			return m, m.goTo(m.step - 1)
		case key.Matches(msg, km.NextLink):
			if n := len(m.links()); n > 0 {
				m.link = (m.link + 1) % n
			}
			return m, nil
		case key.Matches(msg, km.Open):
			if ls := m.links(); len(ls) > 0 {
				return m, common.Cmd(common.OpenExerciseMsg{ID: ls[m.link]})
			}
			return m, m.goTo(m.step + 1)
		case key.Matches(msg, km.Back):
			return m, common.Cmd(common.BackMsg{})
		case key.Matches(msg, km.Cluster):
			return m, common.Cmd(common.OpenClusterMsg{})
		}
		if n, err := strconv.Atoi(msg.String()); err == nil && n >= 1 && n <= len(m.links()) {
			return m, common.Cmd(common.OpenExerciseMsg{ID: m.links()[n-1]})
		}
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return m, cmd
	case tea.MouseWheelMsg:
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) ShortHelp() []key.Binding {
	km := m.c.KeyMap
	b := []key.Binding{km.NextStep, km.PrevStep}
	if len(m.links()) > 0 {
		b = append(b, km.Open)
	} else {
		b = append(b, km.Down)
	}
	return append(b, km.Back)
}

func (m *Model) FullHelp() [][]key.Binding {
	km := m.c.KeyMap
	return [][]key.Binding{
		{km.NextStep, km.PrevStep, km.Up, km.Down, km.PageUp, km.PageDown},
		{km.Open, km.NextLink, km.Cluster, km.Back, km.Quit},
	}
}

func (m *Model) View() string {
	st, w, h := m.c.Styles, m.c.Width, m.c.Height
	if m.lab == nil {
		return common.Fit("", w, h)
	}
	step := m.lab.Steps[m.step]
	dots := make([]string, len(m.lab.Steps))
	for i := range dots {
		dots[i] = st.Muted.Render("○")
		if i == m.step {
			dots[i] = st.Selected.Render("●")
		}
	}
	head := st.Muted.Render(fmt.Sprintf("Step %d of %d ", m.step+1, len(m.lab.Steps))) + strings.Join(dots, " ") + "  " + st.Section.Render(step.Title)
	var b strings.Builder
	b.WriteString(common.Truncate(head, w) + "\n")
	if m.shown.step == m.step {
		b.WriteString(m.vp.View())
	} else {
		b.WriteString(st.Muted.Render("  rendering…"))
	}
	body := common.Fit(b.String(), w, h-m.chromeHeight()+1)
	foot := []string{st.Muted.Render(common.Truncate(scrollNote(m.vp), w))}
	if ls := m.linkLines(); len(ls) > 0 {
		foot = append(append(foot, ""), ls...)
	}
	return common.Fit(body+"\n"+strings.Join(foot, "\n"), w, h)
}

// scrollNote says how much more there is to read.
func scrollNote(vp viewport.Model) string {
	if vp.TotalLineCount() <= vp.Height() {
		return ""
	}
	if vp.AtBottom() {
		return "  end of step · → next step"
	}
	return fmt.Sprintf("  %d%% · ↓ to read on", int(vp.ScrollPercent()*100))
}
