package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Without a terminal (a pipe, a file, CI) a class grade's progress is a
// plain line per submission, as it was before the live view: the same
// lines, and nothing that redraws.
func TestGradeProgressWithoutATerminal(t *testing.T) {
	isolate(t)
	subs := t.TempDir()
	// Folders with no program: graded at once, with no cluster.
	for _, n := range []string{"amy", "ben"} {
		if err := os.MkdirAll(filepath.Join(subs, n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	stdout, stderr, code := cli(t, "grade", "kafka/keyed-producer", "--submissions", subs, "--jobs", "1", "--cluster", "embedded")
	if code != 2 {
		t.Fatalf("exit %d, want 2 (no program is an error):\n%s%s", code, stdout, stderr)
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`^grading 2 submissions of kafka/keyed-producer, 1 at a time$`),
		regexp.MustCompile(`^\[1/2\] amy: error 0/[1-9][0-9]* \([0-9]+\.[0-9]s\)$`),
		regexp.MustCompile(`^  \S*amy\S* `),
		regexp.MustCompile(`^\[2/2\] ben: error 0/[1-9][0-9]* \([0-9]+\.[0-9]s\)$`),
		regexp.MustCompile(`^  \S*ben\S* `),
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(want), stderr)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d is %q, want %s", i+1, lines[i], re)
		}
	}
	if strings.Contains(stderr, "\x1b") {
		t.Errorf("terminal escapes on a stderr that is no terminal:\n%q", stderr)
	}
	if !strings.HasPrefix(stdout, "SUBMISSION") || !strings.Contains(stdout, "2 submissions: 0 pass, 0 fail, 2 error") {
		t.Errorf("summary:\n%s", stdout)
	}
}

// A file or a buffer is never redrawn in place.
func TestLiveTerminalOnlyOnATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "grade.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, w := range map[string]io.Writer{"a buffer": &bytes.Buffer{}, "a file": f} {
		if _, ok := liveTerminal(w); ok {
			t.Errorf("%s was taken for a terminal", name)
		}
	}
}
