package result

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
)

func sample() Result {
	r := Result{Exercise: "kafka/keyed-producer", Cluster: "local", Seed: 7, Tests: []Test{
		{Name: "the program runs to completion", Status: Pass, Output: "produced 120 records\n"},
		{Name: "every record is keyed by its customer_id", Status: Fail, Message: "None of the 120 records has a key.", MaxScore: 2},
		{Name: "every input line arrived exactly once", Status: Pass, Score: 2, MaxScore: 2},
	}}
	r.Finish()
	return r
}

func TestFinishScoresAndStatus(t *testing.T) {
	r := sample()
	if r.Status != Fail || r.Score != 2 || r.MaxScore != 4 {
		t.Fatalf("status %s score %d/%d, want fail 2/4", r.Status, r.Score, r.MaxScore)
	}
	r.Tests[1].Status = Error
	r.Tests[1].Message = "the cluster did not answer"
	r.Status = ""
	r.Finish()
	if r.Status != Error || r.Score != 0 || !strings.Contains(r.Message, "did not answer") {
		t.Fatalf("an erroring test must make the run an error with its message: %+v", r)
	}
}

// The JSON is Exercism's test-runner v3 shape, plus the scores GitHub
// Classroom reads.
func TestJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, sample(), "json"); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["version"] != 3.0 || got["status"] != "fail" || got["max_score"] != 4.0 || got["score"] != 2.0 {
		t.Fatalf("top level %v", got)
	}
	tests := got["tests"].([]any)
	second := tests[1].(map[string]any)
	for _, k := range []string{"name", "status", "message", "score", "max_score"} {
		if _, ok := second[k]; !ok {
			t.Errorf("test lacks %q: %v", k, second)
		}
	}
	if second["status"] != "fail" {
		t.Errorf("test status %v", second["status"])
	}
}

func TestJUnitCountsFailuresAndErrors(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, sample(), "junit"); err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(b.Bytes(), &suites); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b.String())
	}
	s := suites.Suites[0]
	if s.Tests != 3 || s.Failures != 1 || s.Errors != 0 || s.Cases[1].Failure == nil {
		t.Fatalf("suite %+v", s)
	}

	b.Reset()
	if err := Write(&b, Result{Exercise: "x", Status: Error, Message: "no Java"}, "junit"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `<error message="no Java">`) {
		t.Fatalf("an error before any test is not reported:\n%s", b.String())
	}
}

func TestTextSaysWhatFailedAndWhy(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, sample(), "text"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"✗ every record is keyed by its customer_id", "None of the 120 records has a key.", "FAIL kafka/keyed-producer (2/4 points)"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "every input line arrived exactly once\n      ") {
		t.Errorf("a passing check should not print a message:\n%s", out)
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := Write(&bytes.Buffer{}, sample(), "yaml"); err == nil || !strings.Contains(err.Error(), "text, json, junit") {
		t.Fatalf("error %v does not list the formats", err)
	}
}
