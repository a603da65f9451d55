package gradebook_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/result"
)

const keyed = "kafka/keyed-producer"

func exercise(t testing.TB, id string) *catalogue.Exercise {
	t.Helper()
	cat, err := catalogue.Load(streamlab.Content)
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise(id)
	if ex == nil {
		t.Fatalf("no exercise %s", id)
	}
	return ex
}

// fakeSession grades by the submission's folder name: a name starting
// with "pass" passes, "err" errors, anything else fails.
type fakeSession struct {
	ex       *catalogue.Exercise
	spec     []byte
	startErr error
	learner  string

	mu       sync.Mutex
	started  int
	checked  []course.CheckRequest
	running  int
	most     int
	checkErr map[string]error
}

func (f *fakeSession) StartCluster(ctx context.Context, k containers.Kind, progress func(containers.Event)) (containers.Cluster, auto.Choice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started++
	return nil, auto.Choice{}, f.startErr
}

func (f *fakeSession) Check(ctx context.Context, req course.CheckRequest) (result.Result, error) {
	f.mu.Lock()
	f.checked = append(f.checked, req)
	f.running++
	f.most = max(f.most, f.running)
	started := f.started
	err := f.checkErr[filepath.Base(req.Dir)]
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running--
		f.mu.Unlock()
	}()
	if started == 0 {
		return result.Result{}, errors.New("checked before the cluster was started")
	}
	if err != nil {
		return result.Result{}, err
	}
	r := result.Result{Exercise: f.ex.ID}
	name := filepath.Base(req.Dir)
	for i, c := range f.ex.Checks {
		st := result.Pass
		switch {
		case strings.HasPrefix(name, "err"):
			st = result.Error
		case !strings.HasPrefix(name, "pass") && i == 0:
			st = result.Fail
		}
		sc := 0
		if st == result.Pass {
			sc = c.Points
		}
		r.Tests = append(r.Tests, result.Test{Name: c.Name, Status: st, Score: sc, MaxScore: c.Points, Message: "saw " + name, Output: "line 1\nline 2\n"})
	}
	if strings.HasPrefix(name, "err") {
		r.Status, r.Message = result.Error, "the broker went away"
	}
	r.Finish()
	return r, nil
}

func (f *fakeSession) Choice(k containers.Kind) (auto.Choice, error)   { return auto.Choice{}, nil }
func (f *fakeSession) Cluster(k containers.Kind) containers.Cluster    { return nil }
func (f *fakeSession) SpecFile(ex *catalogue.Exercise) ([]byte, error) { return f.spec, nil }
func (f *fakeSession) Learner() string                                 { return f.learner }

func (f *fakeSession) checks() []course.CheckRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]course.CheckRequest(nil), f.checked...)
}

func newFake(t testing.TB) *fakeSession {
	ex := exercise(t, keyed)
	return &fakeSession{ex: ex, spec: []byte("spec v1")}
}

func class(t testing.TB, names ...string) (string, []gradebook.Submission) {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		write(t, dir, map[string]string{n + "/main.py": "print('" + n + "')\n"})
	}
	subs, _, err := gradebook.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, subs
}

func statuses(entries []gradebook.Entry) map[string]string {
	m := map[string]string{}
	for _, e := range entries {
		s := string(e.Result.Status)
		if e.Skipped {
			s += " skipped"
		}
		m[e.Submission.Name] = s
	}
	return m
}

func TestGradeChecksEachSubmissionAsSomeoneElsesOnOneCluster(t *testing.T) {
	f := newFake(t)
	f.learner = "teacher"
	_, subs := class(t, "pass-ada", "bob", "err-cy", "pass-dee", "eve")
	var done []string
	entries, err := gradebook.Grade(context.Background(), gradebook.Options{
		Session: f, Exercise: f.ex, Jobs: 2,
		Done: func(e gradebook.Entry) { done = append(done, e.Submission.Name) },
	}, subs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"pass-ada": "pass", "bob": "fail", "err-cy": "error", "pass-dee": "pass", "eve": "fail"}
	if got := statuses(entries); !maps.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	if f.started != 1 {
		t.Errorf("the cluster was started %d times, want once before any check", f.started)
	}
	if f.most > 2 {
		t.Errorf("%d checks ran at once with --jobs 2", f.most)
	}
	if len(done) != len(subs) {
		t.Errorf("Done was told of %v", done)
	}
	for _, req := range f.checks() {
		name := filepath.Base(req.Dir)
		if !req.GradeOnly {
			t.Errorf("%s was checked as the instructor's own program: progress and solutions would change", name)
		}
		if req.Run != gradebook.PythonRun {
			t.Errorf("%s: run %q", name, req.Run)
		}
		if !strings.HasPrefix(req.Learner, "teacher-") || req.Learner == "teacher-" {
			t.Errorf("%s: learner prefix %q should be the instructor's, then the submission's", name, req.Learner)
		}
	}
	if gradebook.ExitCode(entries) != 2 {
		t.Error("an error in the class should exit 2")
	}
	graded := slices.DeleteFunc(slices.Clone(entries), func(e gradebook.Entry) bool { return e.Result.Status == result.Error })
	if len(graded) != 4 || gradebook.ExitCode(graded) != 0 {
		t.Error("passes and fails only should exit 0")
	}
}

func TestASubmissionThatCannotBeGradedIsItsOwnError(t *testing.T) {
	f := newFake(t)
	dir, _ := class(t, "pass-ada")
	write(t, dir, map[string]string{"bob/notes.txt": ""})
	subs, _, err := gradebook.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	f.checkErr = map[string]error{"pass-ada": &course.UsageError{Msg: "not inside a Go module"}}
	entries, err := gradebook.Grade(context.Background(), gradebook.Options{Session: f, Exercise: f.ex, Jobs: 1}, subs)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Result.Status != result.Error || !strings.Contains(e.Result.Message, e.Submission.Dir) {
			t.Errorf("%s: %s %q should be an error naming its folder", e.Submission.Name, e.Result.Status, e.Result.Message)
		}
		if e.Result.MaxScore != f.ex.MaxScore() || len(e.Result.Tests) != len(f.ex.Checks) {
			t.Errorf("%s: max %d with %d tests: an error should still list every check", e.Submission.Name, e.Result.MaxScore, len(e.Result.Tests))
		}
	}
}

func TestNoClusterIsStartedForAClassWithNothingToRun(t *testing.T) {
	f := newFake(t)
	f.startErr = errors.New("no Docker, no Java")
	dir := t.TempDir()
	write(t, dir, map[string]string{"bob/notes.txt": ""})
	subs, _, _ := gradebook.Discover(dir)
	entries, err := gradebook.Grade(context.Background(), gradebook.Options{Session: f, Exercise: f.ex}, subs)
	if err != nil || f.started != 0 || entries[0].Result.Status != result.Error {
		t.Fatalf("err %v, started %d, entries %+v", err, f.started, entries)
	}
}

func TestAClusterThatDoesNotStartStopsTheGrade(t *testing.T) {
	f := newFake(t)
	f.startErr = errors.New("no Docker, no Java")
	_, subs := class(t, "pass-ada")
	if _, err := gradebook.Grade(context.Background(), gradebook.Options{Session: f, Exercise: f.ex}, subs); err == nil || !strings.Contains(err.Error(), "no Docker") {
		t.Fatalf("want the cluster's error, got %v", err)
	}
	if len(f.checks()) != 0 {
		t.Fatal("a submission was checked without a cluster")
	}
}

func TestRegradeSkipsWhatDidNotChange(t *testing.T) {
	f := newFake(t)
	dir, subs := class(t, "pass-ada", "bob", "err-cy", "pass-dee")
	out := filepath.Join(t.TempDir(), "results")
	grade := func(force bool) []gradebook.Entry {
		t.Helper()
		f.checked = nil
		entries, err := gradebook.Grade(context.Background(), gradebook.Options{Session: f, Exercise: f.ex, Out: out, Force: force, Jobs: 2}, subs)
		if err != nil {
			t.Fatal(err)
		}
		return entries
	}
	first := grade(false)
	if got := statuses(first); !maps.Equal(got, map[string]string{"pass-ada": "pass", "bob": "fail", "err-cy": "error", "pass-dee": "pass"}) {
		t.Fatalf("first grade %v", got)
	}

	// Unchanged: kept, except the error, which was not the learner's doing.
	again := grade(false)
	if got := statuses(again); !maps.Equal(got, map[string]string{"pass-ada": "pass skipped", "bob": "fail skipped", "err-cy": "error", "pass-dee": "pass skipped"}) {
		t.Fatalf("second grade %v", got)
	}
	if n := len(f.checks()); n != 1 {
		t.Fatalf("%d checks ran, want only the error's", n)
	}
	for i := range first {
		if again[i].Skipped && (again[i].Result.Score != first[i].Result.Score || again[i].Elapsed != first[i].Elapsed) {
			t.Errorf("%s: a skipped entry should carry its last grade: %+v", first[i].Submission.Name, again[i])
		}
	}

	// A changed file, a deleted result, a new file: graded again.
	write(t, dir, map[string]string{"pass-ada/main.py": "print('changed')\n", "pass-dee/helper.py": ""})
	if err := os.Remove(filepath.Join(out, "bob", gradebook.GradescopeFile)); err != nil {
		t.Fatal(err)
	}
	if got := statuses(grade(false)); !maps.Equal(got, map[string]string{"pass-ada": "pass", "bob": "fail", "err-cy": "error", "pass-dee": "pass"}) {
		t.Fatalf("after changes %v", got)
	}
	// What a run leaves behind is not a change.
	write(t, dir, map[string]string{"bob/__pycache__/x.cpython-311.pyc": "x", "bob/.git/HEAD": "x", "bob/mod.pyc": "x"})
	if got := statuses(grade(false))["bob"]; got != "fail skipped" {
		t.Fatalf("bob after a run's leftovers: %s", got)
	}
	// A changed exercise spec grades everyone again; so does --force.
	f.spec = []byte("spec v2")
	if got := statuses(grade(false))["bob"]; got != "fail" {
		t.Fatalf("bob after the spec changed: %s", got)
	}
	if got := statuses(grade(true))["bob"]; got != "fail" {
		t.Fatalf("bob with --force: %s", got)
	}
	// Without --out there is nothing to compare with.
	entries, err := gradebook.Grade(context.Background(), gradebook.Options{Session: f, Exercise: f.ex, Jobs: 2}, subs)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Skipped {
			t.Errorf("%s skipped without --out", e.Submission.Name)
		}
	}
}

func TestHashCoversFilesExerciseAndSpec(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"main.py": "print(1)\n", "lib/util.py": "x = 1\n"})
	h := func(ex string, spec string) string {
		t.Helper()
		s, err := gradebook.Hash(dir, ex, []byte(spec))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := h(keyed, "spec")
	if h(keyed, "spec") != base {
		t.Fatal("the hash is not stable")
	}
	if h("kafka/consumer-group", "spec") == base || h(keyed, "spec2") == base {
		t.Fatal("the hash ignores the exercise or its spec")
	}
	if err := os.Rename(filepath.Join(dir, "lib", "util.py"), filepath.Join(dir, "lib", "utils.py")); err != nil {
		t.Fatal(err)
	}
	renamed := h(keyed, "spec")
	if renamed == base {
		t.Fatal("the hash ignores a file's name")
	}
	if err := os.Chmod(filepath.Join(dir, "main.py"), 0o755); err != nil {
		t.Fatal(err)
	}
	if h(keyed, "spec") == renamed {
		t.Fatal("the hash ignores a script's run bit")
	}
}
