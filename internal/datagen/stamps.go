package datagen

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Stamps returns n record timestamps spread over span and ending before
// end, increasing in file order. The span is cut into n equal slots and
// each record falls at random in its own, so the gaps vary the way real
// traffic's do while the order never breaks. Stamps are whole seconds,
// and strictly increasing, when the span has a second per record; whole
// milliseconds otherwise.
func Stamps(seed uint64, n int, span time.Duration, end time.Time) []time.Time {
	unit := time.Second
	if span < time.Duration(n)*time.Second {
		unit = time.Millisecond
	}
	slots := int64(span / unit)
	start := end.Truncate(unit).Add(-time.Duration(slots) * unit)
	r := rand.New(rand.NewPCG(seed, seed^0x57a3b5))
	out := make([]time.Time, n)
	for i := range out {
		lo, hi := int64(i)*slots/int64(n), int64(i+1)*slots/int64(n)
		at := lo
		if hi > lo {
			at += r.Int64N(hi - lo)
		}
		out[i] = start.Add(time.Duration(at) * unit)
	}
	return out
}

// zones are the UTC offsets an instant is written in: never UTC itself,
// so that a program which drops the offset starts hours off, and at most
// three hours away, so that it still lands inside a day's span.
var zones = []int{-3 * 3600, -2 * 3600, -3600, 3600, 2 * 3600, 3 * 3600}

// Instant picks one of stamps: the first at or after a point drawn
// between the fractions lo and hi (0 to 1) of the way from the earliest
// stamp to the latest. It is a stamp itself, so that a record lies exactly
// at it, and it is given in a zone drawn from zones, to be written with
// its offset (RFC 3339).
func Instant(seed uint64, stamps []time.Time, lo, hi float64) time.Time {
	if len(stamps) == 0 {
		return time.Time{}
	}
	sorted := slices.SortedFunc(slices.Values(stamps), time.Time.Compare)
	r := rand.New(rand.NewPCG(seed, seed^0x1a57a4))
	f := lo + r.Float64()*(hi-lo)
	first, last := sorted[0], sorted[len(sorted)-1]
	point := first.Add(time.Duration(f * float64(last.Sub(first))))
	i, _ := slices.BinarySearchFunc(sorted, point, time.Time.Compare)
	i = min(i, len(sorted)-1)
	zone := zones[r.IntN(len(zones))]
	return sorted[i].In(time.FixedZone("", zone))
}
