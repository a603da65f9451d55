// Package home is the first screen: the labs with the learner's progress,
// the next exercise to do, and the state of the clusters.
package home

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/progress"
	"github.com/streamlab/streamlab/tui/common"
)

// item is one selectable row: a lab, or an exercise in it.
type item struct {
	lab *catalogue.Lab
	ex  *catalogue.Exercise // nil for a lab row
}

// Model is the home screen.
type Model struct {
	c      common.Common
	items  []item
	cursor int
	offset int // first list row shown
}

// New returns the home screen with the cursor on the next exercise to do.
func New(c common.Common) *Model {
	m := &Model{c: c}
	cat := c.Session.Catalogue()
	for _, lab := range cat.Labs {
		m.items = append(m.items, item{lab: lab})
		for _, id := range lab.Exercises {
			if ex := cat.Exercise(id); ex != nil {
				m.items = append(m.items, item{lab: lab, ex: ex})
			}
		}
	}
	if next := m.next(); next != "" {
		for i, it := range m.items {
			if it.ex != nil && it.ex.ID == next {
				m.cursor = i
			}
		}
	}
	return m
}

func (m *Model) progress(id string) progress.Exercise { return m.c.Session.Progress().Get(id) }

// next is the first exercise, in course order, not yet done.
func (m *Model) next() string {
	for _, ex := range m.c.Session.Catalogue().Exercises {
		if !m.progress(ex.ID).Done {
			return ex.ID
		}
	}
	return ""
}

// Selected returns the id of the lab or exercise under the cursor.
func (m *Model) Selected() (lab, exercise string) {
	if len(m.items) == 0 {
		return "", ""
	}
	it := m.items[m.cursor]
	if it.ex != nil {
		return it.lab.ID, it.ex.ID
	}
	return it.lab.ID, ""
}

func (m *Model) SetSize(w, h int) {
	m.c.SetSize(w, h)
	if len(m.items) > 0 {
		m.follow()
	}
}

func (m *Model) Title() string { return "" }

func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	km := m.c.KeyMap
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(msg, km.Up):
			m.cursor = max(m.cursor-1, 0)
			m.follow()
		case key.Matches(msg, km.Down):
			m.cursor = min(m.cursor+1, len(m.items)-1)
			m.follow()
		case key.Matches(msg, km.Open):
			lab, ex := m.Selected()
			if ex != "" {
				return m, common.Cmd(common.OpenExerciseMsg{ID: ex})
			}
			if lab != "" {
				return m, common.Cmd(common.OpenLabMsg{LabID: lab})
			}
		case key.Matches(msg, km.Cluster):
			return m, common.Cmd(common.OpenClusterMsg{})
		}
	}
	return m, nil
}

func (m *Model) ShortHelp() []key.Binding {
	km := m.c.KeyMap
	return []key.Binding{km.Up, km.Down, km.Open, km.Cluster}
}

func (m *Model) FullHelp() [][]key.Binding {
	km := m.c.KeyMap
	return [][]key.Binding{{km.Up, km.Down, km.Open}, {km.Cluster, km.Help, km.Quit}}
}

func (m *Model) View() string {
	st, w, h := m.c.Styles, m.c.Width, m.c.Height
	cat := m.c.Session.Catalogue()
	done, points, maxPoints := 0, 0, 0
	for _, ex := range cat.Exercises {
		maxPoints += ex.MaxScore()
		if m.progress(ex.ID).Done {
			done++
			points += ex.MaxScore()
		}
	}
	var top []string
	top = append(top, st.Title.Render("Your course")+st.Muted.Render(fmt.Sprintf("  %d of %d exercises done", done, len(cat.Exercises))))
	top = append(top, "")

	lab, ex := m.Selected()
	bottom := append([]string{"", st.Muted.Render(common.Truncate(m.about(lab, ex), w))}, m.clusterLines()...)
	listH := m.listHeight()
	rows, rowOf := m.rows(w)
	off := visible(m.offset, rowOf[m.cursor], listH, len(rows))
	list := rows[off:min(off+listH, len(rows))]

	out := append(top, list...)
	for len(out) < h-len(bottom) {
		out = append(out, "")
	}
	out = append(out, bottom...)
	return common.Fit(strings.Join(out, "\n"), w, h)
}

// visible returns the first row to show so that row cur is in view,
// moving as little as possible from off.
func visible(off, cur, height, rows int) int {
	if cur < off {
		off = cur
	}
	if cur >= off+height {
		off = cur - height + 1
	}
	return max(min(off, rows-height), 0)
}

// listHeight is how many list rows fit between the title and the footer.
func (m *Model) listHeight() int {
	kinds := len(m.clusterLines())
	return max(m.c.Height-2-2-kinds, 1)
}

// follow scrolls the list so that the cursor stays in view.
func (m *Model) follow() {
	rows, rowOf := m.rows(m.c.Width)
	m.offset = visible(m.offset, rowOf[m.cursor], m.listHeight(), len(rows))
}

// rows draws the list, one line per item, with a blank line before each
// lab but the first; rowOf maps an item to its row.
func (m *Model) rows(w int) (rows []string, rowOf []int) {
	st := m.c.Styles
	next := m.next()
	rowOf = make([]int, len(m.items))
	for i, it := range m.items {
		cur := "  "
		if i == m.cursor {
			cur = st.Cursor.Render("▸ ")
		}
		if it.ex == nil {
			total, done := len(it.lab.Exercises), 0
			for _, id := range it.lab.Exercises {
				if m.progress(id).Done {
					done++
				}
			}
			if i > 0 {
				rows = append(rows, "")
			}
			rowOf[i] = len(rows)
			count := fmt.Sprintf(" %d/%d ", done, total)
			barW := min(12, max(w/8, 4))
			right := count + common.Bar(st, int64(done), int64(total), barW)
			titleW := max(w-2-lipgloss.Width(right)-1, 4)
			title := common.Truncate(it.lab.Title, titleW)
			titleStyle := st.Section
			if i == m.cursor {
				titleStyle = st.Selected
			}
			pad := max(titleW-lipgloss.Width(title), 0)
			rows = append(rows, cur+titleStyle.Render(title)+strings.Repeat(" ", pad)+" "+right)
			continue
		}
		p := m.progress(it.ex.ID)
		mark := st.Muted.Render("·")
		switch {
		case p.Done:
			mark = st.Pass.Render("✓")
		case p.LastStatus == "fail":
			mark = st.Fail.Render("✗")
		}
		tag := ""
		if it.ex.ID == next {
			tag = " " + st.Next.Render("← next")
		}
		title := it.ex.Title
		titleStyle := st.Text
		if i == m.cursor {
			titleStyle = st.Selected
		}
		titleW := max(w-6-lipgloss.Width(tag), 4)
		rowOf[i] = len(rows)
		rows = append(rows, cur+"  "+mark+" "+titleStyle.Render(common.Truncate(title, titleW))+tag)
	}
	return rows, rowOf
}

// about is one line on the selected item.
func (m *Model) about(lab, ex string) string {
	cat := m.c.Session.Catalogue()
	if ex != "" {
		e := cat.Exercise(ex)
		p := m.progress(ex)
		s := fmt.Sprintf("%s · %s · %d points", e.ID, e.Cluster, e.MaxScore())
		if p.Attempts > 0 {
			s += " · " + checksRun(p.Attempts)
		}
		return s
	}
	if l := cat.Lab(lab); l != nil {
		return l.Summary
	}
	return ""
}

// clusterLines show each kind the course uses and its cluster's state.
func (m *Model) clusterLines() []string {
	used := map[containers.Kind]bool{}
	for _, ex := range m.c.Session.Catalogue().Exercises {
		for _, k := range ex.Kinds() {
			used[k] = true
		}
	}
	var lines []string
	for _, k := range common.Kinds {
		if !used[k] {
			continue
		}
		lines = append(lines, ClusterLine(m.c, m.c.Clusters.Get(k)))
	}
	return lines
}

// ClusterLine is a one-line summary of a cluster's state.
func ClusterLine(c common.Common, s common.ClusterStatus) string {
	st := c.Styles
	name := st.Label.Render(fmt.Sprintf("%-6s ", s.Kind))
	switch s.State {
	case common.ClusterStarting:
		stage := "starting"
		if n := len(s.Events); n > 0 {
			stage = string(s.Events[n-1].Stage)
		}
		return name + st.Busy.Render("◌ "+stage) + st.Muted.Render(fmt.Sprintf(" · %s · %s", s.Provider, common.Duration(s.Elapsed(c.Now()))))
	case common.ClusterReady:
		if s.KeptUp {
			return name + st.Pass.Render("● ready") + st.Muted.Render(fmt.Sprintf(" · %s · reused", s.Provider))
		}
		return name + st.Pass.Render("● ready") + st.Muted.Render(fmt.Sprintf(" · %s · started in %s", s.Provider, common.Duration(s.Took)))
	case common.ClusterFailed:
		msg := "failed"
		if s.Err != nil {
			msg = "failed: " + firstLine(s.Err.Error())
		}
		return name + st.Fail.Render("✗ "+msg)
	}
	if s.KeptUp {
		return name + st.Pass.Render("○ kept up") + st.Muted.Render(" (streamlab cluster up) · reused by your first check")
	}
	if s.NoCluster {
		// The session's chooser has none to give: a workshop's server runs
		// no cluster of this kind, and a check cannot start one.
		kind := strings.ToUpper(string(s.Kind[:1])) + string(s.Kind[1:])
		return name + st.Muted.Render(fmt.Sprintf("○ this workshop runs no %s cluster: %s checks cannot run here", kind, kind))
	}
	if s.Kind == containers.Pulsar && c.Session.ProviderName() == "embedded" {
		// Known without asking anything: the in-process cluster is Kafka only.
		return name + st.Muted.Render("○ not available with --cluster embedded · use --cluster local or docker")
	}
	return name + st.Muted.Render(fmt.Sprintf("○ not started · starts with your first check (--cluster %s)", c.Session.ProviderName()))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func checksRun(n int) string {
	if n == 1 {
		return "1 check run"
	}
	return fmt.Sprintf("%d checks run", n)
}
