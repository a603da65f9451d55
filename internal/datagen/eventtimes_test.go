package datagen

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

var timed = OrdersSpec{Count: 300, Customers: 20, EventTimes: &EventTimes{Span: 30 * time.Minute}}

// Event times come from a source of their own: the orders are the same
// with or without them, and so is every exercise's input that has none.
func TestEventTimesLeaveTheOrdersAsTheyWere(t *testing.T) {
	with, without := Orders(7, timed), Orders(7, OrdersSpec{Count: 300, Customers: 20})
	for i := range with {
		if with[i].EventTime == "" {
			t.Fatalf("order %d has no event time", i)
		}
		o := with[i]
		o.EventTime = ""
		if o != without[i] {
			t.Fatalf("order %d is %+v with event times, %+v without", i, with[i], without[i])
		}
	}
	for _, l := range Lines(without) {
		if strings.Contains(l, "event_time") {
			t.Fatalf("an order without event times reads %s", l)
		}
	}
	if !reflect.DeepEqual(with, Orders(7, timed)) {
		t.Fatal("the same seed made other event times")
	}
	if reflect.DeepEqual(with, Orders(8, timed)) {
		t.Fatal("two seeds made the same event times")
	}
}

var eventTimeText = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// Each customer's orders happen one after another in file order, in
// milliseconds, over about the span; some come in bursts seconds apart,
// and arrive after orders of others that happened later.
func TestEventTimesIncreasePerCustomerWithBursts(t *testing.T) {
	for seed := range uint64(30) {
		orders := Orders(seed, timed)
		last := map[string]time.Time{}
		var first, latest time.Time
		bursts, late := 0, 0
		var prevInFile time.Time
		for i, o := range orders {
			if !eventTimeText.MatchString(o.EventTime) {
				t.Fatalf("seed %d: order %d's event_time is %q", seed, i, o.EventTime)
			}
			at, err := ParseEventTime(o.EventTime)
			if err != nil {
				t.Fatal(err)
			}
			if prev, ok := last[o.CustomerID]; ok {
				if !at.After(prev) {
					t.Fatalf("seed %d: %s's order %s at %s is not after its previous one at %s", seed, o.CustomerID, o.OrderID, o.EventTime, prev.Format(EventTimeLayout))
				}
				if at.Sub(prev) <= 21*time.Second {
					bursts++
				}
			}
			if i > 0 && at.Before(prevInFile) {
				late++
			}
			if i == 0 || at.Before(first) {
				first = at
			}
			if at.After(latest) {
				latest = at
			}
			last[o.CustomerID], prevInFile = at, at
		}
		if span := latest.Sub(first); span < 29*time.Minute || span > 31*time.Minute {
			t.Errorf("seed %d: the orders happened over %s, want about 30m", seed, span)
		}
		if bursts < 40 || late < 40 {
			t.Errorf("seed %d: %d orders seconds after their customer's previous one, %d later in the file than an order that happened after them; want some of each", seed, bursts, late)
		}
	}
}

func TestCheckEventTimes(t *testing.T) {
	for _, tc := range []struct {
		spec OrdersSpec
		ok   bool
	}{
		{timed, true},
		{OrdersSpec{}, true},
		{OrdersSpec{EventTimes: &EventTimes{Span: 24 * time.Hour}}, true},
		{OrdersSpec{EventTimes: &EventTimes{}}, false},
		{OrdersSpec{EventTimes: &EventTimes{Span: 30 * time.Second}}, false},
		{OrdersSpec{EventTimes: &EventTimes{Span: 25 * time.Hour}}, false},
	} {
		if err := tc.spec.CheckEventTimes(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v", tc.spec.EventTimes, err)
		}
	}
}
