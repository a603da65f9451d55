package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/internal/workspace"
)

func TestGradeCourseUsage(t *testing.T) {
	isolate(t)
	subs := t.TempDir()
	if err := os.MkdirAll(filepath.Join(subs, "ada", "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"grade", "--course", "kafka/keyed-producer", "--submissions", subs}, "takes no exercise id"},
		{[]string{"grade", "kafka/keyed-producer", "--exercises", "kafka/create-topic", "--submissions", subs}, "--exercises picks the exercises of a --course grade"},
		{[]string{"grade", "--course", "--exercises", "kafka/keyed-prodcer", "--submissions", subs}, "kafka/keyed-producer"},
		{[]string{"grade", "--course", "--exercises", " , ", "--submissions", subs}, "--exercises names no exercise"},
		{[]string{"grade", "--course", "--submissions", subs}, "no submission has a folder of any exercise"},
		{[]string{"grade", "--course", "--exercises", "create-topic", "--submissions", subs}, "no submission has a folder for kafka/01-create-topic"},
	} {
		out, stderr, code := cli(t, tc.args...)
		if code != 3 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, want 3 saying %q\n%s%s", tc.args, code, tc.want, out, stderr)
		}
	}
	out, _, code := cli(t, "grade", "--help")
	for _, want := range []string{"--course", "--exercises", "OUT/TRACK/SLUG", "EXERCISE: CHECK"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("grade --help lacks %q (exit %d):\n%s", want, code, out)
		}
	}
}

// Two workspaces on the in-process cluster, through the command: one
// with both exercises solved, one with a starter and a folder holding no
// program (an error: exit 2).
func TestGradeACourseOnEmbedded(t *testing.T) {
	isolate(t)
	root := repoRoot(t)
	mod := workspace.ModuleFrom(streamlab.GoMod, streamlab.GoSum)
	subs := t.TempDir()
	for name, files := range map[string]map[string]string{
		"ada": {
			"kafka/01-create-topic/main.go":   filepath.Join(root, "solutions/kafka/01-create-topic/main.go"),
			"kafka/02-keyed-producer/main.go": filepath.Join(root, "solutions/kafka/02-keyed-producer/main.go"),
		},
		"bob": {"kafka/01-create-topic/main.go": filepath.Join(root, "exercises/kafka/01-create-topic/main.go")},
	} {
		for to, from := range files {
			copyFile(t, from, filepath.Join(subs, name, to))
		}
		for f, b := range map[string][]byte{"go.mod": mod.GoMod, "go.sum": mod.GoSum} {
			if err := os.WriteFile(filepath.Join(subs, name, f), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(subs, "bob", "kafka", "keyed-producer"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "results")
	stdout, stderr, code := cli(t, "grade", "--course", "--submissions", subs, "--out", out, "--jobs", "2", "--cluster", "embedded")
	if code != 2 {
		t.Fatalf("exit %d, want 2 (bob's keyed-producer has no program):\n%s%s", code, stdout, stderr)
	}
	lines := strings.Split(stdout, "\n")
	if f := strings.Fields(lines[0]); strings.Join(f, " ") != "SUBMISSION kafka/create-topic kafka/keyed-producer TOTAL" {
		t.Errorf("header %q", lines[0])
	}
	if f := strings.Fields(lines[1]); strings.Join(f, " ") != "ada 4/4 8/8 12/12" {
		t.Errorf("ada's line %q:\n%s%s", lines[1], stdout, stderr)
	}
	if f := strings.Fields(lines[2]); len(f) != 4 || f[0] != "bob" || f[1] != "0/4" || f[2] != "error" || f[3] != "0/12" {
		t.Errorf("bob's line %q:\n%s%s", lines[2], stdout, stderr)
	}
	if !strings.Contains(stdout, "error: bob: kafka/keyed-producer: "+filepath.Join(subs, "bob", "kafka", "keyed-producer")) {
		t.Errorf("the error's reason is not on stdout:\n%s", stdout)
	}
	if !strings.Contains(stderr, "grading 2 submissions of kafka/create-topic (exercise 1 of 2)") {
		t.Errorf("stderr does not say which exercise is graded:\n%s", stderr)
	}
	csv, err := os.ReadFile(filepath.Join(out, "gradebook.csv"))
	if want := "submission,kafka/create-topic,kafka/keyed-producer,total,max_score,errors\nada,4,8,12,12,\nbob,0,0,0,12,kafka/keyed-producer\n"; err != nil || string(csv) != want {
		t.Errorf("gradebook.csv (%v):\n%s\nwant\n%s", err, csv, want)
	}
	for _, p := range []string{"ada/results.json", "bob/results.json", "kafka/create-topic/ada/check.json", "kafka/keyed-producer/bob/results.json", "kafka/keyed-producer/gradebook.csv"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Error(err)
		}
	}
}
