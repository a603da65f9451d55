package course_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/internal/serve"
	"github.com/streamlab/streamlab/internal/workspace"
)

// places collects what a check hears of its place in line.
type places struct {
	mu   sync.Mutex
	seen []int
}

func (p *places) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, n)
}

func (p *places) get() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.seen...)
}

func (p *places) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		for _, x := range p.get() {
			if x == n {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the check never heard place %d (heard %v)", n, p.get())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A session with a gate runs its checks only when the gate admits them:
// while one waits it hears its place, a check cancelled in line is an
// error that records nothing, and one admitted later is graded as usual.
// (The cluster is the in-process one: the gate, not the verdict, is what
// this shows.)
func TestAGatedCheckWaitsItsTurn(t *testing.T) {
	q := serve.NewQueue(1)
	root := t.TempDir() + "/ws"
	sess, err := course.Open(course.Options{
		Content: streamlab.Content, Module: workspace.ModuleFrom(streamlab.GoMod, streamlab.GoSum),
		Config:   config.Config{Cluster: "embedded", Workspace: root},
		StateDir: t.TempDir(), Gate: q,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Close(context.Background()) })
	if _, err := sess.Init(); err != nil {
		t.Fatal(err)
	}
	e := &env{Session: sess, Root: root}
	const id = "kafka/create-topic"
	ex := e.exercise(t, id)
	dir := e.Solution(t, id)

	// Someone else's check holds the only slot.
	release, err := q.Wait(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}

	var first places
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result.Result, 1)
	go func() {
		res, _ := sess.Check(ctx, course.CheckRequest{Exercise: ex, Dir: dir, Queued: first.add})
		done <- res
	}()
	first.waitFor(t, 1)
	cancel()
	res := <-done
	if res.Status != result.Error || !strings.Contains(res.Message, "waited its turn") {
		t.Fatalf("a check cancelled in line: %s %q", res.Status, res.Message)
	}
	if p := sess.Progress().Get(id); p.Attempts != 0 {
		t.Fatalf("a check that never ran was recorded: %+v", p)
	}

	var second places
	go func() {
		res, _ := sess.Check(context.Background(), course.CheckRequest{Exercise: ex, Dir: dir, Queued: second.add})
		done <- res
	}()
	second.waitFor(t, 1)
	select {
	case res := <-done:
		t.Fatalf("a check ran while the only slot was taken: %s", res.Status)
	case <-time.After(200 * time.Millisecond):
	}
	release()
	select {
	case res = <-done:
	case <-time.After(3 * time.Minute):
		t.Fatal("the check was not graded once the slot was free")
	}
	if res.Status != result.Pass {
		t.Fatalf("the solution, once admitted: %s %q", res.Status, res.Message)
	}
	if got := second.get(); len(got) != 2 || got[0] != 1 || got[1] != 0 {
		t.Fatalf("the admitted check heard %v, want [1 0]", got)
	}
	if running, waiting := q.Stats(); running != 0 || waiting != 0 {
		t.Fatalf("after the check: %d running, %d waiting", running, waiting)
	}
}
