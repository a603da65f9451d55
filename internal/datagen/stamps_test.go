package datagen

import (
	"slices"
	"testing"
	"time"
)

var stampsEnd = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

func TestStampsIncreaseInWholeSecondsOverTheSpan(t *testing.T) {
	span := 24 * time.Hour
	got := Stamps(7, 300, span, stampsEnd)
	if len(got) != 300 {
		t.Fatalf("%d stamps, want 300", len(got))
	}
	for i, s := range got {
		if s.Nanosecond() != 0 {
			t.Fatalf("stamp %d is %v: not a whole second", i, s)
		}
		if s.Before(stampsEnd.Add(-span)) || !s.Before(stampsEnd) {
			t.Fatalf("stamp %d is %v: outside the span %v..%v", i, s, stampsEnd.Add(-span), stampsEnd)
		}
		if i > 0 && !s.After(got[i-1]) {
			t.Fatalf("stamp %d (%v) does not come after stamp %d (%v)", i, s, i-1, got[i-1])
		}
	}
	// The records cover the span rather than bunching at one end.
	if first, last := got[0].Sub(stampsEnd.Add(-span)), stampsEnd.Sub(got[299]); first > 5*time.Minute || last > 5*time.Minute {
		t.Fatalf("the stamps leave %v at the start and %v at the end of the span", first, last)
	}
	if !slices.Equal(got, Stamps(7, 300, span, stampsEnd)) {
		t.Fatal("the same seed gave other stamps")
	}
	if slices.Equal(got, Stamps(8, 300, span, stampsEnd)) {
		t.Fatal("another seed gave the same stamps")
	}
}

// A span shorter than a second per record falls back to milliseconds and
// still keeps the order strict.
func TestStampsInAShortSpanUseMilliseconds(t *testing.T) {
	got := Stamps(1, 100, 10*time.Second, stampsEnd)
	for i := 1; i < len(got); i++ {
		if !got[i].After(got[i-1]) {
			t.Fatalf("stamp %d (%v) does not come after stamp %d (%v)", i, got[i], i-1, got[i-1])
		}
	}
	if got[0].Before(stampsEnd.Add(-10*time.Second)) || !got[99].Before(stampsEnd) {
		t.Fatalf("stamps %v..%v are outside the span", got[0], got[99])
	}
}

func TestInstantIsAStampInsideTheRangeWithAnOffset(t *testing.T) {
	stamps := Stamps(3, 300, 24*time.Hour, stampsEnd)
	first, last := stamps[0], stamps[len(stamps)-1]
	for seed := range uint64(200) {
		at := Instant(seed, stamps, 0.3, 0.7)
		if !slices.ContainsFunc(stamps, at.Equal) {
			t.Fatalf("seed %d: %v is not one of the stamps", seed, at)
		}
		f := float64(at.Sub(first)) / float64(last.Sub(first))
		// The first stamp at or after the drawn point: at most one gap late.
		if f < 0.3 || f > 0.7+float64(10*time.Minute)/float64(last.Sub(first)) {
			t.Fatalf("seed %d: %v is %.0f%% of the way through the stamps, want 30%% to 70%%", seed, at, f*100)
		}
		if _, off := at.Zone(); off == 0 || off%3600 != 0 || off < -3*3600 || off > 3*3600 {
			t.Fatalf("seed %d: offset %ds, want a whole hour from -3h to +3h other than UTC", seed, off)
		}
	}
	if a, b := Instant(5, stamps, 0.3, 0.7), Instant(5, stamps, 0.3, 0.7); !a.Equal(b) || a.String() != b.String() {
		t.Fatalf("the same seed gave %v and %v", a, b)
	}
	if got := Instant(5, stamps, 1, 1); !got.Equal(last) {
		t.Fatalf("at 100%% gave %v, want the last stamp %v", got, last)
	}
	if got := Instant(5, stamps, 0, 0); !got.Equal(first) {
		t.Fatalf("at 0%% gave %v, want the first stamp %v", got, first)
	}
}
