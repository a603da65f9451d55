// Package setup is the first screen of a learner without a workspace: it
// says where their exercises will live, offers to create the folder, and
// brings along edits made in a clone of the course before workspaces
// existed.
package setup

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/workspace"
	"github.com/streamlab/streamlab/tui/common"
)

// LegacyMsg says whether a clone with the learner's edits was found.
type LegacyMsg struct{ Legacy *workspace.Legacy }

// ReadyMsg ends the creation of the workspace.
type ReadyMsg struct {
	Root     string
	Report   workspace.InitReport
	Imported []string
	Err      error
}

// Model is the setup screen.
type Model struct {
	c        common.Common
	legacy   *workspace.Legacy
	creating bool
	err      error
}

// New returns the setup screen.
func New(c common.Common) *Model { return &Model{c: c} }

// Init looks for a clone with edits: that takes git, so it is a command.
func (m *Model) Init() tea.Cmd {
	sess := m.c.Session
	return func() tea.Msg { return LegacyMsg{sess.Legacy()} }
}

func (m *Model) Title() string { return "Welcome" }

func (m *Model) SetSize(w, h int) { m.c.SetSize(w, h) }

func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case LegacyMsg:
		m.legacy = msg.Legacy
	case ReadyMsg:
		m.creating = false
		m.err = msg.Err
	case tea.KeyPressMsg:
		if m.creating || !key.Matches(msg, m.c.KeyMap.Yes, m.c.KeyMap.Open) {
			return m, nil
		}
		m.creating, m.err = true, nil
		return m, create(m.c.Session, m.legacy)
	}
	return m, nil
}

// create makes the workspace and imports a legacy clone's edits.
func create(sess *course.Session, legacy *workspace.Legacy) tea.Cmd {
	return func() tea.Msg {
		msg := ReadyMsg{Root: sess.Workspace().Root}
		msg.Report, msg.Err = sess.Init()
		if msg.Err == nil && legacy != nil {
			msg.Imported, msg.Err = sess.Import(legacy)
		}
		return msg
	}
}

func (m *Model) ShortHelp() []key.Binding {
	yes := key.NewBinding(key.WithKeys("y", "enter"), key.WithHelp("y/enter", "create it"))
	return []key.Binding{yes}
}

func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{append(m.ShortHelp(), m.c.KeyMap.Quit)}
}

func (m *Model) View() string {
	st := m.c.Styles
	root := m.c.Session.Workspace().Root
	var b strings.Builder
	b.WriteString(st.Section.Render("Welcome to streamlab") + "\n\n")
	lines := []string{
		"Your exercises live in a folder of your own, your workspace:",
		"",
		"  " + st.Code.Render(root),
		"",
		"Each exercise is a folder there with starter code to edit. streamlab",
		"never changes your files without keeping a copy, and a reference",
		"solution appears there only once your program has passed.",
	}
	if m.legacy != nil {
		lines = append(lines, "",
			fmt.Sprintf("You edited %d files in %s/exercises:", len(m.legacy.Files), m.legacy.Clone),
			"they will be copied into the workspace. The clone is left as it is.")
	}
	lines = append(lines, "",
		"Another folder? Quit, then run "+st.Code.Render("streamlab init DIR")+" and start",
		"streamlab with "+st.Code.Render("--workspace DIR")+" (or STREAMLAB_WORKSPACE).")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	switch {
	case m.creating:
		b.WriteString(st.Muted.Render("creating the workspace…"))
	case m.err != nil:
		b.WriteString(st.Fail.Render(m.err.Error()))
	default:
		b.WriteString(st.Confirm.Render("Create it now? y"))
	}
	return common.Fit(b.String(), m.c.Width, m.c.Height)
}
