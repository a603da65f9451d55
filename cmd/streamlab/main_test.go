package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv("STREAMLAB_STATE_DIR", t.TempDir())
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	var ee exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case err != nil:
		errb.WriteString(err.Error())
		code = 2
	}
	return out.String(), errb.String(), code
}

func TestCheckSolutionPassesAsJSON(t *testing.T) {
	out, stderr, code := runCLI(t, "check", "kafka/keyed-producer", "--dir", "../../solutions/kafka/02-keyed-producer", "--cluster", "embedded", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, stderr)
	}
	var res struct {
		Version  int    `json:"version"`
		Status   string `json:"status"`
		Score    int    `json:"score"`
		MaxScore int    `json:"max_score"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if res.Version != 3 || res.Status != "pass" || res.Score != res.MaxScore || res.MaxScore == 0 {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(stderr, "cluster: embedded") {
		t.Fatalf("stderr does not say which cluster ran:\n%s", stderr)
	}
}

func TestCheckStarterFailsWithExitCode1(t *testing.T) {
	out, _, code := runCLI(t, "check", "kafka/keyed-producer", "--dir", "../../exercises/kafka/02-keyed-producer", "--cluster", "embedded")
	if code != 1 || !strings.Contains(out, "FAIL kafka/keyed-producer") || !strings.Contains(out, "has a key") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestCheckPulsarOnEmbeddedIsAnErrorWithRemedy(t *testing.T) {
	out, _, code := runCLI(t, "check", "pulsar/produce-consume", "--dir", "../../solutions/pulsar/01-produce-consume", "--cluster", "embedded", "--format", "json")
	if code != 2 || !strings.Contains(out, `"status": "error"`) || !strings.Contains(out, "--cluster local") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestUnknownExerciseListsTheIDs(t *testing.T) {
	_, stderr, code := runCLI(t, "check", "kafka/nope")
	if code != 2 || !strings.Contains(stderr, "kafka/keyed-producer") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestHintsAreProgressive(t *testing.T) {
	t.Setenv("STREAMLAB_STATE_DIR", t.TempDir())
	var seen []string
	for range 4 {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"hint", "kafka/create-topic"}, &out, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, out.String())
	}
	if !strings.HasPrefix(seen[0], "Hint 1 of") || !strings.HasPrefix(seen[1], "Hint 2 of") || seen[0] == seen[1] {
		t.Fatalf("hints do not progress: %q", seen[:2])
	}
	if !strings.Contains(seen[3], "last hint") {
		t.Fatalf("after the last hint it should say so: %q", seen[3])
	}
}

func TestResetRestoresStarterAndKeepsTheOldFile(t *testing.T) {
	state := t.TempDir()
	t.Setenv("STREAMLAB_STATE_DIR", state)
	dir := t.TempDir()
	mine := filepath.Join(dir, "main.go")
	if err := os.WriteFile(mine, []byte("package main // my work\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"reset", "kafka/create-topic", "--dir", dir}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(mine)
	if !strings.Contains(string(got), "TODO") {
		t.Fatalf("main.go is not the starter:\n%s", got)
	}
	matches, _ := filepath.Glob(filepath.Join(state, "backups", "kafka", "create-topic", "*", "main.go"))
	if len(matches) != 1 {
		t.Fatalf("the learner's file was not kept: %v\n%s", matches, out.String())
	}
	kept, _ := os.ReadFile(matches[0])
	if string(kept) != "package main // my work\n" {
		t.Fatalf("kept %q", kept)
	}
}

func TestValidateReportsProblemsWithExit1(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "labs"), 0o755)
	os.MkdirAll(filepath.Join(dir, "exercises", "kafka", "01-x"), 0o755)
	os.MkdirAll(filepath.Join(dir, "solutions"), 0o755)
	os.WriteFile(filepath.Join(dir, "exercises", "kafka", "01-x", "exercise.yaml"), []byte("title: x\ncluster: kafak\n"), 0o644)
	_, stderr, code := runCLI(t, "validate", dir)
	if code != 1 || !strings.Contains(stderr, "exercise.yaml:2: cluster must be kafka or pulsar") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	out, _, code := runCLI(t, "validate", "../..")
	if code != 0 || !strings.Contains(out, "no problems") {
		t.Fatalf("the repository's own content: exit %d %s", code, out)
	}
}

func TestListJSON(t *testing.T) {
	out, _, code := runCLI(t, "list", "--format", "json")
	var items []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &items) != nil || len(items) < 8 {
		t.Fatalf("exit %d: %s", code, out)
	}
}

// A program that does not compile fails (it is the learner's to fix), with
// the compiler's message, and the score keeps the exercise's maximum.
func TestCheckOfAProgramThatDoesNotBuild(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module broken\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { undefinedThing() }\n"), 0o644)
	out, _, code := runCLI(t, "check", "kafka/create-topic", "--dir", dir, "--cluster", "embedded", "--format", "json")
	var res struct {
		Status   string `json:"status"`
		MaxScore int    `json:"max_score"`
		Tests    []struct {
			Name   string `json:"name"`
			Output string `json:"output"`
		} `json:"tests"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if code != 1 || res.Status != "fail" || res.MaxScore != 4 || !strings.Contains(res.Tests[0].Output, "undefinedThing") {
		t.Fatalf("exit %d: %s", code, out)
	}
}
