package serve

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// waitReport waits for the next place a waiting check hears.
func waitReport(t *testing.T, ch <-chan int, who int) int {
	t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(10 * time.Second):
		t.Fatalf("check %d heard nothing of its place in line", who)
		return -1
	}
}

// Checks beyond the slots wait in the order they came, each hears its
// place as the line moves (a cancelled check leaves the line and frees
// nothing), never more run at once than there are slots, and a release
// given twice frees one slot.
func TestQueueIsFirstComeFirstServed(t *testing.T) {
	q := NewQueue(2)
	ctx := context.Background()
	var (
		mu      sync.Mutex
		order   []int
		running int // of the six that waited, those running
		most    int
	)

	// Two checks run at once: neither hears of a line.
	var first []func()
	for range 2 {
		release, err := q.Wait(ctx, func(p int) { t.Errorf("a check admitted at once heard place %d", p) })
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, release)
	}
	firstLive := 2 // of the first two, those still running
	releaseFirst := func(i int) {
		mu.Lock()
		firstLive--
		mu.Unlock()
		first[i]()
	}

	// Six more come one after another and line up.
	const n = 6
	type waiting struct {
		places  chan int
		release chan func()
		cancel  context.CancelFunc
		err     chan error
	}
	ws := make([]*waiting, n)
	for i := range n {
		cctx, cancel := context.WithCancel(ctx)
		w := &waiting{places: make(chan int, 64), release: make(chan func(), 1), cancel: cancel, err: make(chan error, 1)}
		ws[i] = w
		go func() {
			release, err := q.Wait(cctx, func(p int) { w.places <- p })
			if err != nil {
				w.err <- err
				return
			}
			mu.Lock()
			order = append(order, i)
			running++
			most = max(most, running+firstLive)
			mu.Unlock()
			w.release <- func() {
				mu.Lock()
				running--
				mu.Unlock()
				release()
			}
		}()
		// Its first report is its place: the line so far, plus itself.
		if p := waitReport(t, w.places, i); p != i+1 {
			t.Fatalf("check %d came %s but heard it is %d in line", i, ordinalWord(i+1), p)
		}
	}
	if running, waiting := q.Stats(); running != 2 || waiting != n {
		t.Fatalf("stats: %d running, %d waiting; want 2 and %d", running, waiting, n)
	}

	// The third in line gives up: it leaves with its context's error and
	// everyone behind it moves up one place.
	ws[2].cancel()
	select {
	case err := <-ws[2].err:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("a cancelled check returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled check kept waiting")
	}
	for i := 3; i < n; i++ {
		if p := waitReport(t, ws[i].places, i); p != i {
			t.Fatalf("after the 3rd left, check %d heard place %d, want %d", i, p, i)
		}
	}

	// A slot frees: the first in line runs (hearing 0), the rest move up.
	releaseFirst(0)
	first[0]() // a second release frees nothing more
	if p := waitReport(t, ws[0].places, 0); p != 0 {
		t.Fatalf("the first in line heard %d when admitted, want 0", p)
	}
	for _, i := range []int{1, 3, 4, 5} {
		want := map[int]int{1: 1, 3: 2, 4: 3, 5: 4}[i]
		if p := waitReport(t, ws[i].places, i); p != want {
			t.Fatalf("after one was admitted, check %d heard place %d, want %d", i, p, want)
		}
	}
	if running, waiting := q.Stats(); running != 2 || waiting != 4 {
		t.Fatalf("after a double release: %d running, %d waiting; want 2 and 4", running, waiting)
	}

	// From now on one slot frees at a time, so exactly one check may be
	// admitted at each step: the next in arrival order.
	admitted := func(i int) func() {
		t.Helper()
		select {
		case release := <-ws[i].release:
			return release
		case <-time.After(10 * time.Second):
			t.Fatalf("check %d was never admitted", i)
			return nil
		}
	}
	release0 := admitted(0)
	releaseFirst(1)
	release1 := admitted(1)
	release0()
	release3 := admitted(3)
	release1()
	release4 := admitted(4)
	release3()
	release5 := admitted(5)
	release4()
	release5()
	mu.Lock()
	defer mu.Unlock()
	if want := []int{0, 1, 3, 4, 5}; !equalInts(order, want) {
		t.Fatalf("checks ran in the order %v; they came in the order %v", order, want)
	}
	if most > 2 {
		t.Fatalf("%d checks ran at once with 2 slots", most)
	}
	if running, waiting := q.Stats(); running != 0 || waiting != 0 {
		t.Fatalf("at the end: %d running, %d waiting", running, waiting)
	}
}

// Many checks arriving at once from many goroutines never exceed the
// slots, all run, and the queue ends empty.
func TestQueueUnderContention(t *testing.T) {
	q := NewQueue(3)
	var mu sync.Mutex
	running, most, ran := 0, 0, 0
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			release, err := q.Wait(context.Background(), nil)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			running++
			ran++
			most = max(most, running)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			running--
			mu.Unlock()
			release()
		})
	}
	wg.Wait()
	if most > 3 || ran != 40 {
		t.Fatalf("%d ran, at most %d at once; want 40, at most 3", ran, most)
	}
	if r, w := q.Stats(); r != 0 || w != 0 {
		t.Fatalf("at the end: %d running, %d waiting", r, w)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func ordinalWord(n int) string {
	return map[int]string{1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}[n]
}
