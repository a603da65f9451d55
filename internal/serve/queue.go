package serve

import (
	"context"
	"sync"
)

// Queue admits at most a fixed number of checks at once and lets the rest
// wait in the order they asked: forty learners pressing c together are
// graded a few at a time, first come first served, instead of all at once
// on a cluster and a CPU that cannot keep up. It is the course.Gate every
// learner's session of one server shares.
type Queue struct {
	mu      sync.Mutex
	slots   int
	running int
	line    []*waiter // in arrival order
}

// waiter is one check in line.
type waiter struct {
	admitted chan struct{} // closed when the check may run
	moved    chan struct{} // a nudge: the line ahead of it changed
}

// NewQueue admits slots checks at once (at least one).
func NewQueue(slots int) *Queue {
	return &Queue{slots: max(slots, 1)}
}

// Slots is how many checks run at once.
func (q *Queue) Slots() int { return q.slots }

// Stats says how many checks run and how many wait.
func (q *Queue) Stats() (running, waiting int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.running, len(q.line)
}

// Wait returns once the check may run, with the function that frees its
// place (safe to call more than once). While the check waits, place hears
// its place in line (1: next) each time it changes, and 0 once it is
// admitted; a check admitted at once hears nothing. place runs on the
// caller's goroutine. When ctx ends first, the check leaves the line and
// Wait returns ctx's error.
func (q *Queue) Wait(ctx context.Context, place func(int)) (release func(), err error) {
	if place == nil {
		place = func(int) {}
	}
	q.mu.Lock()
	if q.running < q.slots && len(q.line) == 0 {
		q.running++
		q.mu.Unlock()
		return q.releaser(), nil
	}
	w := &waiter{admitted: make(chan struct{}), moved: make(chan struct{}, 1)}
	q.line = append(q.line, w)
	at := len(q.line)
	q.mu.Unlock()

	place(at)
	for {
		select {
		case <-w.admitted:
			place(0)
			return q.releaser(), nil
		case <-w.moved:
			if now := q.place(w); now > 0 && now != at {
				at = now
				place(at)
			}
		case <-ctx.Done():
			if q.leave(w) {
				return nil, ctx.Err()
			}
			// Admitted as ctx ended: the slot is this check's to give back.
			q.releaser()()
			return nil, ctx.Err()
		}
	}
}

// releaser frees one running slot, once.
func (q *Queue) releaser() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			q.mu.Lock()
			q.running--
			q.admit()
			q.mu.Unlock()
		})
	}
}

// admit lets the first in line run while there are free slots, and tells
// everyone behind that the line moved. Called with q.mu held.
func (q *Queue) admit() {
	moved := false
	for q.running < q.slots && len(q.line) > 0 {
		w := q.line[0]
		q.line = q.line[1:]
		q.running++
		close(w.admitted)
		moved = true
	}
	if moved {
		q.nudge(0)
	}
}

// nudge tells the waiters from index i on that their place changed; a
// waiter not yet reading keeps one nudge, which is enough: it reads its
// place afresh.
func (q *Queue) nudge(from int) {
	for _, w := range q.line[from:] {
		select {
		case w.moved <- struct{}{}:
		default:
		}
	}
}

// place is w's place in line (1: next), or 0 once it left the line.
func (q *Queue) place(w *waiter) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, x := range q.line {
		if x == w {
			return i + 1
		}
	}
	return 0
}

// leave takes w out of the line; false means it was admitted already.
func (q *Queue) leave(w *waiter) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, x := range q.line {
		if x == w {
			q.line = append(q.line[:i], q.line[i+1:]...)
			q.nudge(i)
			return true
		}
	}
	return false
}
