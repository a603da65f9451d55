package gradebook

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/internal/safefile"
)

// Files written for each submission under Out/<name>/, and for the class.
const (
	CheckFile      = "check.json"   // as `streamlab check --format json` (Exercism v3 + scores)
	JUnitFile      = "junit.xml"    // as `streamlab check --format junit`
	GradescopeFile = "results.json" // Gradescope's autograder results
	RecordFile     = "grade.json"   // the hash the grade was made for, to skip it next time
	GradebookFile  = "gradebook.csv"
)

// record is what a later grade reads to skip an unchanged submission.
type record struct {
	Version    int           `json:"version"`
	Submission string        `json:"submission"`
	Exercise   string        `json:"exercise"`
	Hash       string        `json:"hash"`
	Elapsed    time.Duration `json:"elapsed_ns"`
	Result     result.Result `json:"result"`
	// What made the grade, for a person reading it: the streamlab, and
	// what was cloned for a repository.
	Streamlab string `json:"streamlab,omitempty"`
	Source    string `json:"source,omitempty"`
	Commit    string `json:"commit,omitempty"`
}

const recordVersion = 1

// WriteResults writes a submission's verdict in every format under
// out/<name>/. The record goes last, so that a grade cut short never
// leaves a record that would skip the submission next time.
func WriteResults(out string, e Entry) error {
	dir := filepath.Join(out, e.Submission.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(dir, RecordFile))
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{CheckFile, func(w io.Writer) error { return result.Write(w, e.Result, "json") }},
		{JUnitFile, func(w io.Writer) error { return result.Write(w, e.Result, "junit") }},
		{GradescopeFile, func(w io.Writer) error { return WriteGradescope(w, e.Result, e.Elapsed) }},
		{RecordFile, func(w io.Writer) error {
			return writeJSON(w, record{
				Version: recordVersion, Submission: e.Submission.Name, Exercise: e.Result.Exercise, Hash: e.Hash,
				Streamlab: Version(), Source: e.Submission.Source, Commit: e.Submission.Commit, Elapsed: e.Elapsed, Result: e.Result,
			})
		}},
	} {
		if err := writeFile(filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	return nil
}

// readRecord is the record of a submission's last grade under out.
func readRecord(out, name string) (record, error) {
	var rec record
	b, err := os.ReadFile(filepath.Join(out, name, RecordFile))
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, err
	}
	if rec.Version != recordVersion {
		return rec, fmt.Errorf("record version %d", rec.Version)
	}
	for _, f := range []string{CheckFile, JUnitFile, GradescopeFile} {
		if _, err := os.Stat(filepath.Join(out, name, f)); err != nil {
			return rec, err // a result was deleted: write it again
		}
	}
	return rec, nil
}

// writeFile replaces a file whole: a reader never sees half of it.
func writeFile(path string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	return safefile.Replace(path, b.Bytes())
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// gradescopeResults is the results.json of Gradescope's autograder
// specification (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
// only the fields it defines.
type gradescopeResults struct {
	Score         float64          `json:"score"`
	ExecutionTime float64          `json:"execution_time"`
	Output        string           `json:"output"`
	Visibility    string           `json:"visibility"`
	Tests         []gradescopeTest `json:"tests"`
}

type gradescopeTest struct {
	Name       string  `json:"name"`
	Score      float64 `json:"score"`
	MaxScore   float64 `json:"max_score"`
	Status     string  `json:"status"`
	Output     string  `json:"output"`
	Visibility string  `json:"visibility"`
}

// outputLines bounds the program output copied into a test's output:
// what a learner needs to see why, not a flood.
const outputLines = 30

// WriteGradescope writes r as Gradescope's results.json. Gradescope has
// no "error": a submission streamlab could not grade scores 0 with every
// test failed, and the output says why.
func WriteGradescope(w io.Writer, r result.Result, elapsed time.Duration) error {
	return writeJSON(w, gradescopeOf(r, elapsed))
}

// gradescopeOf is r as Gradescope's results; a course's results.json
// gathers several of these.
func gradescopeOf(r result.Result, elapsed time.Duration) gradescopeResults {
	out := gradescopeResults{
		Score: float64(r.Score), ExecutionTime: math.Round(elapsed.Seconds()*100) / 100,
		Visibility: "visible", Tests: []gradescopeTest{},
	}
	switch r.Status {
	case result.Pass, result.Fail:
		out.Output = fmt.Sprintf("%s: %s, %d/%d points.", r.Exercise, r.Status, r.Score, r.MaxScore)
		if r.Status == result.Fail && r.Message != "" {
			out.Output += "\n" + r.Message
		}
	default:
		out.Score = 0
		// The reason is either the submission's shape (no program, a
		// repository not cloned) or the grading machine's; the message
		// says which, so the text after it must fit both.
		out.Output = fmt.Sprintf("%s: not graded: %s\nIf this names something missing from your submission, fix it and submit again; otherwise it is a problem with the cluster or with streamlab, not with your program, and your instructor can grade it again.", r.Exercise, r.Message)
	}
	for _, t := range r.Tests {
		gt := gradescopeTest{Name: t.Name, Score: float64(t.Score), MaxScore: float64(t.MaxScore), Status: "failed", Visibility: "visible"}
		if t.Status == result.Pass && r.Status != result.Error {
			gt.Status = "passed"
		} else {
			gt.Score = 0
		}
		var text []string
		if t.Message != "" {
			text = append(text, t.Message)
		}
		if strings.TrimSpace(t.Output) != "" {
			text = append(text, "Output (last lines):\n"+result.LastLines(t.Output, outputLines))
		}
		gt.Output = strings.Join(text, "\n\n")
		out.Tests = append(out.Tests, gt)
	}
	return out
}

// GradebookHeader is the first row of gradebook.csv.
var GradebookHeader = []string{"submission", "exercise", "score", "max_score", "status", "seconds"}

// WriteGradebook writes the class as CSV, a row per submission.
func WriteGradebook(w io.Writer, entries []Entry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(GradebookHeader); err != nil {
		return err
	}
	for _, e := range entries {
		row := []string{
			e.Submission.Name, e.Result.Exercise, strconv.Itoa(e.Result.Score), strconv.Itoa(e.Result.MaxScore),
			string(e.Result.Status), strconv.FormatFloat(e.Elapsed.Seconds(), 'f', 1, 64),
		}
		for i := range row {
			row[i] = SafeCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// SafeCell keeps a spreadsheet from reading a cell as a formula: a cell
// that starts with = + - @ (or a tab or carriage return, which some
// spreadsheets skip before looking) gets a leading single quote. A
// submission's name is the learner's choice, so it may be anything.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteGradebookFile writes out/gradebook.csv.
func WriteGradebookFile(out string, entries []Entry) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return writeFile(filepath.Join(out, GradebookFile), func(w io.Writer) error { return WriteGradebook(w, entries) })
}

// WriteSummary writes the class as a table: submission, score, status
// and time, a line each, then why each error happened.
func WriteSummary(w io.Writer, entries []Entry) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBMISSION\tSCORE\tSTATUS\tTIME")
	counts := map[result.Status]int{}
	skipped := 0
	for _, e := range entries {
		counts[e.Result.Status]++
		took := fmt.Sprintf("%.1fs", e.Elapsed.Seconds())
		if e.Skipped {
			took = "skipped (unchanged)"
			skipped++
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\n", e.Submission.Name, e.Result.Score, e.Result.MaxScore, e.Result.Status, took)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d submissions: %d pass, %d fail, %d error", len(entries), counts[result.Pass], counts[result.Fail], counts[result.Error])
	if skipped > 0 {
		fmt.Fprintf(w, " (%d skipped: unchanged since their last grade; --force grades them again)", skipped)
	}
	fmt.Fprintln(w)
	for _, e := range entries {
		if e.Result.Status == result.Error {
			fmt.Fprintf(w, "error: %s: %s\n", e.Submission.Name, e.Result.Message)
		}
	}
	return nil
}
