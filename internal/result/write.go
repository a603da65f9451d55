package result

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Formats accepted by Write.
var Formats = []string{"text", "json", "junit"}

// Write renders r in format.
func Write(w io.Writer, r Result, format string) error {
	switch format {
	case "", "text":
		return writeText(w, r)
	case "json":
		return writeJSON(w, r)
	case "junit":
		return writeJUnit(w, r)
	}
	return fmt.Errorf("unknown format %q (use %s)", format, strings.Join(Formats, ", "))
}

var marks = map[Status]string{Pass: "✓", Fail: "✗", Error: "!"}

func writeText(w io.Writer, r Result) error {
	var b strings.Builder
	for _, t := range r.Tests {
		fmt.Fprintf(&b, "  %s %s\n", marks[t.Status], t.Name)
		if t.Status != Pass && t.Message != "" {
			fmt.Fprintf(&b, "%s\n", indent(t.Message, "      "))
		}
		if t.Status != Pass && strings.TrimSpace(t.Output) != "" {
			fmt.Fprintf(&b, "      output (last lines):\n%s\n", indent(lastLines(t.Output, 15), "      │ "))
		}
	}
	switch r.Status {
	case Pass:
		fmt.Fprintf(&b, "\nPASS %s (%d/%d points)\n", r.Exercise, r.Score, r.MaxScore)
	case Fail:
		fmt.Fprintf(&b, "\nFAIL %s (%d/%d points)\n", r.Exercise, r.Score, r.MaxScore)
	default:
		fmt.Fprintf(&b, "\nERROR %s: %s\n", r.Exercise, r.Message)
		b.WriteString("This is a problem with the cluster or with streamlab, not with your program.\n")
	}
	if r.Status == Fail && r.Message != "" {
		fmt.Fprintf(&b, "%s\n", r.Message)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n")
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
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
	Out      string      `xml:"system-out,omitempty"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(w io.Writer, r Result) error {
	run := junitRun{Name: r.Exercise, Out: r.Output}
	for _, t := range r.Tests {
		c := junitCase{Name: t.Name, Classname: r.Exercise, Time: t.Duration.Seconds()}
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
