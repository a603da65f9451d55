package grading

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/tui/common"
)

// View draws the view inline, under what the command printed before it:
// no alternate screen, so that its last frame stays above the summary
// table the command prints when the grade is over.
func (m *Model) View() tea.View {
	return tea.NewView(m.Render())
}

// Render is the view's text, at most the terminal's height and width.
func (m *Model) Render() string {
	w := max(m.width-2, 1) // a column of margin each side, as the course's screens have
	var lines []string
	if m.over {
		lines = m.final(w)
	} else {
		lines = m.live(w)
	}
	// One line short of the screen: an inline view as tall as the screen
	// scrolls it, and its last frame would not replace the frames before.
	if h := max(m.height-1, 1); len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = common.Truncate(" "+l, max(m.width, 1))
	}
	return strings.Join(lines, "\n")
}

// live is the view while the grade runs: the class's progress above, a
// row per submission below, the key at the bottom.
func (m *Model) live(w int) []string {
	st := m.st
	now := m.opts.Now()
	lines := []string{m.title()}
	if c := m.clusterLine(); c != "" {
		lines = append(lines, c)
	}
	lines = append(lines, "", m.progressBar(w), m.counts())
	timing := st.Muted.Render("elapsed " + common.Duration(now.Sub(m.start)))
	switch left, mean, late, ok := m.eta(now); {
	case !ok || m.cancelling:
	case left < time.Second && late > 0:
		// Past the mean, the mean says nothing of when they end.
		timing += st.Muted.Render(fmt.Sprintf(" · %d running longer than the %s a submission took so far", late, common.Duration(mean)))
	default:
		timing += st.Muted.Render(fmt.Sprintf(" · about %s left at %s a submission", common.Duration(left), common.Duration(mean)))
	}
	lines = append(lines, timing, "")

	footer := st.Muted.Render(cancelKey.Help().Key + " cancels: running programs are stopped, queued ones not graded")
	if m.cancelling {
		footer = st.Warn.Render("Cancelling: stopping the running programs; the queued ones will not be graded…")
	}
	room := m.height - 1 - len(lines) - 2 // a blank line and the footer below the rows
	lines = append(lines, m.table(w, room)...)
	return append(lines, "", footer)
}

func (m *Model) title() string {
	return m.st.Title.Render("Grading "+m.opts.Exercise) +
		m.st.Muted.Render(fmt.Sprintf(" · %s · %d at a time", plural(len(m.rows), "submission"), max(m.opts.Jobs, 1)))
}

// clusterLine is the class's cluster: which, and how its start went.
func (m *Model) clusterLine() string {
	var parts []string
	for _, p := range []string{m.cluster.Provider, m.cluster.Status} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return m.st.Muted.Render("cluster: " + strings.Join(parts, " · "))
}

func (m *Model) progressBar(w int) string {
	total := len(m.rows)
	count := fmt.Sprintf(" %d/%d", m.finished, total)
	bar := m.bar
	bar.SetWidth(max(min(w-len(count), 60), 1))
	pct := 1.0
	if total > 0 {
		pct = float64(m.finished) / float64(total)
	}
	return bar.ViewAs(pct) + m.st.Text.Render(count)
}

// counts are the verdicts so far, then what is under way.
func (m *Model) counts() string {
	st := m.st
	var pass, fail, errs, active, queued, skipped, stopped, notGraded int
	for _, r := range m.rows {
		if r.Stopped {
			stopped++
		}
		switch {
		case r.State == Done:
			switch r.Entry.Result.Status {
			case result.Pass:
				pass++
			case result.Fail:
				fail++
			default:
				errs++
			}
			if r.Entry.Skipped {
				skipped++
			}
		case r.State.active():
			active++
		case r.State == Queued:
			queued++
		case r.State == NotGraded:
			notGraded++
		}
	}
	errWord := "errors"
	if errs == 1 {
		errWord = "error"
	}
	s := st.Pass.Render(fmt.Sprintf("✓ %d passed", pass)) + "  " + st.Fail.Render(fmt.Sprintf("✗ %d failed", fail)) + "  " + st.Error.Render(fmt.Sprintf("! %d %s", errs, errWord))
	for _, part := range []struct {
		n    int
		what string
	}{{active, "running"}, {queued, "queued"}, {skipped, "unchanged"}, {stopped, "stopped"}, {notGraded, "not graded"}} {
		if part.n > 0 {
			s += st.Muted.Render(fmt.Sprintf(" · %d %s", part.n, part.what))
		}
	}
	return s
}

// eta estimates the time left from the mean time of the submissions
// graded so far (those that ran: an unchanged one or a folder with no
// program took none), Jobs at a time: each running one is given what the
// mean leaves it, and each queued one goes to the first slot free. There
// is no estimate before the first grade. late counts the running ones
// that have run longer than the mean.
func (m *Model) eta(now time.Time) (left, mean time.Duration, late int, ok bool) {
	var sum time.Duration
	var n, queued int
	var slots []time.Duration
	for _, r := range m.rows {
		switch {
		case r.State == Done && !r.Started.IsZero() && !r.Entry.Skipped:
			sum += r.Entry.Elapsed
			n++
		case r.State == Queued:
			queued++
		}
	}
	if n == 0 {
		return 0, 0, 0, false
	}
	mean = sum / time.Duration(n)
	for _, r := range m.rows {
		if r.State.active() {
			ran := now.Sub(r.Started)
			if ran >= mean {
				late++
			}
			slots = append(slots, max(mean-ran, 0))
		}
	}
	if len(slots) == 0 && queued == 0 {
		return 0, 0, 0, false
	}
	for len(slots) < max(m.opts.Jobs, 1) {
		slots = append(slots, 0)
	}
	for range queued {
		i := slices.Index(slots, slices.Min(slots))
		slots[i] += mean
	}
	return slices.Max(slots), mean, late, true
}

// Column widths: the name's fits the longest name within reason; the
// detail (why a submission failed or errored) has what is left.
const (
	stateWidth = 16
	timeWidth  = 7
	gap        = "  "
)

// table is the rows under a header, in the order given, in at most room
// lines. When they do not all fit, the running ones are kept, then the
// latest finished, then the next queued, and one line counts the rest.
func (m *Model) table(w, room int) []string {
	st := m.st
	if room < 2 {
		return nil
	}
	nameW := len("SUBMISSION")
	for _, r := range m.rows {
		nameW = max(nameW, lipgloss.Width(r.Name))
	}
	nameW = min(nameW, max(w/4, len("SUBMISSION")))
	detailW := max(w-nameW-stateWidth-timeWidth-3*len(gap), 0)

	shown := make([]bool, len(m.rows))
	hidden := ""
	if len(m.rows) <= room-1 {
		for i := range shown {
			shown[i] = true
		}
	} else {
		for _, i := range m.priority()[:max(room-2, 0)] {
			shown[i] = true
		}
		hidden = m.hidden(shown)
	}

	lines := []string{row(
		col{text: "SUBMISSION", style: st.Label, width: nameW},
		col{text: "STATE", style: st.Label, width: stateWidth},
		col{text: "TIME", style: st.Label, width: timeWidth},
	)}
	for i, r := range m.rows {
		if !shown[i] {
			continue
		}
		state, sst := m.stateText(r)
		stateCol := col{text: state, style: sst, width: stateWidth}
		if r.State.active() {
			stateCol.prefix = m.spin.View() + " "
		}
		d, dst := m.detail(r)
		lines = append(lines, row(
			col{text: r.Name, style: st.Text, width: nameW},
			stateCol,
			col{text: m.elapsed(r), style: st.Muted, width: timeWidth},
			col{text: d, style: dst, width: detailW},
		))
	}
	if hidden != "" {
		lines = append(lines, st.Muted.Render(hidden))
	}
	return lines
}

// priority orders the rows for a screen too short for all of them: the
// running ones, then the finished ones latest first, then the queued
// ones in order.
func (m *Model) priority() []int {
	var active, done, rest []int
	for i, r := range m.rows {
		switch {
		case r.State.active():
			active = append(active, i)
		case r.State == Done:
			done = append(done, i)
		default:
			rest = append(rest, i)
		}
	}
	slices.SortFunc(done, func(a, b int) int { return m.rows[b].seq - m.rows[a].seq })
	return slices.Concat(active, done, rest)
}

// hidden counts the rows not shown, by state.
func (m *Model) hidden(shown []bool) string {
	var done, active, queued int
	for i, r := range m.rows {
		switch {
		case shown[i]:
		case r.State == Done:
			done++
		case r.State.active():
			active++
		default:
			queued++
		}
	}
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{active, "running"}, {done, "done"}, {queued, "queued"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "+ " + strings.Join(parts, ", ") + " not shown"
}

// stateText is a row's state as read in its STATE column.
func (m *Model) stateText(r Row) (string, lipgloss.Style) {
	st := m.st
	switch r.State {
	case Queued:
		return "· queued", st.Muted
	case NotGraded:
		return "– not graded", st.Muted
	case Checking:
		if m.opts.Checks > 0 {
			return fmt.Sprintf("checking %d/%d", min(r.ChecksDone, m.opts.Checks), m.opts.Checks), st.Busy
		}
		return string(Checking), st.Busy
	case Done:
		res := r.Entry.Result
		score := fmt.Sprintf("%d/%d", res.Score, res.MaxScore)
		switch res.Status {
		case result.Pass:
			return "✓ pass " + score, st.Pass
		case result.Fail:
			return "✗ fail " + score, st.Fail
		}
		return "! error " + score, st.Error
	}
	return string(r.State), st.Busy
}

// elapsed is a row's TIME: how long it has run, or how long its grade
// took. An unchanged submission was not graded this time.
func (m *Model) elapsed(r Row) string {
	switch {
	case r.State == Done && r.Entry.Skipped:
		return "–"
	case r.State == Done:
		return common.Duration(r.Entry.Elapsed)
	case r.State.active():
		return common.Duration(m.opts.Now().Sub(r.Started))
	}
	return ""
}

// detail says more where there is more to say: why a grade is an error
// (its message's first line), which check failed first, that an
// unchanged submission kept its last grade, or what the grader is doing
// to a running program.
func (m *Model) detail(r Row) (string, lipgloss.Style) {
	st := m.st
	switch {
	case r.State == Done && r.Entry.Skipped:
		return "skipped (unchanged)", st.Muted
	case r.State == Done && r.Entry.Result.Status == result.Error:
		msg, _, _ := strings.Cut(strings.TrimSpace(r.Entry.Result.Message), "\n")
		return msg, st.Error
	case r.State == Done && r.Entry.Result.Status == result.Fail:
		for _, t := range r.Entry.Result.Tests {
			if t.Status == result.Fail {
				return t.Name, st.Muted
			}
		}
	case r.State.active() && r.Fault != "":
		return r.Fault, st.Muted
	}
	return "", st.Muted
}

// final is the view's last frame: the class's progress in three lines,
// for the summary table the command prints under it says the rest.
func (m *Model) final(w int) []string {
	st := m.st
	took := common.Duration(m.opts.Now().Sub(m.start))
	if m.err != nil {
		lines := []string{st.Title.Render("Grading "+m.opts.Exercise) + st.Muted.Render(" stopped before any submission ran")}
		if c := m.clusterLine(); c != "" {
			lines = append(lines, c)
		}
		return append(lines, "")
	}
	var head string
	if m.cancelling || m.finished < len(m.rows) {
		graded := 0
		for _, r := range m.rows {
			if r.State == Done && !r.Stopped {
				graded++
			}
		}
		head = st.Title.Render("Grading "+m.opts.Exercise+" cancelled") +
			st.Muted.Render(fmt.Sprintf(" after %s: %d of %s graded", took, graded, plural(len(m.rows), "submission")))
	} else {
		head = st.Title.Render("Graded "+m.opts.Exercise) +
			st.Muted.Render(fmt.Sprintf(": %s in %s", plural(len(m.rows), "submission"), took))
	}
	// bubbletea clears the view's last line when it ends: two blank
	// ones leave one between the view and the table.
	return []string{head, m.progressBar(w), m.counts(), "", ""}
}

// col is a table cell: its text is cut to width (less its prefix, a
// spinner) and styled.
type col struct {
	prefix, text string
	style        lipgloss.Style
	width        int
}

// row lines cells up in their columns. Empty cells at the end are left
// out, so that no line ends in padding.
func row(cols ...col) string {
	for len(cols) > 0 && cols[len(cols)-1].text == "" && cols[len(cols)-1].prefix == "" {
		cols = cols[:len(cols)-1]
	}
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(gap)
		}
		t := common.Truncate(c.text, c.width-lipgloss.Width(c.prefix))
		b.WriteString(c.prefix + c.style.Render(t))
		if i < len(cols)-1 {
			b.WriteString(strings.Repeat(" ", max(c.width-lipgloss.Width(c.prefix)-lipgloss.Width(t), 0)))
		}
	}
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
