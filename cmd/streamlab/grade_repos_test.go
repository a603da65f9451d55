package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A class from --repos on the in-process cluster: a repository is
// cloned and graded, one that does not exist is its own error.
func TestGradeRepositories(t *testing.T) {
	isolate(t)
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	for k, v := range map[string]string{
		"GIT_CONFIG_GLOBAL": os.DevNull, "GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
		"GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
	} {
		t.Setenv(k, v)
	}
	root := t.TempDir()
	work := filepath.Join(root, "ada")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "streamlab.yaml"), []byte("run: echo I produce nothing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "x"}} {
		if out, err := exec.Command("git", append([]string{"-C", work}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %q: %v\n%s", args, err, out)
		}
	}
	list := filepath.Join(root, "repos.txt")
	if err := os.WriteFile(list, []byte("ada\nnobody.git\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "results")
	stdout, stderr, code := cli(t, "grade", "kafka/keyed-producer", "--repos", list, "--out", out, "--cluster", "embedded")
	if code != 2 {
		t.Fatalf("exit %d, want 2 (nobody is not cloned):\n%s%s", code, stdout, stderr)
	}
	if !regexp.MustCompile(`cloned ada: file://\S+/ada at [0-9a-f]{12}\n`).MatchString(stderr) || !strings.Contains(stderr, "not cloned: nobody: cloning file://") {
		t.Errorf("stderr should say what was cloned and what was not:\n%s", stderr)
	}
	if !regexp.MustCompile(`(?m)^ada\s.*fail`).MatchString(stdout) || !regexp.MustCompile(`(?m)^nobody\s.*error`).MatchString(stdout) {
		t.Errorf("summary:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(out, ".clones", "ada", "streamlab.yaml")); err != nil {
		t.Errorf("the clone is kept under --out: %v", err)
	}
}
