package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGradeUsage(t *testing.T) {
	isolate(t)
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"grade", "kafka/keyed-producer"}, "--submissions DIR"},
		{[]string{"grade", "kafka/keyed-producer", "--submissions", empty, "--list", "x"}, "either"},
		{[]string{"grade", "kafka/keyed-producer", "--submissions", empty, "--jobs", "-1"}, "--jobs"},
		{[]string{"grade", "kafka/keyed-producer", "--submissions", empty}, empty + " holds no submission"},
		{[]string{"grade", "kafka/keyed-producer", "--list", filepath.Join(empty, "list.txt")}, "list.txt"},
		{[]string{"grade", "kafka/keyed-prodcer", "--submissions", empty}, "kafka/keyed-producer"},
	} {
		out, stderr, code := cli(t, tc.args...)
		if code != 3 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, want 3 saying %q\n%s%s", tc.args, code, tc.want, out, stderr)
		}
	}
	out, _, code := cli(t, "grade", "--help")
	for _, want := range []string{"Usage", "Examples", "Exit codes", "--submissions", "--list", "--jobs", "--out", "--force", "results.json", "gradebook.csv"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("grade --help lacks %q (exit %d):\n%s", want, code, out)
		}
	}
}

// A small class on the in-process cluster: a solution, a starter and a
// folder with no program, graded twice into one --out.
func TestGradeAClassOnEmbedded(t *testing.T) {
	state, ws := isolate(t)
	root := repoRoot(t)
	subs := t.TempDir()
	// Linked into the clone, so that the Go programs build in its module.
	for name, target := range map[string]string{
		"ada": filepath.Join(root, "solutions", "kafka", "02-keyed-producer"),
		"bob": filepath.Join(root, "exercises", "kafka", "02-keyed-producer"),
	} {
		if err := os.Symlink(target, filepath.Join(subs, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(subs, "cy"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "results")
	args := []string{"grade", "kafka/keyed-producer", "--submissions", subs, "--out", out, "--jobs", "2", "--cluster", "embedded"}

	stdout, stderr, code := cli(t, args...)
	if code != 2 {
		t.Fatalf("exit %d, want 2 (cy has no program):\n%s%s", code, stdout, stderr)
	}
	lines := strings.Split(stdout, "\n")
	if !strings.HasPrefix(lines[0], "SUBMISSION") || !strings.Contains(lines[1], "ada") || !strings.Contains(lines[1], "pass") ||
		!strings.Contains(lines[2], "bob") || !strings.Contains(lines[2], "fail") || !strings.Contains(lines[3], "cy") || !strings.Contains(lines[3], "error") {
		t.Fatalf("summary:\n%s\nstderr:\n%s", stdout, stderr)
	}
	if !strings.Contains(stdout, "error: cy: "+filepath.Join(subs, "cy")) || !strings.Contains(stderr, "cluster: embedded") || !strings.Contains(stderr, "[3/3]") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	for _, p := range []string{"ada/check.json", "ada/junit.xml", "ada/results.json", "bob/results.json", "cy/results.json", "gradebook.csv"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Error(err)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(out, "gradebook.csv"))
	if !strings.Contains(string(csv), "ada,kafka/keyed-producer,") || !strings.Contains(string(csv), ",pass,") {
		t.Errorf("gradebook.csv:\n%s", csv)
	}
	// The instructor's own course is untouched: no progress, no solution.
	if b, err := os.ReadFile(filepath.Join(state, "progress.json")); err == nil && strings.Contains(string(b), "keyed-producer") {
		t.Errorf("grading recorded progress:\n%s", b)
	}
	if _, err := os.Stat(ws); err == nil {
		t.Error("grading created or wrote the workspace")
	}

	stdout, stderr, code = cli(t, args...)
	if code != 2 || strings.Count(stdout, "skipped (unchanged)") != 2 {
		t.Fatalf("a second grade should skip ada and bob: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, _, _ = cli(t, append(args, "--force")...)
	if strings.Contains(stdout, "skipped") {
		t.Fatalf("--force skipped:\n%s", stdout)
	}
}
