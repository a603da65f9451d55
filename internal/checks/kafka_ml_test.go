package checks

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/streamlab/streamlab/internal/datagen"
)

// A small input, worked by hand. Times are minutes:seconds past 12:00.
//
//	o-1 c-1 00:00  100   window of o-3: o-1 is 10m 00s before it, so out
//	o-2 c-2 01:00  200
//	o-3 c-1 10:00  300   c-1: o-3 alone            -> 1, 300
//	o-4 c-1 10:05   50   c-1: o-3, o-4             -> 2, 350
//	o-5 c-2 02:00  400   c-2: o-2, o-5 (arrives late, happened early) -> 2, 600
//	o-6 c-1 19:59    5   c-1: o-3, o-4, o-6        -> 3, 355
func mlInput() []inputOrder {
	base := time.Date(2026, 5, 19, 12, 0, 0, 0, time.UTC)
	o := func(id, c string, mm, ss int, cents int64) inputOrder {
		at := base.Add(time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second)
		return inputOrder{datagen.Order{OrderID: id, CustomerID: c, AmountCents: cents, EventTime: at.Format(datagen.EventTimeLayout)}, at}
	}
	return []inputOrder{
		o("o-1", "c-1", 0, 0, 100), o("o-2", "c-2", 1, 0, 200), o("o-3", "c-1", 10, 0, 300),
		o("o-4", "c-1", 10, 5, 50), o("o-5", "c-2", 2, 0, 400), o("o-6", "c-1", 19, 59, 5),
	}
}

func TestWindowsByEventTime(t *testing.T) {
	in := mlInput()
	for _, tc := range []struct {
		mode windowMode
		want map[string]windowStat
	}{
		{byEventTime, map[string]windowStat{"o-1": {1, 100}, "o-2": {1, 200}, "o-3": {1, 300}, "o-4": {2, 350}, "o-5": {2, 600}, "o-6": {3, 355}}},
		{everyEarlier, map[string]windowStat{"o-1": {1, 100}, "o-2": {1, 200}, "o-3": {2, 400}, "o-4": {3, 450}, "o-5": {2, 600}, "o-6": {4, 455}}},
		{leavesOutOrder, map[string]windowStat{"o-1": {0, 0}, "o-2": {0, 0}, "o-3": {0, 0}, "o-4": {1, 300}, "o-5": {1, 200}, "o-6": {2, 350}}},
	} {
		got := windows(in, 10*time.Minute, tc.mode)
		for id, w := range tc.want {
			if got[id] != w {
				t.Errorf("mode %d: %s has %+v, want %+v", tc.mode, id, got[id], w)
			}
		}
	}
}

// feature is a feature record's value; its key is the customer.
func feature(o inputOrder, s windowStat) Record {
	v := fmt.Sprintf(`{"order_id":%q,"customer_id":%q,"orders_10m":%d,"sum_10m":%d}`, o.OrderID, o.CustomerID, s.count, s.sum)
	return Record{Key: []byte(o.CustomerID), Value: []byte(v)}
}

// featureLog is the records a program writes with windows drawn by mode,
// changed by edit (which may drop a record by returning false).
func featureLog(in []inputOrder, w time.Duration, mode windowMode, edit func(o inputOrder, s *windowStat) bool) []Record {
	stats := windows(in, w, mode)
	var out []Record
	for i, o := range in {
		s := stats[o.OrderID]
		if edit != nil && !edit(o, &s) {
			continue
		}
		r := feature(o, s)
		r.Offset = int64(i)
		out = append(out, r)
	}
	return out
}

func TestFeaturesJudge(t *testing.T) {
	in := mlInput()
	p := featuresParams{Topic: "FEATURES_TOPIC", Input: "ORDERS", Window: 10 * time.Minute}
	allCustomers := func(o inputOrder, s *windowStat) bool {
		// Every order of anyone in the window: c-2's orders count for c-1.
		*s = windowStat{}
		for _, q := range in {
			if q.at.After(o.at.Add(-10*time.Minute)) && !q.at.After(o.at) {
				s.count++
				s.sum += q.AmountCents
			}
		}
		return true
	}
	for _, tc := range []struct {
		name string
		recs []Record
		want []string // "" for a pass
	}{
		{"right", featureLog(in, 10*time.Minute, byEventTime, nil), nil},
		{"a JSON float is a number", append(featureLog(in, 10*time.Minute, byEventTime, func(o inputOrder, _ *windowStat) bool { return o.OrderID != "o-6" }),
			Record{Value: []byte(`{"order_id":"o-6","customer_id":"c-1","orders_10m":3.0,"sum_10m":355.0,"extra":true}`)}), nil},
		{"window by the clock", featureLog(in, 10*time.Minute, everyEarlier, nil),
			[]string{"3 of 6 orders have wrong features (o-3: orders_10m is 2 and sum_10m is 400, expected 1 and 300;", "as if the window never closed", "Window by event_time instead: drop the customer's orders that happened 10 minutes or more before the current one."}},
		{"this order left out", featureLog(in, 10*time.Minute, leavesOutOrder, nil),
			[]string{"6 of 6 orders have wrong features (o-1: orders_10m is 0 and sum_10m is 0, expected 1 and 100;", "Each leaves the order itself out"}},
		{"ten seconds", featureLog(in, 10*time.Second, byEventTime, nil),
			[]string{"2 of 6 orders have wrong features (o-5: orders_10m is 1 and sum_10m is 400, expected 2 and 600", "They count too little: is the window 10 minutes long"}},
		{"all customers", featureLog(in, 10*time.Minute, byEventTime, allCustomers),
			[]string{"o-3: orders_10m is 3 and sum_10m is 900, expected 1 and 300", "They count too much: only the same customer's orders count"}},
		{"one missing, one twice", append(featureLog(in, 10*time.Minute, byEventTime, func(o inputOrder, _ *windowStat) bool { return o.OrderID != "o-2" }),
			feature(in[0], windowStat{1, 100})),
			[]string{"1 of 6 orders have no feature record (o-2)", "Order o-1 has more than one feature record"}},
		{"not an order", append(featureLog(in, 10*time.Minute, byEventTime, nil), Record{Value: []byte(`{"order_id":"o-9"}`)}, Record{Value: []byte(`12`)}),
			[]string{`One record is not a feature record (partition 0 offset 0: 12)`, `The order_id "o-9" is not an order of the input`}},
		{"stops before the last order", featureLog(in, 10*time.Minute, byEventTime, nil)[:5],
			[]string{"1 of 6 orders have no feature record (o-6)"}},
		{"empty", nil, []string{"Topic features is empty; expected one feature record for each of the 6 orders."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := p.judge(in, tc.recs, "features")
			if tc.want == nil {
				if o.Status != Pass {
					t.Fatalf("want a pass, got %+v", o)
				}
				return
			}
			if o.Status != Fail {
				t.Fatalf("want a failure, got %+v", o)
			}
			for _, w := range tc.want {
				if !strings.Contains(o.Message, w) {
					t.Errorf("the message does not say %q:\n%s", w, o.Message)
				}
			}
		})
	}
}

func TestFeatureFieldsFollowTheWindow(t *testing.T) {
	c, s := featuresParams{Window: 10 * time.Minute}.fields()
	if c != "orders_10m" || s != "sum_10m" {
		t.Fatalf("%s, %s", c, s)
	}
	c, s = featuresParams{Window: time.Hour}.fields()
	if c != "orders_1h" || s != "sum_1h" {
		t.Fatalf("%s, %s", c, s)
	}
	if n, w, ok := windowFeature("orders_10m"); !ok || n != "orders" || w != 10*time.Minute {
		t.Fatalf("orders_10m reads as %s, %s, %v", n, w, ok)
	}
	if _, _, ok := windowFeature("amount_cents"); ok {
		t.Fatal("amount_cents reads as a window")
	}
}

var mlModel = datagen.Model{
	Version:  "fraud-v2-00aa",
	Type:     "logistic_regression",
	Features: []string{"sum_10m", "amount_cents", "orders_10m"},
	Mean:     []float64{300, 150, 2},
	Scale:    []float64{200, 100, 1},
	Weights:  []float64{0.4, 1.1, 0.7},
	Bias:     -0.6,
}

// prediction writes the record a program writes for o, with score f.
func prediction(o inputOrder, score float64, version string) Record {
	b, _ := json.Marshal(map[string]any{"order_id": o.OrderID, "score": score, "model_version": version})
	return Record{Key: []byte(o.CustomerID), Value: b}
}

// predictionLog scores every order with the scorer named mistake ("" for
// the model's own).
func predictionLog(in []inputOrder, mistake string) []Record {
	var s scorer
	for _, sc := range scorers(mlModel, in) {
		if sc.mistake == mistake {
			s = sc
		}
	}
	var out []Record
	for _, o := range in {
		out = append(out, prediction(o, s.score(o), mlModel.Version))
	}
	return out
}

func TestPredictionsJudge(t *testing.T) {
	in := mlInput()
	p := predictionsParams{Topic: "PREDICTIONS_TOPIC", Input: "ORDERS", Model: "MODEL_FILE"}
	// o-4 by hand: sum 350, amount 50, orders 2.
	z := -0.6 + 0.4*(350-300)/200.0 + 1.1*(50-150)/100.0 + 0.7*(2-2)/1.0
	if got := scorers(mlModel, in)[0].score(in[3]); math.Abs(got-1/(1+math.Exp(-z))) > 1e-15 {
		t.Fatalf("o-4 scores %v, want %v", got, 1/(1+math.Exp(-z)))
	}
	nudged := predictionLog(in, "")
	nudged[2] = prediction(in[2], scorers(mlModel, in)[0].score(in[2])+5e-7, mlModel.Version)
	for _, tc := range []struct {
		name string
		recs []Record
		want []string
	}{
		{"right", predictionLog(in, ""), nil},
		{"within the tolerance", nudged, nil},
		{"no scaling", predictionLog(in, "scaling"), []string{"6 of 6 scores are more than 1e-06 from the model's (o-1: score ", "subtract each feature's mean and divide by its scale"}},
		{"no bias", predictionLog(in, "bias"), []string{"add bias to the weighted sum before the sigmoid"}},
		{"no sigmoid", predictionLog(in, "sigmoid"), []string{"a score is the sigmoid of it"}},
		{"window never closes", predictionLog(in, "window-never-closes"), []string{"3 of 6 scores", "count every earlier order of the customer"}},
		{"another version", func() []Record {
			r := predictionLog(in, "")
			r[1] = prediction(in[1], scorers(mlModel, in)[0].score(in[1]), "v1")
			return r
		}(), []string{`1 prediction carries model_version "v1", expected "fraud-v2-00aa"`}},
		{"a missing order", predictionLog(in, "")[1:], []string{"1 of 6 orders have no prediction (o-1)"}},
		{"no score", append(predictionLog(in, "")[1:], Record{Value: []byte(`{"order_id":"o-1","score":"0.5","model_version":"fraud-v2-00aa"}`)}),
			[]string{"The prediction of order o-1 has no score as a JSON number."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := p.judge(in, mlModel, tc.recs, "predictions")
			if tc.want == nil {
				if o.Status != Pass {
					t.Fatalf("want a pass, got %+v", o)
				}
				return
			}
			if o.Status != Fail {
				t.Fatalf("want a failure, got %+v", o)
			}
			for _, w := range tc.want {
				if !strings.Contains(o.Message, w) {
					t.Errorf("the message does not say %q:\n%s", w, o.Message)
				}
			}
		})
	}
}

// The model the generator draws, on the orders the exercises generate,
// scores across (0, 1), and every mistake the check names changes the
// scores of most orders by far more than the tolerance.
func TestGeneratedModelsSpreadAndMistakesShow(t *testing.T) {
	spec := datagen.OrdersSpec{Count: 300, Customers: 20, EventTimes: &datagen.EventTimes{Span: 30 * time.Minute}}
	for seed := range uint64(20) {
		in, err := timedOrders(datagen.Orders(seed, spec), "ORDERS")
		if err != nil {
			t.Fatal(err)
		}
		m := datagen.NewModel(seed + 1000)
		all := scorers(m, in)
		low, high := 0, 0
		for _, o := range in {
			s := all[0].score(o)
			if s < 0.2 {
				low++
			}
			if s > 0.8 {
				high++
			}
		}
		if low < 15 || high < 15 {
			t.Errorf("seed %d: %d scores below 0.2 and %d above 0.8 of 300", seed, low, high)
		}
		for _, alt := range all[1:] {
			differ := 0
			for _, o := range in {
				if math.Abs(alt.score(o)-all[0].score(o)) > 1e-4 {
					differ++
				}
			}
			if differ < len(in)/2 {
				t.Errorf("seed %d: the mistake %q changes only %d of %d scores", seed, alt.mistake, differ, len(in))
			}
		}
	}
}

func TestInputOrderJudge(t *testing.T) {
	in := []datagen.Order{
		{OrderID: "o-1", CustomerID: "c-1", Seq: 1, AmountCents: 1},
		{OrderID: "o-2", CustomerID: "c-2", Seq: 1, AmountCents: 1},
		{OrderID: "o-3", CustomerID: "c-1", Seq: 2, AmountCents: 1},
		{OrderID: "o-4", CustomerID: "c-1", Seq: 3, AmountCents: 1},
	}
	p := inputOrderParams{Topic: "PREDICTIONS_TOPIC", Input: "ORDERS", Match: "order_id", Key: "customer_id"}
	rec := func(part int32, off int64, key, id string) Record {
		r := Record{Partition: part, Offset: off, Value: []byte(fmt.Sprintf(`{"order_id":%q,"score":0.5}`, id))}
		if key != "" {
			r.Key = []byte(key)
		}
		return r
	}
	for _, tc := range []struct {
		name string
		recs []Record
		want []string
	}{
		{"in order", []Record{rec(0, 0, "c-1", "o-1"), rec(0, 1, "c-1", "o-3"), rec(0, 2, "c-1", "o-4"), rec(1, 0, "c-2", "o-2")}, nil},
		{"a duplicate is the other check's", []Record{rec(0, 0, "c-1", "o-1"), rec(0, 1, "c-1", "o-3"), rec(0, 2, "c-1", "o-1"), rec(0, 3, "c-1", "o-4")}, nil},
		{"out of order", []Record{rec(0, 0, "c-1", "o-3"), rec(0, 1, "c-1", "o-1"), rec(0, 2, "c-1", "o-4"), rec(1, 0, "c-2", "o-2")},
			[]string{"1 record came out of order (customer c-1: o-1 comes after o-3 (partition 0 offset 1), though it came first in the input)", "work spread over goroutines"}},
		{"unkeyed", []Record{rec(0, 0, "", "o-1"), rec(1, 0, "", "o-3"), rec(1, 1, "", "o-2"), rec(2, 0, "", "o-4")},
			[]string{"None of the 4 records has a key: key each record by its order's customer_id, so that all of a customer's records go to one partition", "Customer c-1 (partitions 0, 1, 2) has records in more than one partition"}},
		{"keyed by order", []Record{rec(0, 0, "o-1", "o-1"), rec(0, 1, "c-1", "o-3"), rec(0, 2, "c-1", "o-4"), rec(1, 0, "c-2", "o-2")},
			[]string{`1 of 4 records are not keyed by their order's customer_id (o-1 has key "o-1", expected "c-1"): key each record by it`}},
		{"empty", nil, []string{"Topic predictions is empty."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := p.judge(in, tc.recs, "predictions")
			if tc.want == nil {
				if o.Status != Pass {
					t.Fatalf("want a pass, got %+v", o)
				}
				return
			}
			if o.Status != Fail {
				t.Fatalf("want a failure, got %+v", o)
			}
			for _, w := range tc.want {
				if !strings.Contains(o.Message, w) {
					t.Errorf("the message does not say %q:\n%s", w, o.Message)
				}
			}
		})
	}
}

// Input without event times is the spec's mistake, not the learner's.
func TestFeaturesNeedEventTimes(t *testing.T) {
	_, err := timedOrders(datagen.Orders(1, datagen.OrdersSpec{Count: 5}), "ORDERS")
	if err == nil || !strings.Contains(err.Error(), "give the file variable event_times") {
		t.Fatalf("err %v", err)
	}
}
