package course_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
)

// An instructor grading a learner's program must not mark the exercise
// done, nor unlock its solution, in the instructor's own workspace; and
// the run's names carry the submission's prefix, not the instructor's.
func TestGradeOnlyRecordsNothingAndRevealsNothing(t *testing.T) {
	e := newEnv(t, "embedded", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const id = "kafka/create-topic"
	ex := e.exercise(t, id)
	dir := e.Solution(t, id)
	var (
		mu    sync.Mutex
		names map[string]string
	)
	res, err := e.Session.Check(ctx, course.CheckRequest{Exercise: ex, Dir: dir, GradeOnly: true, Learner: "ada-1",
		Events: func(ev grader.Event) {
			if ev.Vars != nil {
				mu.Lock()
				names = ev.Vars
				mu.Unlock()
			}
		}})
	if err != nil || res.Status != result.Pass {
		t.Fatalf("the solution should pass: %v %+v", err, res)
	}
	if p := e.Session.Progress().Get(id); p.Attempts != 0 || p.Done {
		t.Fatalf("a grade-only check was recorded: %+v", p)
	}
	if _, err := os.Stat(filepath.Join(e.Root, "solutions", "kafka", "01-create-topic")); err == nil {
		t.Fatal("a grade-only pass revealed the solution")
	}
	if _, err := e.Session.Solution(id); err == nil {
		t.Fatal("a grade-only pass unlocked the solution")
	}
	mu.Lock()
	defer mu.Unlock()
	if topic := names["TOPIC"]; !strings.HasPrefix(topic, "ada-1-") {
		t.Errorf("TOPIC is %q, without the submission's prefix (names %v)", topic, names)
	}
}
