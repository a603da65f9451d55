package datagen

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// EventTimes gives every order the moment it happened, for exercises that
// window by event time:
//
//	ORDERS: {kind: file, generator: orders, event_times: {span: 30m}}
//
// adds to each order a field such as
//
//	"event_time":"2026-05-19T14:03:27.815Z"
//
// Times cover about Span, roughly following the file's order, and each
// customer's increase strictly, in milliseconds. About one order in three
// is a burst: its customer orders again 1 to 21 seconds after its previous
// order, so the order arrives later in the file than its time says. A
// customer's orders are then minutes apart in time while the whole file
// is read in a second, so a window by the clock that reads them is not
// the window by the time they happened.
type EventTimes struct {
	Span time.Duration `yaml:"span"`
}

// EventTimeLayout is how an event time is written: RFC 3339 in UTC, with
// exactly three digits of milliseconds.
const EventTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// CheckEventTimes says what is wrong with spec's EventTimes, if anything.
func (s OrdersSpec) CheckEventTimes() error {
	if s.EventTimes == nil {
		return nil
	}
	if s.EventTimes.Span < time.Minute || s.EventTimes.Span > 24*time.Hour {
		return fmt.Errorf("event_times: span must be a duration from 1m to 24h, like 30m, not %s", s.EventTimes.Span)
	}
	return nil
}

// burstEvery is how often (one in burstEvery) an order is a burst.
const burstEvery = 3

// withEventTimes sets every order's EventTime. The times are a pure
// function of the seed: they start on a day of 2026 drawn from it, so
// that the same seed makes the same file whenever it runs.
func withEventTimes(seed uint64, orders []Order, span time.Duration) {
	if len(orders) == 0 {
		return
	}
	r := rand.New(rand.NewPCG(seed, seed^0xe7e47))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(365*24*3600)) * time.Second)
	// Each order falls at random in its own slot of the span, as
	// Stamps does, so the file roughly follows time.
	slot := max(int64(span)/int64(len(orders)), int64(time.Millisecond))
	last := map[string]time.Time{}
	for i := range orders {
		o := &orders[i]
		at := start.Add(time.Duration(int64(i)*slot + r.Int64N(slot)))
		prev, seen := last[o.CustomerID]
		if seen && r.IntN(burstEvery) == 0 {
			if soon := prev.Add(time.Second + time.Duration(r.Int64N(int64(20*time.Second)))); soon.Before(at) {
				at = soon
			}
		}
		at = at.Truncate(time.Millisecond)
		if seen && !at.After(prev) {
			at = prev.Add(time.Millisecond)
		}
		last[o.CustomerID] = at
		o.EventTime = at.Format(EventTimeLayout)
	}
}

// ParseEventTime reads an order's event time.
func ParseEventTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
