package class

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/table"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/streamlab/streamlab/internal/classroom"
	"github.com/streamlab/streamlab/tui/common"
)

// wideFrom is the body width from which the table shows every column.
const wideFrom = 110

// column is one of the table's columns and how a row fills it.
type column struct {
	title string
	width int // 0: shares what the fixed columns leave
	cell  func(m *Model, r classroom.Row) string
	wide  bool // shown only on a wide terminal
}

var columns = []column{
	{title: " ", width: 1, cell: func(m *Model, r classroom.Row) string {
		if r.Stuck {
			return m.st.Fail.Render("!")
		}
		return " "
	}},
	{title: "learner", width: 12, cell: func(m *Model, r classroom.Row) string {
		if r.Stuck {
			return m.st.Fail.Render(r.Learner)
		}
		return r.Learner
	}},
	{title: "exercise", cell: func(m *Model, r classroom.Row) string { return r.Exercise }},
	{title: "last", width: 9, cell: func(m *Model, r classroom.Row) string { return m.verdict(r) }},
	{title: "checks", width: 6, wide: true, cell: func(m *Model, r classroom.Row) string {
		return fmt.Sprintf("%d/%d", r.ChecksPassed, r.Checks)
	}},
	{title: "hints", width: 5, cell: func(m *Model, r classroom.Row) string { return strconv.Itoa(r.HintsUsed) }},
	{title: "tries", width: 5, wide: true, cell: func(m *Model, r classroom.Row) string { return strconv.Itoa(r.Attempt) }},
	{title: "on it", width: 6, cell: func(m *Model, r classroom.Row) string { return classroom.Duration(r.OnExercise) }},
	{title: "idle", width: 6, cell: func(m *Model, r classroom.Row) string { return classroom.Duration(r.Idle) }},
	{title: "done", width: 6, cell: func(m *Model, r classroom.Row) string {
		done := fmt.Sprintf("%d/%d", r.Passed, r.Total)
		if m.wide() {
			done = fmt.Sprintf("%-5s %s", done, common.Bar(m.st, int64(r.Passed), int64(r.Total), 7))
		}
		return done
	}},
	{title: "note", wide: true, cell: func(m *Model, r classroom.Row) string {
		switch {
		case r.Stuck:
			return m.st.Fail.Render(r.StuckWhy)
		case r.GaveUp:
			return m.st.Muted.Render("gave up")
		}
		return ""
	}},
}

// verdict is a row's last check: its mark and score.
func (m *Model) verdict(r classroom.Row) string {
	switch r.Status {
	case "pass":
		return m.st.Pass.Render(fmt.Sprintf("✓ %d/%d", r.Score, r.MaxScore))
	case "fail":
		return m.st.Fail.Render(fmt.Sprintf("✗ %d/%d", r.Score, r.MaxScore))
	}
	return m.st.Error.Render("! " + r.Status)
}

func (m *Model) bodyWidth() int { return max(m.width-2, 1) }

func (m *Model) wide() bool { return m.bodyWidth() >= wideFrom }

// shown are the columns this width shows, with their widths: the
// exercise takes what the others leave; on a wide terminal it gets 26
// cells and the note the rest, and progress has a bar.
func (m *Model) shown() ([]column, []table.Column) {
	var cols []column
	fixed := 0
	for _, c := range columns {
		if c.wide && !m.wide() {
			continue
		}
		if c.title == "done" && m.wide() {
			c.width = 13 // "12/31 ███░░░░"
		}
		cols = append(cols, c)
		fixed += c.width + 1 // the cell's right padding
	}
	spare := max(m.bodyWidth()-fixed, 8)
	out := make([]table.Column, len(cols))
	for i, c := range cols {
		if c.width == 0 {
			switch {
			case !m.wide():
				c.width = spare
			case c.title == "exercise":
				c.width = exerciseWidth(spare)
			default:
				c.width = spare - exerciseWidth(spare)
			}
			cols[i] = c
		}
		out[i] = table.Column{Title: c.title, Width: c.width}
	}
	return cols, out
}

// exerciseWidth is the exercise's share of spare cells on a wide
// terminal: enough for the longest ids, then the note gets the rest.
func exerciseWidth(spare int) int { return max(min(26, spare-16), spare/2) }

// layout fits the table to the window.
func (m *Model) layout() {
	_, tcols := m.shown()
	m.table.SetColumns(tcols)
	m.table.SetWidth(m.bodyWidth())
	m.table.SetHeight(max(m.height-4, 2))
	m.refresh()
}

func (m *Model) restyle() {
	m.table.SetStyles(table.Styles{
		Header:   m.st.Section.PaddingRight(1),
		Cell:     m.st.Text.PaddingRight(1),
		Selected: m.st.Selected,
	})
	m.footer.Styles = m.st.HelpStyle
}

func (m *Model) tableRows() []table.Row {
	cols, _ := m.shown()
	out := make([]table.Row, len(m.rows))
	for i, r := range m.rows {
		row := make(table.Row, len(cols))
		for j, c := range cols {
			row[j] = c.cell(m, r)
		}
		out[i] = row
	}
	return out
}

func (m *Model) View() tea.View {
	var v tea.View
	v.AltScreen = true
	v.WindowTitle = "streamlab class " + m.o.Class
	w, h := m.width, m.height
	if w < 30 || h < 8 {
		v.SetContent(common.Fit("streamlab class needs a larger terminal", w, h))
		return v
	}
	var body string
	if m.detail != "" {
		body = m.detailView()
	} else {
		body = m.tableView()
	}
	body = lipgloss.NewStyle().Padding(0, 1).Render(common.Fit(body, m.bodyWidth(), h-4))
	v.SetContent(m.header() + "\n" + m.subheader() + "\n" + common.Fit(body, w, h-4) + "\n\n" + m.footerView())
	return v
}

// header names the class and counts the room.
func (m *Model) header() string {
	st := m.st
	left := st.Title.Render("streamlab") + st.Crumb.Render(" › ") + "class " + m.o.Class
	if m.detail != "" {
		left += st.Crumb.Render(" › ") + m.detail
	}
	stuck := 0
	for _, r := range m.room.Rows(m.o.Now(), classroom.ByName, "") {
		if r.Stuck {
			stuck++
		}
	}
	right := st.Muted.Render(plural(m.room.Learners(), "learner"))
	if stuck > 0 {
		right += st.Muted.Render(" · ") + st.Fail.Render(fmt.Sprintf("%d stuck", stuck))
	}
	return spread(" "+left, right+" ", m.width)
}

// subheader says where the class is read from, how it is sorted and
// filtered, and whether the history is still being read.
func (m *Model) subheader() string {
	st := m.st
	parts := []string{"on " + m.o.Place}
	switch {
	case m.readErr != nil:
		parts = append(parts, st.Fail.Render("cannot read the class: "+m.readErr.Error()+" (trying again)"))
	case !m.caughtUp && m.o.Next != nil:
		parts = append(parts, st.Busy.Render("reading the class's checks so far…"))
	}
	if m.detail == "" {
		parts = append(parts, "sorted by "+m.sort.String())
		if m.filter != "" {
			parts = append(parts, "filter: "+st.Bold.Render(m.filter))
		}
	}
	if n := m.room.Skipped(); n > 0 {
		parts = append(parts, st.Warn.Render(plural(n, "record")+" on the topic were not checks"))
	}
	return common.Truncate(" "+st.Muted.Render(strings.Join(parts, " · ")), m.width)
}

func (m *Model) tableView() string {
	if len(m.rows) > 0 {
		return m.table.View()
	}
	st := m.st
	if m.filter != "" {
		return "\n" + st.Muted.Render(fmt.Sprintf("No learner's name contains %q (esc clears the filter).", m.filter))
	}
	if !m.caughtUp && m.o.Next != nil {
		return ""
	}
	return "\n" + common.Wrap(st.Muted.Render("No checks yet. Learners share theirs when they start streamlab with --class "+m.o.Class+" --learner THEIR-NAME on this cluster; each check shows here as it ends."), m.bodyWidth())
}

// detailView is one learner's last check: what an instructor reads
// before going over to help.
func (m *Model) detailView() string {
	st, w := m.st, m.bodyWidth()
	r, ok := m.room.Row(m.detail, m.o.Now())
	if !ok {
		return ""
	}
	title := r.Exercise
	if m.o.Title != nil {
		if t := m.o.Title(r.Exercise); t != "" {
			title += st.Muted.Render(" — " + t)
		}
	}
	var b strings.Builder
	line := func(s string) { b.WriteString(common.Wrap(s, w) + "\n") }
	line(st.Section.Render(r.Learner) + st.Muted.Render(" on ") + title)
	facts := []string{m.verdict(r) + " " + r.Status}
	facts = append(facts, fmt.Sprintf("%d of %d checks passed", r.ChecksPassed, r.Checks),
		plural(r.HintsUsed, "hint")+" used", "attempt "+strconv.Itoa(r.Attempt))
	line(strings.Join(facts, st.Muted.Render(" · ")))
	times := []string{"on it " + classroom.Duration(r.OnExercise),
		"last check " + r.Last.In(m.o.Now().Location()).Format("15:04") + " (" + classroom.Duration(r.Idle) + " ago)"}
	if r.Done {
		times = append(times, st.Pass.Render("passed"))
	}
	if r.GaveUp {
		times = append(times, "gave up and saw the solution")
	}
	line(strings.Join(times, st.Muted.Render(" · ")))
	if r.Stuck {
		line(st.Fail.Render("stuck: " + r.StuckWhy))
	}
	line(fmt.Sprintf("course: %d of %d exercises passed ", r.Passed, r.Total) + common.Bar(st, int64(r.Passed), int64(r.Total), 16))
	if r.Message != "" {
		b.WriteString("\n")
		line(r.Message)
	}
	if len(r.Failed) > 0 {
		b.WriteString("\n" + st.Section.Render("What the checks saw") + "\n")
		for _, f := range r.Failed {
			mark := st.Fail.Render("✗ ")
			if f.Status == "error" {
				mark = st.Error.Render("! ")
			}
			b.WriteString(mark + indent(common.Wrap(f.Check, w-2), "  ") + "\n")
			if f.Message != "" {
				b.WriteString("  " + indent(common.Wrap(st.Muted.Render(f.Message), w-2), "  ") + "\n")
			}
		}
	} else if r.Status == "pass" {
		b.WriteString("\n" + st.Pass.Render("Every check passed.") + "\n")
	}
	return b.String()
}

func (m *Model) footerView() string {
	k := m.keys
	keys := []key.Binding{k.Up, k.Open, k.Sort, k.Filter, k.Back, k.Quit}
	if m.filter == "" {
		keys = []key.Binding{k.Up, k.Open, k.Sort, k.Filter, k.Quit}
	}
	if m.detail != "" {
		keys = []key.Binding{k.Back, k.Quit}
	}
	return common.Truncate(" "+m.footer.ShortHelpView(keys), m.width)
}

// spread puts left and right on one line of width w, cutting left.
func spread(left, right string, w int) string {
	room := max(w-lipgloss.Width(right)-1, 8)
	left = common.Truncate(left, room)
	gap := max(w-lipgloss.Width(left)-lipgloss.Width(right), 1)
	return common.Truncate(left+strings.Repeat(" ", gap)+right, w)
}

func indent(s, pad string) string { return strings.ReplaceAll(s, "\n", "\n"+pad) }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
