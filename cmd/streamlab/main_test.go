package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/streamlab/streamlab/internal/result"
)

// isolate points streamlab's state, config and workspace at temporary
// folders, so a test never reads or writes the user's.
func isolate(t *testing.T) (state, ws string) {
	t.Helper()
	state = t.TempDir()
	ws = filepath.Join(t.TempDir(), "ws")
	t.Setenv("STREAMLAB_STATE_DIR", state)
	t.Setenv("STREAMLAB_CONFIG", filepath.Join(state, "no-config.yaml"))
	t.Setenv("STREAMLAB_WORKSPACE", ws)
	t.Setenv("STREAMLAB_CLUSTER", "")
	t.Setenv("NO_COLOR", "")
	return state, ws
}

// cli runs a command line in the environment the test set up.
func cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	var ee exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case err != nil:
		t.Fatalf("run returned %v, which is not an exit code", err)
	}
	return out.String(), errb.String(), code
}

// runCLI runs a command line with fresh state.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	isolate(t)
	return cli(t, args...)
}

// repoRoot is the clone's root, two folders up.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCheckSolutionPassesAsJSON(t *testing.T) {
	// "keyed-producer" is a slug only one exercise has: accepted as its id.
	out, stderr, code := runCLI(t, "check", "keyed-producer", "--dir", "../../solutions/kafka/02-keyed-producer", "--cluster", "embedded", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, stderr)
	}
	var res struct {
		Version  int    `json:"version"`
		Status   string `json:"status"`
		Exercise string `json:"exercise"`
		Score    int    `json:"score"`
		MaxScore int    `json:"max_score"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if res.Version != 3 || res.Status != "pass" || res.Exercise != "kafka/keyed-producer" || res.Score != res.MaxScore || res.MaxScore == 0 {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(stderr, "cluster: embedded") {
		t.Fatalf("stderr does not say which cluster ran:\n%s", stderr)
	}
	// Each progress line says its thing once: no line repeats a word
	// twice in a row ("starting starting") or is printed twice.
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if seen[line] {
			t.Errorf("progress line printed twice: %q", line)
		}
		seen[line] = true
		words := strings.Fields(line)
		for i := 1; i < len(words); i++ {
			if strings.EqualFold(strings.Trim(words[i], ":()"), strings.Trim(words[i-1], ":()")) {
				t.Errorf("progress line repeats itself: %q", line)
			}
		}
		if strings.Count(strings.ToLower(line), "embedded") > 1 {
			t.Errorf("progress line names the provider twice: %q", line)
		}
	}
	for _, stage := range []string{"grader: building", "grader: running", "grader: checking"} {
		if !strings.Contains(stderr, stage) {
			t.Errorf("stderr lacks %q:\n%s", stage, stderr)
		}
	}
}

// Text on a non-terminal: no colour, nothing wider than 80 columns.
func TestCheckStarterFailsWithExitCode1(t *testing.T) {
	out, _, code := runCLI(t, "check", "kafka/keyed-producer", "--dir", "../../exercises/kafka/02-keyed-producer", "--cluster", "embedded")
	if code != 1 || !strings.Contains(out, "FAIL kafka/keyed-producer") || !strings.Contains(out, "has a key") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Fatalf("colour in output that is not a terminal:\n%q", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(line) > 80 {
			t.Errorf("line wider than 80 columns: %q", line)
		}
	}
}

func TestTextVerdictWrapsAndColours(t *testing.T) {
	r := result.Result{Exercise: "kafka/x", Tests: []result.Test{
		{Name: "the topic exists", Status: result.Fail, Message: strings.Repeat("a long explanation of what was seen ", 6), MaxScore: 1},
	}}
	r.Finish()
	var b bytes.Buffer
	if err := result.WriteText(&b, r, result.TextOptions{Width: 40}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if utf8.RuneCountInString(line) > 40 {
			t.Errorf("line wider than 40 columns: %q", line)
		}
	}
	if !strings.Contains(b.String(), "      a long explanation") || strings.Contains(b.String(), "\x1b[") {
		t.Fatalf("plain text, indented messages:\n%s", b.String())
	}
	b.Reset()
	if err := result.WriteText(&b, r, result.TextOptions{Width: 40, Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\x1b[") || !strings.Contains(b.String(), "FAIL") {
		t.Fatalf("no colour when asked for:\n%q", b.String())
	}
}

func TestCheckPulsarOnEmbeddedIsAnErrorWithRemedy(t *testing.T) {
	out, _, code := runCLI(t, "check", "pulsar/produce-consume", "--dir", "../../solutions/pulsar/01-produce-consume", "--cluster", "embedded", "--format", "json")
	if code != 2 || !strings.Contains(out, `"status": "error"`) || !strings.Contains(out, "--cluster local") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestMistypedExerciseSuggestsTheClosest(t *testing.T) {
	out, stderr, code := runCLI(t, "check", "kafka/keyed-produce")
	if code != 3 || !strings.Contains(stderr, "did you mean kafka/keyed-producer") || out != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, cmd := range []string{"hint", "reset", "solution"} {
		if _, stderr, code := cli(t, cmd, "kafka/keyed-produce"); code != 3 || !strings.Contains(stderr, "kafka/keyed-producer") {
			t.Errorf("%s: exit %d: %s", cmd, code, stderr)
		}
	}
}

func TestUsageErrorsExit3(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{
		{"check"},
		{"check", "a", "b"},
		{"check", "kafka/create-topic", "--format", "yaml"},
		{"check", "kafka/create-topic", "--seed", "-1"},
		{"list", "--bogus"},
		{"chek"},
		{"cluster"},
		{"cluster", "sideways"},
		{"cluster", "up", "--kinds", "kafak"},
		{"validate", "/no/such/folder"},
	} {
		out, stderr, code := cli(t, args...)
		if code != 3 || stderr == "" {
			t.Errorf("%q: exit %d, want 3\n%s%s", args, code, out, stderr)
		}
	}
	if _, stderr, _ := cli(t, "chek"); !strings.Contains(stderr, "check") {
		t.Errorf("an unknown command should suggest the closest: %s", stderr)
	}
}

func TestMissingDirIsAUsageError(t *testing.T) {
	_, stderr, code := runCLI(t, "check", "kafka/create-topic", "--dir", filepath.Join(t.TempDir(), "nowhere"), "--cluster", "embedded")
	if code != 3 || !strings.Contains(stderr, "--dir") || !strings.Contains(stderr, "give the folder that holds your program") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// No --dir and no workspace: nothing to grade, and how to get one.
	_, stderr, code = cli(t, "check", "kafka/create-topic", "--cluster", "embedded")
	if code != 3 || !strings.Contains(stderr, "streamlab init") {
		t.Fatalf("no workspace: exit %d: %s", code, stderr)
	}
}

// A Go program outside any module cannot be built: that is a usage error
// that says how to fix it, never a fail.
func TestProgramOutsideAModule(t *testing.T) {
	_, ws := isolate(t)
	if _, stderr, code := cli(t, "init"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	dir := t.TempDir()
	copyFile(t, "../../solutions/kafka/01-create-topic/main.go", filepath.Join(dir, "main.go"))
	out, stderr, code := cli(t, "check", "kafka/create-topic", "--dir", dir, "--cluster", "embedded")
	want := "cp " + filepath.Join(ws, "go.mod") + " " + filepath.Join(ws, "go.sum") + " " + dir
	if code != 3 || !strings.Contains(stderr, want) || strings.Contains(out, "FAIL") {
		t.Fatalf("exit %d, want 3 with %q:\n%s%s", code, want, out, stderr)
	}
}

func TestHintsAreProgressive(t *testing.T) {
	isolate(t)
	var seen []string
	for range 4 {
		out, stderr, code := cli(t, "hint", "kafka/create-topic")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		seen = append(seen, out)
	}
	if !strings.HasPrefix(seen[0], "Hint 1 of") || !strings.HasPrefix(seen[1], "Hint 2 of") || seen[0] == seen[1] {
		t.Fatalf("hints do not progress: %q", seen[:2])
	}
	if !strings.Contains(seen[3], "last hint") {
		t.Fatalf("after the last hint it should say so: %q", seen[3])
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
	_, ws := isolate(t)
	out, _, code := cli(t, "list", "--format", "json")
	var items []struct {
		ID        string `json:"id"`
		Folder    string `json:"folder"`
		Workspace string `json:"workspace"`
		MaxScore  int    `json:"max_score"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &items) != nil || len(items) < 8 {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, it := range items {
		if it.Folder == "" || it.MaxScore == 0 || !strings.HasPrefix(it.Workspace, ws+string(filepath.Separator)) {
			t.Errorf("item %+v", it)
		}
	}
	if out, _, _ := cli(t, "list"); !strings.Contains(out, "streamlab init") || !strings.Contains(out, "kafka/create-topic") {
		t.Errorf("text list without a workspace:\n%s", out)
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

func TestHelpOnEveryCommand(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{
		{}, {"init"}, {"list"}, {"check"}, {"check", "kafka/create-topic"}, {"hint"}, {"reset"},
		{"solution"}, {"validate"}, {"cluster"}, {"cluster", "up"}, {"cluster", "down"},
		{"cluster", "status"}, {"completion"}, {"completion", "bash"}, {"help"}, {"version"},
		{"class"},
	} {
		for _, flag := range []string{"--help", "-h"} {
			out, stderr, code := cli(t, append(args, flag)...)
			if code != 0 || !strings.Contains(out, "Usage") || !strings.Contains(out, "Examples") || stderr != "" {
				t.Errorf("%q %s: exit %d\n%s\nstderr: %s", args, flag, code, out, stderr)
			}
		}
	}
	for _, args := range [][]string{{}, {"check"}} {
		out, _, _ := cli(t, append(args, "--help")...)
		if !strings.Contains(out, "Exit codes") || !strings.Contains(out, "3  usage") {
			t.Errorf("%q --help does not document the exit codes:\n%s", args, out)
		}
	}
	// --help does not run the command: no workspace, progress or cluster.
	if _, err := os.Stat(filepath.Join(os.Getenv("STREAMLAB_WORKSPACE"))); err == nil {
		t.Error("init --help created the workspace")
	}
}

func TestCompletion(t *testing.T) {
	isolate(t)
	out, _, code := cli(t, "completion", "bash")
	if code != 0 || !strings.Contains(out, "bash completion") || !strings.Contains(out, "__start_streamlab") {
		t.Fatalf("completion bash: exit %d\n%.300s", code, out)
	}
	out, _, code = cli(t, "__complete", "ch")
	if code != 0 || !strings.Contains(out, "check") {
		t.Fatalf("subcommands: exit %d\n%s", code, out)
	}
	for _, cmd := range []string{"check", "hint", "reset", "solution"} {
		out, _, code = cli(t, "__complete", cmd, "kafka/k")
		if code != 0 || !strings.Contains(out, "kafka/keyed-producer") || strings.Contains(out, "kafka/create-topic") || strings.Contains(out, "pulsar/") {
			t.Errorf("%s kafka/k: exit %d\n%s", cmd, code, out)
		}
	}
	out, _, _ = cli(t, "__complete", "check", "kafka/create-topic", "--cluster", "")
	if !strings.Contains(out, "embedded") || !strings.Contains(out, "local") {
		t.Errorf("--cluster completion:\n%s", out)
	}
}

// The whole life of a workspace: init, an edit, reset keeps it, the
// starter fails, the solution's code passes, the solution opens, and a
// give-up on another exercise. The course source is never touched.
func TestWorkspaceFlow(t *testing.T) {
	root := repoRoot(t)
	gitStatus := func() string {
		out, err := exec.Command("git", "-C", root, "status", "--porcelain", "exercises", "solutions", "labs").CombinedOutput()
		if err != nil {
			t.Skipf("git status: %v %s", err, out)
		}
		return string(out)
	}
	before := gitStatus()
	_, ws := isolate(t)

	out, stderr, code := cli(t, "init")
	if code != 0 || !strings.Contains(out, ws) || !strings.Contains(out, "files written") {
		t.Fatalf("init: exit %d\n%s%s", code, out, stderr)
	}
	mine := filepath.Join(ws, "kafka", "01-create-topic", "main.go")
	starter, err := os.ReadFile(mine)
	if err != nil || !strings.Contains(string(starter), "TODO") {
		t.Fatalf("the workspace has no starter: %v\n%s", err, starter)
	}
	if out, _, _ := cli(t, "init"); !strings.Contains(out, "0 files written") {
		t.Errorf("a second init should write nothing:\n%s", out)
	}

	// reset restores the starter and keeps the edit where it says.
	os.WriteFile(mine, []byte("package main // my work\n"), 0o644)
	out, stderr, code = cli(t, "reset", "kafka/create-topic")
	if code != 0 {
		t.Fatalf("reset: exit %d\n%s%s", code, out, stderr)
	}
	if got, _ := os.ReadFile(mine); string(got) != string(starter) {
		t.Fatalf("main.go is not the starter after reset:\n%s", got)
	}
	m := regexp.MustCompile(`kept in (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("reset does not say where the old files are:\n%s", out)
	}
	if kept, _ := os.ReadFile(filepath.Join(m[1], "main.go")); string(kept) != "package main // my work\n" {
		t.Fatalf("kept %q in %s", kept, m[1])
	}

	// The starter fails; no solution yet.
	revealed := filepath.Join(ws, "solutions", "kafka", "01-create-topic", "main.go")
	out, stderr, code = cli(t, "check", "kafka/create-topic", "--cluster", "embedded")
	if code != 1 || !strings.Contains(out, "FAIL kafka/create-topic") || !strings.Contains(stderr, "cluster: embedded") {
		t.Fatalf("starter: exit %d, want 1\n%s%s", code, out, stderr)
	}
	if _, err := os.Stat(revealed); err == nil {
		t.Fatal("the solution is in the workspace before a pass")
	}
	_, stderr, code = cli(t, "solution", "kafka/create-topic")
	if code != 3 || !strings.Contains(stderr, "--give-up") {
		t.Fatalf("solution before a pass: exit %d, want 3\n%s", code, stderr)
	}

	// The solution's code passes, and the solution opens.
	solution := filepath.Join(root, "solutions", "kafka", "01-create-topic", "main.go")
	copyFile(t, solution, mine)
	out, stderr, code = cli(t, "check", "create-topic", "--cluster", "embedded")
	if code != 0 || !strings.Contains(out, "PASS kafka/create-topic") {
		t.Fatalf("solution code: exit %d, want 0\n%s%s", code, out, stderr)
	}
	want, _ := os.ReadFile(solution)
	if got, err := os.ReadFile(revealed); err != nil || string(got) != string(want) {
		t.Fatalf("after a pass the workspace should hold the solution: %v", err)
	}
	out, stderr, code = cli(t, "solution", "kafka/create-topic")
	if code != 0 || !strings.Contains(out, string(want)) {
		t.Fatalf("solution after a pass: exit %d\n%s%s", code, out, stderr)
	}
	if out, _, _ := cli(t, "list"); !strings.Contains(out, "✓ kafka/create-topic") {
		t.Errorf("list does not show the pass:\n%s", out)
	}

	// Giving up on another exercise shows its solution and writes it.
	out, stderr, code = cli(t, "solution", "kafka/keyed-producer", "--give-up")
	want, _ = os.ReadFile(filepath.Join(root, "solutions", "kafka", "02-keyed-producer", "main.go"))
	if code != 0 || !strings.Contains(out, string(want)) {
		t.Fatalf("give up: exit %d\n%s%s", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(ws, "solutions", "kafka", "02-keyed-producer", "main.go")); err != nil {
		t.Fatalf("give up did not write the solution: %v", err)
	}
	if _, _, code = cli(t, "solution", "kafka/keyed-producer"); code != 0 {
		t.Fatalf("after giving up the solution stays open: exit %d", code)
	}

	if after := gitStatus(); after != before || (before == "" && after != "") {
		t.Fatalf("the course source changed:\nbefore:\n%s\nafter:\n%s", before, after)
	} else if before != "" {
		t.Logf("the course source has edits that are not this test's:\n%s", before)
	}
}

// The workspace's go.mod and go.sum are complete: every solution builds in
// it without a network.
func TestWorkspaceBuildsOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every solution")
	}
	_, ws := isolate(t)
	if _, stderr, code := cli(t, "init"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	solutions := filepath.Join(repoRoot(t), "solutions")
	n := 0
	err := filepath.WalkDir(solutions, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(solutions, path)
		copyFile(t, path, filepath.Join(ws, rel))
		n++
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("copying %d solution files: %v", n, err)
	}
	cmd := exec.Command("go", "build", "./...")
	cmd.Dir = ws
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly -buildvcs=false", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./... in the workspace: %v\n%s", err, out)
	}
}

// init in a clone whose exercises/ was edited (before workspaces) copies
// the edits into the new workspace and leaves the clone as it was.
func TestInitImportsALegacyClone(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	_, ws := isolate(t)
	clone := t.TempDir()
	rel := filepath.Join("exercises", "kafka", "01-create-topic", "main.go")
	copyFile(t, filepath.Join(repoRoot(t), rel), filepath.Join(clone, rel))
	os.WriteFile(filepath.Join(clone, "go.mod"), []byte("module github.com/streamlab/streamlab\n\ngo 1.26\n"), 0o644)
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "course"}} {
		if out, err := exec.Command("git", append([]string{"-C", clone}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	edit := "package main // my old work\n"
	os.WriteFile(filepath.Join(clone, rel), []byte(edit), 0o644)
	t.Chdir(clone)

	out, stderr, code := cli(t, "init")
	if code != 0 || !strings.Contains(out, "git -C "+clone+" restore exercises/") || !strings.Contains(out, "untouched") {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(ws, "kafka", "01-create-topic", "main.go")); string(got) != edit {
		t.Fatalf("the edit was not imported: %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(clone, rel)); string(got) != edit {
		t.Fatalf("the clone was changed: %q", got)
	}
}

// init refuses a workspace inside the course source.
func TestInitRefusesTheCourseSource(t *testing.T) {
	isolate(t)
	_, stderr, code := cli(t, "init", filepath.Join(repoRoot(t), "exercises", "ws"))
	if code != 3 || !strings.Contains(stderr, "never changes") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(repoRoot(t), "exercises", "ws")); err == nil {
		t.Fatal("a workspace was created inside the course source")
	}
}
