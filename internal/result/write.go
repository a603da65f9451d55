package result

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
)

// Formats accepted by Write.
var Formats = []string{"text", "json", "junit"}

// Write renders r in format.
func Write(w io.Writer, r Result, format string) error {
	switch format {
	case "", "text":
		return WriteText(w, r, TextOptions{})
	case "json":
		return writeJSON(w, r)
	case "junit":
		return writeJUnit(w, r)
	}
	return fmt.Errorf("unknown format %q (use %s)", format, strings.Join(Formats, ", "))
}

var marks = map[Status]string{Pass: "✓", Fail: "✗", Error: "!"}

// TextOptions fit the text verdict to where it is read.
type TextOptions struct {
	// Width is the number of columns messages wrap at; 0 means 80.
	Width int
	// Color styles the verdict with ANSI colours: for a terminal only,
	// never for a file, a pipe or when NO_COLOR is set.
	Color bool
}

// textStyles colour the verdict; all plain when colour is off.
type textStyles struct {
	status map[Status]lipgloss.Style
	faint  lipgloss.Style
}

func newTextStyles(color bool) textStyles {
	plain := lipgloss.NewStyle()
	st := textStyles{status: map[Status]lipgloss.Style{Pass: plain, Fail: plain, Error: plain}, faint: plain}
	if color {
		st.status[Pass] = plain.Foreground(lipgloss.Green).Bold(true)
		st.status[Fail] = plain.Foreground(lipgloss.Red).Bold(true)
		st.status[Error] = plain.Foreground(lipgloss.Yellow).Bold(true)
		st.faint = plain.Faint(true)
	}
	return st
}

// WriteText renders r for a person: each check with its mark, what a
// failing one saw and the program's last lines, then the verdict, wrapped
// to opts.Width.
func WriteText(w io.Writer, r Result, opts TextOptions) error {
	width := opts.Width
	if width <= 0 {
		width = 80
	}
	st := newTextStyles(opts.Color)
	var b strings.Builder
	for _, t := range r.Tests {
		mark := st.status[t.Status].Render(marks[t.Status])
		fmt.Fprintf(&b, "%s\n", wrapIndent(t.Name, width, "  "+mark+" ", "    "))
		if t.Status != Pass && t.Message != "" {
			fmt.Fprintf(&b, "%s\n", wrapIndent(t.Message, width, "      ", "      "))
		}
		if t.Status != Pass && strings.TrimSpace(t.Output) != "" {
			bar := st.faint.Render("│") + " "
			fmt.Fprintf(&b, "      output (last lines):\n%s\n", wrapIndent(LastLines(t.Output, 15), width, "      "+bar, "      "+bar))
		}
	}
	verdict := strings.ToUpper(string(r.Status))
	if r.Status != Pass && r.Status != Fail {
		verdict = "ERROR"
	}
	verdict = st.status[r.Status].Render(verdict)
	switch r.Status {
	case Pass, Fail:
		fmt.Fprintf(&b, "\n%s %s (%d/%d points)\n", verdict, r.Exercise, r.Score, r.MaxScore)
	default:
		fmt.Fprintf(&b, "\n%s\n", wrapIndent(fmt.Sprintf("%s %s: %s", verdict, r.Exercise, r.Message), width, "", "  "))
		fmt.Fprintf(&b, "%s\n", wrapIndent("This is a problem with the cluster or with streamlab, not with your program.", width, "", ""))
	}
	if r.Status == Fail && r.Message != "" {
		fmt.Fprintf(&b, "%s\n", wrapIndent(r.Message, width, "", ""))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// LastLines is the last n lines of s.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// wrapIndent wraps each line of s to width columns: the first line starts
// with first, every other line (a line of s or a wrapped one) with rest.
// Words longer than a line are broken; a very narrow terminal still gets
// at least 20 columns of text.
func wrapIndent(s string, width int, first, rest string) string {
	text := max(width-max(lipgloss.Width(first), lipgloss.Width(rest)), 20)
	var out []string
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		out = append(out, strings.Split(lipgloss.Wrap(line, text, " "), "\n")...)
	}
	for i, l := range out {
		if i == 0 {
			out[i] = first + l
		} else {
			out[i] = rest + l
		}
	}
	return strings.Join(out, "\n")
}

// jsonResult is the Exercism test-runner v3 shape plus max_score, which
// GitHub Classroom's autograder reads along with each test's score.
type jsonResult struct {
	Version  int        `json:"version"`
	Status   Status     `json:"status"`
	Message  string     `json:"message,omitempty"`
	Tests    []jsonTest `json:"tests"`
	Score    int        `json:"score"`
	MaxScore int        `json:"max_score"`
	Exercise string     `json:"exercise"`
	Cluster  string     `json:"cluster,omitempty"`
	Seed     uint64     `json:"seed"`
}

type jsonTest struct {
	Name     string `json:"name"`
	Status   Status `json:"status"`
	Message  string `json:"message,omitempty"`
	Output   string `json:"output,omitempty"`
	Score    int    `json:"score"`
	MaxScore int    `json:"max_score"`
}

func writeJSON(w io.Writer, r Result) error {
	out := jsonResult{Version: 3, Status: r.Status, Message: r.Message, Score: r.Score, MaxScore: r.MaxScore,
		Exercise: r.Exercise, Cluster: r.Cluster, Seed: r.Seed, Tests: []jsonTest{}}
	for _, t := range r.Tests {
		out.Tests = append(out.Tests, jsonTest{t.Name, t.Status, t.Message, t.Output, t.Score, t.MaxScore})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

type junitSuites struct {
	XMLName xml.Name   `xml:"testsuites"`
	Suites  []junitRun `xml:"testsuite"`
}

type junitRun struct {
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     junitSeconds `xml:"time,attr"`
	Cases    []junitCase  `xml:"testcase"`
	Out      string       `xml:"system-out,omitempty"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      junitSeconds  `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

// junitSeconds is a time attribute: seconds as a plain decimal to the
// millisecond, as JUnit readers want it. A bare float64 would come out as
// "3e-06" for a check that took microseconds, which is not a decimal.
type junitSeconds float64

func (s junitSeconds) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	return xml.Attr{Name: name, Value: strconv.FormatFloat(max(float64(s), 0), 'f', 3, 64)}, nil
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(w io.Writer, r Result) error {
	run := junitRun{Name: r.Exercise, Out: r.Output}
	for _, t := range r.Tests {
		c := junitCase{Name: t.Name, Classname: r.Exercise, Time: junitSeconds(t.Duration.Seconds())}
		run.Time += c.Time
		switch t.Status {
		case Fail:
			c.Failure = &junitProblem{Message: t.Message, Text: t.Output}
			run.Failures++
		case Error:
			c.Error = &junitProblem{Message: t.Message, Text: t.Output}
			run.Errors++
		}
		run.Cases = append(run.Cases, c)
	}
	if r.Status == Error && run.Errors == 0 {
		// The run failed before any test could: report it as a case so CI shows it.
		run.Cases = append(run.Cases, junitCase{Name: "grading", Classname: r.Exercise, Error: &junitProblem{Message: r.Message}})
		run.Errors++
	}
	run.Tests = len(run.Cases)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitRun{run}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
