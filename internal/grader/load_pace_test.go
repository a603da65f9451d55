package grader

import (
	"testing"
	"time"

	"github.com/streamlab/streamlab/internal/catalogue"
)

// simulate runs the loader's pacing on a clock of its own: cost(i) is how
// long sending line i takes. It returns when each line was sent, and the
// schedule's slip at the end.
func simulate(l catalogue.TopicLoad, n int, cost func(i int) time.Duration) ([]time.Duration, time.Duration) {
	var now, slip time.Duration
	sent := make([]time.Duration, n)
	for i := range n {
		var wait time.Duration
		wait, slip = pace(l.Due(i), slip, now)
		now += wait
		sent[i] = now
		now += cost(i)
	}
	return sent, slip
}

func free(int) time.Duration { return 0 }

// Sends that cost nothing go out exactly when the schedule has them due.
func TestPaceKeepsTheSchedule(t *testing.T) {
	l := catalogue.TopicLoad{Rate: 100, Spike: &catalogue.Spike{After: time.Second, Times: 5, For: 500 * time.Millisecond}}
	sent, slip := simulate(l, 500, free)
	for i, at := range sent {
		if at != l.Due(i) {
			t.Fatalf("line %d sent at %s, due at %s", i, at, l.Due(i))
		}
	}
	if slip != 0 {
		t.Fatalf("slipped %s", slip)
	}
}

// Sends slower than the rate now and then are made up: the load stays on
// its schedule, a line at most one slow send late.
func TestPaceCatchesUpSmallDelays(t *testing.T) {
	l := catalogue.TopicLoad{Rate: 100}
	cost := func(i int) time.Duration {
		if i%10 == 0 {
			return 30 * time.Millisecond // three lines' worth
		}
		return time.Millisecond
	}
	sent, slip := simulate(l, 500, cost)
	if slip != 0 {
		t.Fatalf("slipped %s for delays under %s", slip, catchUp)
	}
	for i, at := range sent {
		if late := at - l.Due(i); late < 0 || late > 30*time.Millisecond {
			t.Fatalf("line %d sent %s after its due time", i, late)
		}
	}
	if last := sent[499]; last > l.Due(499)+30*time.Millisecond {
		t.Fatalf("the last line went out at %s, due at %s", last, l.Due(499))
	}
}

// A stall is not made up by a burst: at most catchUp of the schedule goes
// out at once, and the rest of it moves later by the stall less that.
func TestPaceNeverBurstsAfterAStall(t *testing.T) {
	l := catalogue.TopicLoad{Rate: 1000}
	stall := 2 * time.Second
	cost := func(i int) time.Duration {
		if i == 100 {
			return stall
		}
		return 0
	}
	sent, slip := simulate(l, 3000, cost)
	if want := stall - time.Millisecond - catchUp; slip != want {
		t.Fatalf("slipped %s, want the stall less one line and %s: %s", slip, catchUp, want)
	}
	// Lines sent at the same instant as the one after the stall: the
	// burst. catchUp at 1000/s is 50 lines.
	burst := 0
	for i := 101; i < len(sent) && sent[i] == sent[101]; i++ {
		burst++
	}
	if burst > int(catchUp/time.Millisecond)+1 {
		t.Fatalf("%d lines went out at once after the stall", burst)
	}
	// From then on the rate is the schedule's again.
	for i := 200; i < len(sent); i++ {
		if gap := sent[i] - sent[i-1]; gap != time.Millisecond {
			t.Fatalf("lines %d and %d %s apart at 1000/s", i-1, i, gap)
		}
	}
}

// A wait is never negative, and a line is never sent before it is due.
func TestPaceNeverEarly(t *testing.T) {
	for _, c := range []struct{ due, slip, now time.Duration }{
		{100 * time.Millisecond, 0, 0},
		{100 * time.Millisecond, 0, 99 * time.Millisecond},
		{100 * time.Millisecond, 20 * time.Millisecond, 110 * time.Millisecond},
		{100 * time.Millisecond, 0, time.Second},
	} {
		wait, slip := pace(c.due, c.slip, c.now)
		if wait < 0 || c.now+wait < c.due {
			t.Errorf("pace(%s, %s, %s) = %s, %s", c.due, c.slip, c.now, wait, slip)
		}
		if slip < c.slip {
			t.Errorf("pace(%s, %s, %s): slip went back to %s", c.due, c.slip, c.now, slip)
		}
	}
}
