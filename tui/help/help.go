// Package help is the key map screen that ? opens over any other.
package help

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab/tui/common"
)

// Model is the help screen.
type Model struct {
	c      common.Common
	h      help.Model
	of     string // the screen the help is about
	groups [][]key.Binding
}

// New returns the help screen.
func New(c common.Common) *Model {
	h := help.New()
	h.Styles = c.Styles.HelpStyle
	return &Model{c: c, h: h}
}

// For sets the screen whose keys are shown.
func (m *Model) For(title string, groups [][]key.Binding) {
	m.of, m.groups = title, groups
}

func (m *Model) Title() string { return "Help" }

func (m *Model) SetSize(w, h int) {
	m.c.SetSize(w, h)
	m.h.SetWidth(w)
}

func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	if _, ok := msg.(common.StylesChangedMsg); ok {
		m.h.Styles = m.c.Styles.HelpStyle
	}
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		km := m.c.KeyMap
		if key.Matches(msg, km.Back, km.Help) {
			return m, common.Cmd(common.BackMsg{})
		}
	}
	return m, nil
}

func (m *Model) ShortHelp() []key.Binding {
	km := m.c.KeyMap
	return []key.Binding{km.Back}
}

func (m *Model) FullHelp() [][]key.Binding {
	km := m.c.KeyMap
	return [][]key.Binding{{km.Back, km.Quit}}
}

func (m *Model) View() string {
	st := m.c.Styles
	var b strings.Builder
	title := "Keys"
	if m.of != "" {
		title += " · " + m.of
	}
	b.WriteString(st.Section.Render(title) + "\n\n")
	b.WriteString(m.h.FullHelpView(m.groups) + "\n\n")
	b.WriteString(st.Section.Render("Everywhere") + "\n\n")
	km := m.c.KeyMap
	b.WriteString(m.h.FullHelpView([][]key.Binding{{km.Help, km.Back}, {km.Cluster, km.Quit}}) + "\n\n")
	saved := "Progress is saved in " + m.c.Session.Progress().Path() + "."
	if m.c.Session.Progress().Path() == "" {
		saved = "Progress is kept only until you quit: its file could not be used (see the warning)."
	}
	notes := []string{
		"streamlab runs your program against a live cluster, then inspects the cluster",
		"itself: each check says what it saw and what it expected.",
		"",
		saved,
		"Watch mode (w) checks again on every save. Where saves go unnoticed (network",
		"or container mounts), start streamlab with STREAMLAB_WATCH=poll.",
	}
	for _, n := range notes {
		b.WriteString(st.Muted.Render(n) + "\n")
	}
	return common.Fit(b.String(), m.c.Width, m.c.Height)
}
