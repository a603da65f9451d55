package course_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/internal/workspace"
)

// env is a session over the embedded course with a new workspace and
// state folder of its own.
type env struct {
	Session  *course.Session
	Root     string // the workspace
	StateDir string
}

func newEnv(t testing.TB, provider string, choose func(string, containers.Kind, auto.Options) (auto.Choice, error)) *env {
	t.Helper()
	e := &env{Root: filepath.Join(t.TempDir(), "ws"), StateDir: t.TempDir()}
	sess, err := course.Open(course.Options{
		Content: streamlab.Content, Module: workspace.ModuleFrom(streamlab.GoMod, streamlab.GoSum),
		Config:   config.Config{Cluster: provider, Workspace: e.Root},
		StateDir: e.StateDir, KeepRuns: true, Choose: choose,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Init(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = sess.Close(ctx)
	})
	e.Session = sess
	return e
}

// Starter is the exercise's folder in the workspace, with its starter.
func (e *env) Starter(t testing.TB, id string) string {
	t.Helper()
	return e.Session.ExerciseDir(e.exercise(t, id))
}

// Solution copies the reference solution over the workspace's starter,
// as a learner who solved the exercise would leave it.
func (e *env) Solution(t testing.TB, id string) string {
	t.Helper()
	ex := e.exercise(t, id)
	dir := e.Session.ExerciseDir(ex)
	for _, f := range ex.Files {
		b, err := fs.ReadFile(streamlab.Content, path.Join(ex.SolutionDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func (e *env) exercise(t testing.TB, id string) *catalogue.Exercise {
	t.Helper()
	ex := e.Session.Catalogue().Exercise(id)
	if ex == nil {
		t.Fatalf("no exercise %s", id)
	}
	return ex
}

func TestInitWritesEveryStarterAndKeepsWhatExists(t *testing.T) {
	e := newEnv(t, "embedded", nil)
	for _, ex := range e.Session.Catalogue().Exercises {
		for _, f := range append([]string{catalogue.SpecFile}, ex.Files...) {
			want, _ := fs.ReadFile(streamlab.Content, path.Join(ex.Dir, f))
			got, err := os.ReadFile(filepath.Join(e.Session.ExerciseDir(ex), f))
			if err != nil || string(got) != string(want) {
				t.Fatalf("%s/%s is not the starter (%v)", ex.ID, f, err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(e.Root, "solutions")); err == nil {
		t.Fatal("a new workspace holds solutions")
	}
	mine := filepath.Join(e.Starter(t, keyed), "main.go")
	if err := os.WriteFile(mine, []byte("package main // mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Session.Init()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created || len(rep.Written) != 0 {
		t.Fatalf("a second init wrote %v", rep.Written)
	}
	if b, _ := os.ReadFile(mine); string(b) != "package main // mine\n" {
		t.Fatal("init overwrote the learner's file")
	}
}

func TestInitRefusesTheCourseSource(t *testing.T) {
	wd, _ := os.Getwd()
	sess, err := course.Open(course.Options{
		Content: streamlab.Content, StateDir: t.TempDir(),
		Config: config.Config{Workspace: filepath.Join(wd, "..", "..", "exercises")},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sess.Init()
	var ue *course.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "inside the course source") {
		t.Fatalf("init inside the repository: %v", err)
	}
}

func TestResetRestoresThePristineStarterAndKeepsEveryCopy(t *testing.T) {
	e := newEnv(t, "embedded", nil)
	ctx := context.Background()
	dir := e.Starter(t, keyed)
	file := filepath.Join(dir, "main.go")
	var backups []string
	for i := range 3 { // three resets within one second
		edit := []byte("package main // edit " + string(rune('a'+i)) + "\n")
		if err := os.WriteFile(file, edit, 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := e.Session.Reset(ctx, keyed)
		if err != nil {
			t.Fatal(err)
		}
		kept, err := os.ReadFile(filepath.Join(rep.Backup, "main.go"))
		if err != nil || string(kept) != string(edit) {
			t.Fatalf("reset %d kept %q in %s (%v)", i, kept, rep.Backup, err)
		}
		backups = append(backups, rep.Backup)
	}
	if backups[0] == backups[1] || backups[1] == backups[2] {
		t.Fatalf("resets share a backup folder: %v", backups)
	}
	for _, b := range backups {
		if !strings.HasPrefix(b, e.Root) {
			t.Errorf("backup %s is outside the workspace", b)
		}
	}
	want, _ := fs.ReadFile(streamlab.Content, "exercises/kafka/02-keyed-producer/main.go")
	if got, _ := os.ReadFile(file); string(got) != string(want) {
		t.Fatal("reset did not write the pristine starter")
	}
	if rep, err := e.Session.Reset(ctx, keyed); err != nil || rep.Backup != "" {
		t.Fatalf("a reset of an unchanged starter kept a copy: %+v %v", rep, err)
	}
}

func TestResetNeverWritesThroughALink(t *testing.T) {
	e := newEnv(t, "embedded", nil)
	outside := filepath.Join(t.TempDir(), "elsewhere.yaml")
	if err := os.WriteFile(outside, []byte("someone else's file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(e.Starter(t, keyed), catalogue.SpecFile)
	if err := os.Remove(spec); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, spec); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Session.Reset(context.Background(), keyed)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(outside); string(b) != "someone else's file\n" {
		t.Fatalf("reset wrote through the link into %s", outside)
	}
	if fi, err := os.Lstat(spec); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("the spec is not a plain file again: %v", err)
	}
	if target, err := os.Readlink(filepath.Join(rep.Backup, catalogue.SpecFile)); err != nil || target != outside {
		t.Fatalf("the link was not kept: %q %v", target, err)
	}
}

func TestExerciseNamesAndSuggestions(t *testing.T) {
	e := newEnv(t, "embedded", nil)
	if ex, err := e.Session.Exercise("keyed-producer"); err != nil || ex.ID != keyed {
		t.Fatalf("a unique slug: %v", err)
	}
	for _, typo := range []string{"kafka/keyed-produce", "kafka/keyd-producer", "keyed-produce"} {
		_, err := e.Session.Exercise(typo)
		var u *course.UnknownExercise
		if !errors.As(err, &u) || len(u.Closest) == 0 || u.Closest[0] != keyed {
			t.Errorf("%s: %v", typo, err)
		}
	}
	_, err := e.Session.Exercise("zzzz")
	if err == nil || !strings.Contains(err.Error(), "kafka/create-topic") {
		t.Errorf("an unknown name should list the exercises: %v", err)
	}
}

func TestCheckGradesTheWorkspaceAndRevealsTheSolutionOnlyOnAPass(t *testing.T) {
	e := newEnv(t, "embedded", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const id = "kafka/create-topic"
	ex := e.exercise(t, id)
	solDir := filepath.Join(e.Root, "solutions", "kafka", "01-create-topic")

	res, err := e.Session.Check(ctx, course.CheckRequest{Exercise: ex})
	if err != nil || res.Status != result.Fail {
		t.Fatalf("the workspace's starter should fail: %v %+v", err, res)
	}
	if _, err := os.Stat(solDir); err == nil {
		t.Fatal("a fail revealed the solution")
	}
	if _, err := e.Session.Solution(id); !errors.Is(err, course.ErrSolutionLocked) {
		t.Fatalf("the solution opened before a pass: %v", err)
	}
	e.Solution(t, id)
	res, err = e.Session.Check(ctx, course.CheckRequest{Exercise: ex})
	if err != nil || res.Status != result.Pass {
		t.Fatalf("the solution in the workspace should pass: %v %+v", err, res)
	}
	if _, err := os.Stat(filepath.Join(solDir, "main.go")); err != nil {
		t.Fatalf("a pass did not reveal the solution in the workspace: %v", err)
	}
	if p := e.Session.Progress().Get(id); !p.Done || p.Attempts != 2 {
		t.Fatalf("progress %+v", p)
	}
}

func TestAGoProgramOutsideAModuleIsAUsageErrorWithTheRemedy(t *testing.T) {
	e := newEnv(t, "embedded", nil)
	ex := e.exercise(t, keyed)
	dir := t.TempDir()
	b, _ := fs.ReadFile(streamlab.Content, path.Join(ex.SolutionDir, "main.go"))
	if err := os.WriteFile(filepath.Join(dir, "main.go"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := e.Session.Check(context.Background(), course.CheckRequest{Exercise: ex, Dir: dir})
	var ue *course.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "cp "+filepath.Join(e.Root, "go.mod")) {
		t.Fatalf("want a usage error naming the go.mod to copy, got %v", err)
	}
	_, err = e.Session.Check(context.Background(), course.CheckRequest{Exercise: ex, Dir: filepath.Join(dir, "missing")})
	if !errors.As(err, &ue) {
		t.Fatalf("a missing folder: %v", err)
	}
	// With --run, any language: no go.mod is needed.
	if _, err := e.Session.Check(context.Background(), course.CheckRequest{Exercise: ex, Dir: dir, Run: "true"}); err != nil {
		t.Fatalf("--run outside a module: %v", err)
	}
}

func TestTheWorkspaceBuildsOffline(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	e := newEnv(t, "embedded", nil)
	for _, ex := range e.Session.Catalogue().Exercises {
		e.Solution(t, ex.ID)
	}
	cmd := exec.Command("go", "build", "./...")
	cmd.Dir = e.Root
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly -buildvcs=false", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the workspace does not build offline: %v\n%s", err, out)
	}
}

func TestImportKeepsALegacyLearnersEditsAndLeavesTheCloneAlone(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	clone := t.TempDir()
	starter := filepath.Join(clone, "exercises", "kafka", "02-keyed-producer", "main.go")
	files := map[string]string{
		"go.mod": "module github.com/streamlab/streamlab\n\ngo 1.26\n",
		"exercises/kafka/02-keyed-producer/main.go": "package main // starter\n",
	}
	for f, text := range files {
		p := filepath.Join(clone, filepath.FromSlash(f))
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", clone, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-qm", "course")
	if err := os.WriteFile(starter, []byte("package main // my work\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := workspace.FindLegacy(filepath.Join(clone, "exercises", "kafka"))
	if l == nil || len(l.Files) != 1 {
		t.Fatalf("the edited clone was not found: %+v", l)
	}
	e := newEnv(t, "embedded", nil)
	written, err := e.Session.Import(l)
	if err != nil || len(written) != 1 {
		t.Fatalf("import: %v %v", written, err)
	}
	if b, _ := os.ReadFile(filepath.Join(e.Starter(t, keyed), "main.go")); string(b) != "package main // my work\n" {
		t.Fatalf("the workspace does not hold the learner's work: %q", b)
	}
	if b, _ := os.ReadFile(starter); string(b) != "package main // my work\n" {
		t.Fatal("the clone was changed")
	}
}

func TestAProgressFileThatIsAFolderIsAWarningAndLeavesNothingBehind(t *testing.T) {
	state, tmp := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if err := os.Mkdir(filepath.Join(state, "progress.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		sess, err := course.Open(course.Options{Content: streamlab.Content, StateDir: state, Config: config.Config{Workspace: t.TempDir()}})
		if err != nil {
			t.Fatal(err)
		}
		if w := sess.Warnings(); len(w) == 0 || !strings.Contains(w[0], "is a directory") {
			t.Fatalf("warnings %q", w)
		}
		if n, err := sess.Hint(keyed); err != nil || n != 1 {
			t.Fatalf("hint in memory: %d %v", n, err)
		}
		_ = sess.Close(context.Background())
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("left behind in TMPDIR: %v", left)
	}
}
