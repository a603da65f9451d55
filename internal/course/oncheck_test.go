package course_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/internal/workspace"
)

// OnCheck hears of each check of the learner's own program, after it is
// recorded (so the progress it gets counts it, hints included), and of
// nothing else: not a grade-only check, not a request refused before
// anything ran.
func TestOnCheckHearsTheLearnersChecks(t *testing.T) {
	var (
		mu   sync.Mutex
		told []course.Checked
	)
	sess, err := course.Open(course.Options{
		Content: streamlab.Content, Module: workspace.ModuleFrom(streamlab.GoMod, streamlab.GoSum),
		Config:   config.Config{Cluster: "embedded", Learner: "ada", Workspace: filepath.Join(t.TempDir(), "ws")},
		StateDir: t.TempDir(),
		OnCheck:  func(c course.Checked) { mu.Lock(); told = append(told, c); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Init(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	defer sess.Close(ctx)
	e := &env{Session: sess}
	const id = "kafka/create-topic"
	ex := e.exercise(t, id)
	if _, err := sess.Hint(id); err != nil {
		t.Fatal(err)
	}
	dir := e.Solution(t, id)
	res, err := sess.Check(ctx, course.CheckRequest{Exercise: ex})
	if err != nil || res.Status != result.Pass {
		t.Fatalf("%v %+v", err, res)
	}
	if _, err := sess.Check(ctx, course.CheckRequest{Exercise: ex, Dir: dir, GradeOnly: true, Learner: "bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Check(ctx, course.CheckRequest{Exercise: ex, Dir: filepath.Join(t.TempDir(), "nowhere")}); err == nil {
		t.Fatal("a missing folder should be refused")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 1 {
		t.Fatalf("told of %d checks, want the learner's one", len(told))
	}
	c := told[0]
	if c.Session != sess || c.Learner != "ada" || c.Exercise != ex || c.Result.Status != result.Pass || c.Result.Score != res.Score {
		t.Errorf("told %+v", c)
	}
	if c.Progress.Attempts != 1 || !c.Progress.Done || c.Progress.HintsUsed != 1 {
		t.Errorf("the progress told does not count this check and the hint: %+v", c.Progress)
	}
	if c.Ended.Before(c.Started) || c.Started.IsZero() {
		t.Errorf("started %s, ended %s", c.Started, c.Ended)
	}
}
