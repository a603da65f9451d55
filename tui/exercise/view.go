package exercise

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/tui/common"
)

// outputTail is how many lines of program output the screen shows.
const outputTail = 8

var stageText = map[grader.Stage]string{
	grader.StagePreparing: "preparing topics and input",
	grader.StageBuilding:  "building your program",
	grader.StageRunning:   "running your program",
	grader.StageChecking:  "checking the cluster",
	grader.StageCleanup:   "cleaning up",
	grader.StageDone:      "done",
}

func (m *Model) View() string {
	st, w, h := m.c.Styles, m.c.Width, m.c.Height
	p := m.c.Session.Progress().Get(m.ex.ID)

	badge := ""
	switch {
	case p.Done:
		badge = st.Pass.Render("✓ done")
	case p.Attempts > 0:
		badge = st.Muted.Render(plural(p.Attempts, "check") + " run")
	}
	title := st.Title.Render(common.Truncate(m.ex.Title, max(w-lipgloss.Width(badge)-2, 4)))
	gap := max(w-lipgloss.Width(title)-lipgloss.Width(badge), 1)
	line1 := title + strings.Repeat(" ", gap) + badge

	watch := st.Muted.Render("watch off")
	if m.watching {
		watch = st.Busy.Render("watching")
	}
	files := strings.Join(m.ex.Files, ", ")
	line2 := st.Label.Render("edit ") + st.Code.Render(files) + st.Label.Render(" in ") + st.Muted.Render(m.shownDir)
	line2 = common.Truncate(line2, max(w-lipgloss.Width(watch)-3, 4))
	line2 += strings.Repeat(" ", max(w-lipgloss.Width(line2)-lipgloss.Width(watch), 1)) + watch

	foot := ""
	switch {
	case m.confirm == confirmReset:
		foot = st.Confirm.Render(fmt.Sprintf("Reset %s to the starter? Your files are backed up first. y/n", files))
	case m.confirm == confirmGiveUp:
		foot = st.Confirm.Render("Not passed yet. Give up and see the solution? y/n")
	case m.note != "":
		if m.noteBad {
			foot = st.Fail.Render(m.note)
		} else {
			foot = st.Muted.Render(m.note)
		}
	}
	out := []string{line1, line2, m.statusLine()}
	if m.passed() {
		out = append(out, m.nextLine())
	}
	out = append(out, m.vp.View(), foot)
	return common.Fit(strings.Join(out, "\n"), w, h)
}

// nextLine offers the next exercise after a pass.
func (m *Model) nextLine() string {
	st := m.c.Styles
	next := m.Next()
	if next == nil {
		return st.Pass.Render("★ every exercise of the course is done") + st.Muted.Render(" · esc goes back")
	}
	return common.Truncate(st.Next.Render("→ n: next exercise")+st.Muted.Render(" · ")+st.Text.Render(next.Title), m.c.Width)
}

// statusLine is the one line on the check: what it is doing, or its verdict.
func (m *Model) statusLine() string {
	st := m.c.Styles
	switch m.state {
	case Waiting:
		// The first cluster of the exercise's that is not ready yet.
		kind := m.ex.Cluster
		for _, k := range m.ex.Kinds() {
			if m.c.Clusters.Get(k).State != common.ClusterReady {
				kind = k
				break
			}
		}
		cs := m.c.Clusters.Get(kind)
		s := fmt.Sprintf(" waiting for the %s cluster to start", kind)
		if cs.Provider != "" {
			s += fmt.Sprintf(" (%s, %s)", cs.Provider, common.Duration(cs.Elapsed(m.c.Now())))
		}
		return m.spin.View() + st.Busy.Render(s)
	case Running:
		if m.place > 0 {
			// A server's queue: other learners' checks run first.
			return m.spin.View() + st.Busy.Render(fmt.Sprintf(" waiting for a free grader: %s in line", ordinal(m.place))) + st.Muted.Render(" · esc cancels")
		}
		return m.spin.View() + st.Busy.Render(" "+stageText[m.stage]) + st.Muted.Render(" · "+common.Duration(m.c.Now().Sub(m.started))+" · esc cancels")
	case Done:
		r := m.res
		switch r.Status {
		case result.Pass:
			return st.Pass.Render(fmt.Sprintf("✓ passed · %d/%d points", r.Score, r.MaxScore)) + st.Muted.Render(" · "+common.Duration(m.took)+" · s shows the reference solution")
		case result.Fail:
			return st.Fail.Render(fmt.Sprintf("✗ not yet · %d/%d points", r.Score, r.MaxScore)) + st.Muted.Render(" · the failing checks say why")
		}
		if r.Message == common.Cancelled {
			return st.Muted.Render("check cancelled · c checks again")
		}
		return st.Error.Render("! could not grade: ") + st.Muted.Render(firstLine(r.Message))
	}
	if !m.exists {
		return st.Fail.Render("✗ the folder does not exist yet: r writes the starter there")
	}
	return st.Muted.Render(fmt.Sprintf("c checks your program against a live %s cluster", containers.JoinKinds(m.ex.Kinds(), " and ")))
}

// ordinal is a place in line in words: 1st, 2nd, 3rd, 4th, ... 11th, 21st.
func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// refresh rebuilds the scrolling part from the state.
func (m *Model) refresh() {
	st, w := m.c.Styles, max(m.c.Width, 10)
	var b strings.Builder
	section := func(name string) {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(st.Section.Render(name) + "\n")
	}
	indent := func(s string, n int) string {
		pad := strings.Repeat(" ", n)
		return pad + strings.ReplaceAll(common.Wrap(s, max(w-n, 8)), "\n", "\n"+pad)
	}

	if m.state != Idle || m.res != nil {
		section("Checks")
		for _, t := range m.tests {
			mark := st.Pass.Render("✓")
			switch t.Status {
			case result.Fail:
				mark = st.Fail.Render("✗")
			case result.Error:
				mark = st.Error.Render("!")
			}
			pts := ""
			if t.MaxScore > 0 {
				pts = st.Muted.Render(fmt.Sprintf("  %d/%d", t.Score, t.MaxScore))
			}
			b.WriteString("  " + mark + " " + common.Truncate(t.Name, w-12) + pts + "\n")
			if t.Status != result.Pass && t.Message != "" {
				b.WriteString(st.Muted.Render(indent(t.Message, 6)) + "\n")
			}
		}
		if m.state == Running && len(m.tests) == 0 {
			b.WriteString(st.Muted.Render("  results appear here as each check ends") + "\n")
		}
		if m.res != nil && m.res.Status == result.Error && m.res.Message != "" && m.res.Message != common.Cancelled {
			b.WriteString(st.Error.Render(indent(m.res.Message, 2)) + "\n")
			b.WriteString(st.Muted.Render(indent("This is not your program's fault: the cluster or streamlab failed.", 2)) + "\n")
		}
		if len(m.output)+len(m.logs) > 0 {
			section("Program output")
			b.WriteString(m.outputView(w))
		}
	}

	section("Task")
	if m.task != "" {
		b.WriteString(m.task + "\n")
	} else {
		b.WriteString(indent(m.ex.Task, 2) + "\n")
	}

	section("Your program receives")
	type row struct{ name, desc, value string }
	var rows []row
	for _, k := range m.ex.Kinds() {
		addr := "the cluster's address"
		if len(m.ex.Kinds()) > 1 {
			addr = "the " + string(k) + " cluster's address"
		}
		switch k {
		case "kafka":
			rows = append(rows, row{"KAFKA_BOOTSTRAP_SERVERS", addr, ""})
		case "pulsar":
			rows = append(rows, row{"PULSAR_SERVICE_URL", addr, ""}, row{"PULSAR_ADMIN_URL", "its admin API", ""})
		}
	}
	for _, v := range m.ex.Variables {
		value := m.vars[v.Name]
		if v.Kind == catalogue.KindFile && value != "" && !m.live {
			// The grader wrote it in the run's folder, removed with it.
			value = "generated input (removed after the run)"
		}
		rows = append(rows, row{v.Name, describe(v), value})
	}
	nameW := 0
	for _, r := range rows {
		nameW = max(nameW, len(r.name))
	}
	for _, r := range rows {
		line := "  " + st.Code.Render(fmt.Sprintf("%-*s", nameW, r.name)) + "  " + st.Muted.Render(r.desc)
		b.WriteString(common.Truncate(line, w) + "\n")
		if r.value != "" {
			pad := strings.Repeat(" ", nameW+4)
			b.WriteString(common.Truncate(pad+st.Label.Render("last run: ")+r.value, w) + "\n")
		}
	}

	m.hintsLine = strings.Count(b.String(), "\n") + 1
	section(fmt.Sprintf("Hints · %d of %d shown", m.hints, len(m.ex.Hints)))
	pad := strings.Repeat(" ", hintIndent)
	for i := 0; i < m.hints && i < len(m.ex.Hints); i++ {
		text := indent(m.ex.Hints[i], hintIndent) // until the rendered hints come
		if i < len(m.taskHints) {
			text = pad + strings.ReplaceAll(m.taskHints[i], "\n", "\n"+pad)
		}
		b.WriteString(fmt.Sprintf("%*d. ", hintIndent-2, i+1) + text[hintIndent:] + "\n")
	}
	if m.hints < len(m.ex.Hints) {
		b.WriteString(st.Muted.Render("  h shows the next hint") + "\n")
	}

	if len(m.solution) > 0 {
		m.solutionLine = strings.Count(b.String(), "\n") + 1
		section("Reference solution")
		for _, f := range m.solution {
			b.WriteString("  " + st.Code.Render(f.Name) + "\n")
			for _, l := range strings.Split(strings.TrimRight(f.Text, "\n"), "\n") {
				for _, part := range wrapCode(strings.ReplaceAll(l, "\t", "    "), w-4) {
					b.WriteString(st.Muted.Render("  │ ") + part + "\n")
				}
			}
		}
	}
	m.vp.SetHeight(max(m.c.Height-m.chromeHeight(), 1))
	m.vp.SetContent(strings.TrimRight(b.String(), "\n"))
}

// wrapCode wraps a line of code to w cells, after a space where it can,
// keeping every character: no code is cut, and the lines it continues on
// are indented four more than the line, so a continuation reads as one.
func wrapCode(l string, w int) []string {
	if w <= 0 || ansi.StringWidth(l) <= w {
		return []string{l}
	}
	lead := len(l) - len(strings.TrimLeft(l, " "))
	pad := strings.Repeat(" ", min(lead+4, w/2))
	var out []string
	prefix, room := "", w
	for ansi.StringWidth(l) > room {
		fit, space, cells := 0, 0, 0 // bytes that fit; bytes up to the last space that fits
		for i, r := range l {
			if cells += ansi.StringWidth(string(r)); cells > room {
				break
			}
			fit = i + len(string(r))
			if r == ' ' && i >= lead {
				space = fit
			}
		}
		if space > 0 {
			fit = space
		}
		if fit == 0 { // not even one character fits: take one anyway
			_, fit = utf8.DecodeRuneInString(l)
		}
		out = append(out, prefix+l[:fit])
		l, prefix, room = l[fit:], pad, max(w-len(pad), 1)
	}
	return append(out, prefix+l)
}

// outputView is the program's output: its own lines first, the last few
// unless all are asked for (o), and its client library's logs after
// them, counted until asked for.
func (m *Model) outputView(w int) string {
	st := m.c.Styles
	var b strings.Builder
	lines := m.output
	if !m.all && len(lines) > outputTail {
		b.WriteString(st.Muted.Render(fmt.Sprintf("  … %s before these · o shows all", plural(len(lines)-outputTail, "line"))) + "\n")
		lines = lines[len(lines)-outputTail:]
	}
	if len(m.output) == 0 {
		b.WriteString(st.Muted.Render("  nothing of its own yet; only its client library logged") + "\n")
	}
	for _, l := range lines {
		// The program's own lines wrap: they are what the learner reads.
		for _, part := range strings.Split(ansi.Wrap(l, max(w-4, 8), ""), "\n") {
			b.WriteString(st.Output.Render("  │ "+part) + "\n")
		}
	}
	switch {
	case len(m.logs) == 0:
	case m.all:
		b.WriteString(st.Muted.Render(fmt.Sprintf("  %s of its client library · o hides them", plural(len(m.logs), "log line"))) + "\n")
		for _, l := range m.logs {
			b.WriteString(st.Muted.Render("  ┆ "+common.Truncate(l, w-4)) + "\n")
		}
	default:
		b.WriteString(st.Muted.Render(fmt.Sprintf("  + %s · o shows them", plural(len(m.logs), "client-library log line"))) + "\n")
	}
	return b.String()
}

// describe says what a variable is, in a few words.
func describe(v catalogue.Variable) string {
	switch v.Kind {
	case catalogue.KindTopic:
		s := "topic"
		if v.Partitions > 0 {
			s += fmt.Sprintf(", %d partitions", v.Partitions)
		}
		if !v.Created() {
			s += ", you create it"
		}
		return s
	case catalogue.KindFile:
		if v.Generator == catalogue.GeneratorModel {
			return "model file, a logistic regression as JSON"
		}
		if v.Count > 0 {
			return fmt.Sprintf("input file, %d orders as JSON lines", v.Count)
		}
		return "input file"
	case catalogue.KindGroup:
		return "consumer group"
	case catalogue.KindTime:
		return "a time, RFC 3339 with a UTC offset"
	case catalogue.KindDuration:
		return "a duration in whole seconds, like 4s"
	}
	return v.Kind
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// displayPath shortens a folder for the screen: relative to the folder
// streamlab started in when it is below it, else with the home folder as ~.
func displayPath(cwd, dir string) string {
	if cwd != "" {
		if rel, err := filepath.Rel(cwd, dir); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" && strings.HasPrefix(dir, home+string(filepath.Separator)) {
		return "~" + dir[len(home):]
	}
	return dir
}
