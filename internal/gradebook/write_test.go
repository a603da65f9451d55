package gradebook_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/result"
)

// validate checks v (decoded JSON) against the part of JSON Schema the
// Gradescope schema uses: type, enum, required, properties,
// additionalProperties, items, minimum, minLength.
func validate(schema map[string]any, v any, at string) []string {
	var errs []string
	fail := func(format string, a ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, a...)) }
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, v) {
		fail("%v is not one of %v", v, enum)
	}
	if t, ok := schema["type"]; ok {
		types := []any{t}
		if list, ok := t.([]any); ok {
			types = list
		}
		if !slices.ContainsFunc(types, func(t any) bool { return isType(v, t.(string)) }) {
			fail("%v (%T) is not of type %v", v, v, t)
			return errs
		}
	}
	if minimum, ok := schema["minimum"].(float64); ok {
		if n, ok := v.(float64); ok && n < minimum {
			fail("%v is below %v", n, minimum)
		}
	}
	if minLen, ok := schema["minLength"].(float64); ok {
		if s, ok := v.(string); ok && float64(len([]rune(s))) < minLen {
			fail("%q is shorter than %v", s, minLen)
		}
	}
	if obj, ok := v.(map[string]any); ok {
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asList(schema["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				fail("%s is required", r)
			}
		}
		for k, val := range obj {
			sub, ok := props[k].(map[string]any)
			if !ok {
				if schema["additionalProperties"] == false {
					fail("%s is not a field of the specification", k)
				}
				continue
			}
			errs = append(errs, validate(sub, val, at+"."+k)...)
		}
	}
	if arr, ok := v.([]any); ok {
		if items, ok := schema["items"].(map[string]any); ok {
			for i, item := range arr {
				errs = append(errs, validate(items, item, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return errs
}

func asList(v any) []any { l, _ := v.([]any); return l }

func isType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		n, ok := v.(float64)
		return ok && n == float64(int64(n))
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	}
	return false
}

func loadSchema(t testing.TB) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/gradescope-results.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// The validator itself must catch what the schema forbids, or a pass
// below proves nothing.
func TestSchemaValidatorCatchesMistakes(t *testing.T) {
	schema := loadSchema(t)
	for name, doc := range map[string]string{
		"missing tests":    `{"score": 1, "execution_time": 1, "output": ""}`,
		"score as string":  `{"score": "1", "execution_time": 1, "output": "", "tests": []}`,
		"unknown field":    `{"score": 1, "execution_time": 1, "output": "", "tests": [], "max_score": 3}`,
		"status error":     `{"score": 1, "execution_time": 1, "output": "", "tests": [{"name": "a", "score": 0, "max_score": 1, "status": "error", "output": "", "visibility": "visible"}]}`,
		"bad visibility":   `{"score": 1, "execution_time": 1, "output": "", "tests": [{"name": "a", "score": 0, "max_score": 1, "status": "failed", "output": "", "visibility": "public"}]}`,
		"negative score":   `{"score": -1, "execution_time": 1, "output": "", "tests": []}`,
		"test without max": `{"score": 1, "execution_time": 1, "output": "", "tests": [{"name": "a", "score": 0, "status": "failed", "output": "", "visibility": "visible"}]}`,
	} {
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatal(err)
		}
		if len(validate(schema, v, "$")) == 0 {
			t.Errorf("%s: the validator let it through", name)
		}
	}
}

// results are a pass, a fail with program output, and an error.
func results(t testing.TB) map[string]result.Result {
	ex := exercise(t, keyed)
	mk := func(status func(i int) result.Status) result.Result {
		r := result.Result{Exercise: ex.ID, Output: "hello\n"}
		for i, c := range ex.Checks {
			st := status(i)
			sc := 0
			if st == result.Pass {
				sc = c.Points
			}
			r.Tests = append(r.Tests, result.Test{Name: c.Name, Status: st, Score: sc, MaxScore: c.Points, Message: "saw <3> & \"quotes\"", Output: strings.Repeat("line\n", 100)})
		}
		r.Finish()
		return r
	}
	errored := mk(func(int) result.Status { return result.Error })
	errored.Message = "the broker went away"
	return map[string]result.Result{
		"pass": mk(func(int) result.Status { return result.Pass }),
		"fail": mk(func(i int) result.Status {
			return map[bool]result.Status{true: result.Fail, false: result.Pass}[i == 1]
		}),
		"error": errored,
	}
}

func TestGradescopeResultsFollowTheSpecification(t *testing.T) {
	schema := loadSchema(t)
	for name, r := range results(t) {
		var b bytes.Buffer
		if err := gradebook.WriteGradescope(&b, r, 12345*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, e := range validate(schema, v, "$") {
			t.Errorf("%s: %s", name, e)
		}
		var got struct {
			Score         float64
			ExecutionTime float64 `json:"execution_time"`
			Output        string
			Tests         []struct {
				Score          float64
				Status, Output string
			}
		}
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		var score float64
		for _, tc := range got.Tests {
			score += tc.Score
			if tc.Status == "failed" && tc.Score != 0 {
				t.Errorf("%s: a failed test scored %v", name, tc.Score)
			}
			if strings.Count(tc.Output, "line\n") > 30 {
				t.Errorf("%s: a test's output is not cut to its last lines", name)
			}
		}
		if score != got.Score || got.ExecutionTime != 12.35 {
			t.Errorf("%s: score %v (tests sum to %v), time %v", name, got.Score, score, got.ExecutionTime)
		}
		switch name {
		case "pass":
			if got.Score == 0 || !strings.Contains(got.Output, "pass") {
				t.Errorf("pass: %+v", got)
			}
		case "error":
			if got.Score != 0 || !strings.Contains(got.Output, "the broker went away") || !strings.Contains(got.Output, "not with your program") {
				t.Errorf("error: the output should say why and whose fault it is not: %q", got.Output)
			}
		}
	}
}

func TestWrittenResultsParse(t *testing.T) {
	out := t.TempDir()
	for name, r := range results(t) {
		e := gradebook.Entry{Submission: gradebook.Submission{Name: name}, Result: r, Hash: "h", Elapsed: time.Second}
		if err := gradebook.WriteResults(out, e); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(out, name, gradebook.JUnitFile))
		if err != nil {
			t.Fatal(err)
		}
		var suites struct {
			Suites []struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
				Errors   int `xml:"errors,attr"`
				Cases    []struct {
					Name    string `xml:"name,attr"`
					Failure *struct {
						Message string `xml:"message,attr"`
					} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(b, &suites); err != nil {
			t.Fatalf("%s: junit.xml does not parse: %v", name, err)
		}
		if len(suites.Suites) != 1 || suites.Suites[0].Tests != len(r.Tests) {
			t.Fatalf("%s: junit %+v", name, suites)
		}
		s := suites.Suites[0]
		if wantF, wantE := map[string]int{"fail": 1}[name], map[string]int{"error": len(r.Tests)}[name]; s.Failures != wantF || s.Errors != wantE {
			t.Errorf("%s: %d failures, %d errors", name, s.Failures, s.Errors)
		}
		if name == "fail" && s.Cases[1].Failure.Message != `saw <3> & "quotes"` {
			t.Errorf("a failure's message did not survive XML: %q", s.Cases[1].Failure.Message)
		}

		var check struct {
			Version  int
			Status   string
			Score    int
			MaxScore int `json:"max_score"`
		}
		b, err = os.ReadFile(filepath.Join(out, name, gradebook.CheckFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &check); err != nil || check.Version != 3 || check.Status != name || check.MaxScore != r.MaxScore {
			t.Errorf("%s: check.json %+v %v", name, check, err)
		}
		var direct bytes.Buffer
		_ = result.Write(&direct, r, "json")
		if !bytes.Equal(b, direct.Bytes()) {
			t.Errorf("%s: check.json differs from check --format json", name)
		}
	}
}

func TestGradebookCSVRoundTripsAndDefusesFormulas(t *testing.T) {
	r := results(t)["fail"]
	names := []string{"ada", `=HYPERLINK("http://x","y")`, "+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "comma, \"quoted\"", "new\nline", "ünï", "a=b"}
	var entries []gradebook.Entry
	for _, n := range names {
		entries = append(entries, gradebook.Entry{Submission: gradebook.Submission{Name: n}, Result: r, Elapsed: 1500 * time.Millisecond})
	}
	var b bytes.Buffer
	if err := gradebook.WriteGradebook(&b, entries); err != nil {
		t.Fatal(err)
	}
	// UTF-8 without a byte-order mark: the header's first cell must read
	// "submission" to the scripts and CSV readers that look for it.
	if raw := b.Bytes(); !utf8.Valid(raw) || bytes.HasPrefix(raw, []byte("\uFEFF")) {
		t.Errorf("gradebook.csv is not UTF-8 without a byte-order mark: %q", raw[:min(len(raw), 16)])
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], gradebook.GradebookHeader) || len(rows) != len(names)+1 {
		t.Fatalf("rows %q", rows)
	}
	for i, n := range names {
		row := rows[i+1]
		want := n
		if strings.ContainsAny(n[:1], "=+-@\t\r") {
			want = "'" + n
		}
		if row[0] != want {
			t.Errorf("name %q came back as %q, want %q", n, row[0], want)
		}
		if got := strings.Join(row[1:], "|"); got != fmt.Sprintf("%s|%d|%d|fail|1.5", keyed, r.Score, r.MaxScore) {
			t.Errorf("%q: row %q", n, got)
		}
	}
}

func TestSummarySaysWhatWasSkipped(t *testing.T) {
	rs := results(t)
	entries := []gradebook.Entry{
		{Submission: gradebook.Submission{Name: "ada"}, Result: rs["pass"], Elapsed: 2 * time.Second},
		{Submission: gradebook.Submission{Name: "bob"}, Result: rs["fail"], Skipped: true},
		{Submission: gradebook.Submission{Name: "cy"}, Result: rs["error"]},
	}
	var b bytes.Buffer
	if err := gradebook.WriteSummary(&b, entries); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"SUBMISSION", "ada ", fmt.Sprintf("%d/%d", rs["pass"].Score, rs["pass"].MaxScore), "2.0s",
		"bob ", "skipped (unchanged)", "3 submissions: 1 pass, 1 fail, 1 error", "error: cy: the broker went away",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("the summary has escape codes")
	}
}

// The files Grade writes under --out are the ones the formats above test.
func TestGradeWritesEveryFormat(t *testing.T) {
	f := newFake(t)
	_, subs := class(t, "pass-ada", "bob")
	out := t.TempDir()
	entries, err := gradebook.Grade(context.Background(), gradebook.Options{Session: f, Exercise: f.ex, Out: out}, subs)
	if err != nil {
		t.Fatal(err)
	}
	if err := gradebook.WriteGradebookFile(out, entries); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"pass-ada/check.json", "pass-ada/junit.xml", "pass-ada/results.json", "pass-ada/grade.json", "bob/results.json", "gradebook.csv"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Error(err)
		}
	}
}
