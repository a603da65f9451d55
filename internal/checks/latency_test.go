package checks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/streamlab/streamlab/internal/datagen"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.yaml.in/yaml/v3"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// loadOfLines is a load that sent n lines at rate per second, with lines
// spike.First to spike.End-1 in its spike when spike is not nil.
func loadOfLines(n, rate int, spike *LoadSpike) Load {
	l := Load{Topic: "INPUT", From: "ORDERS", Lines: n, Published: n, Rate: rate, Spike: spike}
	secs := 0.0
	for i := range n {
		l.Sent = append(l.Sent, t0.Add(time.Duration(math.Round(secs*1e9))))
		r := rate
		if spike != nil && i >= spike.First && i < spike.End {
			r = spike.Rate
		}
		secs += 1 / float64(r)
	}
	return l
}

// outputs makes, for every sent line i that keep(i) keeps, an output
// carrying the line itself, arriving latency(i) after it was sent.
func outputs(lines []string, l Load, latency func(i int) time.Duration, keep func(i int) bool) []arrival {
	var out []arrival
	for i, at := range l.Sent {
		if keep == nil || keep(i) {
			out = append(out, arrival{at: at.Add(latency(i)), value: []byte(lines[i])})
		}
	}
	return out
}

func constant(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

func TestPercentileNearestRank(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		var out []time.Duration
		for _, v := range vs {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, c := range []struct {
		name    string
		sorted  []time.Duration
		missing int
		p       float64
		want    time.Duration
		ok      bool
	}{
		{"p99 of 1..100", hundred, 0, 99, 99 * time.Millisecond, true},
		{"p100 is the largest", hundred, 0, 100, 100 * time.Millisecond, true},
		{"p50 of 1..100", hundred, 0, 50, 50 * time.Millisecond, true},
		{"p1 is the smallest", hundred, 0, 1, time.Millisecond, true},
		{"p99.9 of 100 is the largest", hundred, 0, 99.9, 100 * time.Millisecond, true},
		// Rank 594 of 600 exactly, whatever 0.99 is in binary.
		{"rank that is a whole number", make([]time.Duration, 600), 0, 99, 0, true},
		{"one value", ms(7), 0, 99, 7 * time.Millisecond, true},
		// Missing count as longer than any: p99 of 99 values and 1 missing
		// is the largest value; of 98 and 2 missing, it is missing.
		{"one missing in a hundred", hundred[:99], 1, 99, 99 * time.Millisecond, true},
		{"two missing in a hundred", hundred[:98], 2, 99, 0, false},
		{"all missing", nil, 5, 50, 0, false},
		{"nothing", nil, 0, 50, 0, false},
	} {
		got, ok := percentile(c.sorted, c.missing, c.p)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: got %s %v, want %s %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestBusiestSecond(t *testing.T) {
	var ts []time.Time
	for i := range 50 { // 50 over 0.5s, then 10 over 5s
		ts = append(ts, t0.Add(time.Duration(i)*10*time.Millisecond))
	}
	for i := range 10 {
		ts = append(ts, t0.Add(2*time.Second+time.Duration(i)*500*time.Millisecond))
	}
	if got := busiest(ts, t0); got != 50 {
		t.Errorf("busiest second holds %d, want 50", got)
	}
	if got := busiest(nil, t0); got != 0 {
		t.Errorf("busiest of nothing %d", got)
	}
	// Seconds count from the origin: a schedule of 300/s has 300 in each.
	l := loadOfLines(900, 300, nil)
	if got := busiest(l.Sent, t0); got != 300 {
		t.Errorf("300/s: %d in the busiest second", got)
	}
	if got := busiest([]time.Time{t0.Add(-time.Millisecond), t0}, t0); got != 1 {
		t.Errorf("either side of the origin: %d", got)
	}
}

func TestLatencyMatchesByField(t *testing.T) {
	orders := datagen.Orders(5, datagen.OrdersSpec{Count: 20, Customers: 4, Deletes: 2})
	lines := datagen.Lines(orders)
	l := loadOfLines(len(lines), 100, nil)
	c := latencyCheck{kind: "kafka", Topic: "OUTPUT", Input: "ORDERS", Field: "order_id", Percentile: 100, Max: time.Second, During: duringAll}
	var got []arrival
	for i, o := range orders {
		if o.OrderID == "" {
			continue // a deletion: no order_id, nothing to join it by
		}
		// Outputs of other shapes carrying the field, in another order,
		// with noise around them: a line of text, and a duplicate that
		// arrives later.
		v := fmt.Sprintf(`{"total": 12, "order_id": %q}`, o.OrderID)
		got = append(got, arrival{at: l.Sent[i].Add(time.Duration(i) * time.Millisecond), value: []byte(v)})
		if i == 3 {
			got = append(got, arrival{at: l.Sent[i].Add(time.Hour), value: []byte(v)})
		}
	}
	got = append(got, arrival{at: t0, value: []byte("not json")})
	for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
		got[i], got[j] = got[j], got[i]
	}
	p := c.pair(latencyRun{lines: lines, load: l, got: got})
	for i, o := range orders {
		switch {
		case o.OrderID == "" && (p.joins[i] || p.arrived[i]):
			t.Errorf("line %d has no order_id and was matched", i)
		case o.OrderID != "" && (!p.arrived[i] || p.latency[i] != time.Duration(i)*time.Millisecond):
			t.Errorf("line %d: arrived %v after %s, want %dms", i, p.arrived[i], p.latency[i], i)
		}
	}
	if p.carried != len(orders)-2+1 {
		t.Errorf("carried %d", p.carried)
	}
	o := c.judge(latencyRun{lines: lines, load: l, got: got, topic: "out-1"})
	if o.Status != Pass || !strings.HasPrefix(o.Message, "p100 latency 21ms (threshold 1s) over 20 orders; p50 ") {
		t.Errorf("got %+v", o)
	}
}

// A field repeated among the input lines pairs in order: the first line
// with the first output of that value to arrive.
func TestLatencyRepeatedJoinValues(t *testing.T) {
	lines := []string{`{"customer_id":"c1","seq":1}`, `{"customer_id":"c1","seq":2}`, `{"customer_id":"c2","seq":1}`}
	l := loadOfLines(3, 10, nil) // 100ms apart
	c := latencyCheck{Field: "customer_id", Percentile: 100, Max: time.Second, During: duringAll}
	got := []arrival{
		{at: t0.Add(250 * time.Millisecond), value: []byte(`{"customer_id":"c1"}`)},
		{at: t0.Add(50 * time.Millisecond), value: []byte(`{"customer_id":"c1"}`)},
		{at: t0.Add(230 * time.Millisecond), value: []byte(`{"customer_id":"c2"}`)},
	}
	p := c.pair(latencyRun{lines: lines, load: l, got: got})
	want := []time.Duration{50 * time.Millisecond, 150 * time.Millisecond, 30 * time.Millisecond}
	for i := range want {
		if !p.arrived[i] || p.latency[i] != want[i] {
			t.Errorf("line %d: %s %v, want %s", i, p.latency[i], p.arrived[i], want[i])
		}
	}
}

func TestLatencyJudgesOnlyTheSpike(t *testing.T) {
	lines := datagen.Lines(datagen.Orders(9, datagen.OrdersSpec{Count: 300, Customers: 7}))
	// 100/s for 100 lines, 500/s for lines 100 to 199, 100/s again.
	spike := &LoadSpike{Rate: 500, First: 100, End: 200}
	l := loadOfLines(300, 100, spike)
	// Quick outside the spike, slow during it.
	lat := func(i int) time.Duration {
		if i >= 100 && i < 200 {
			return 2 * time.Second
		}
		return 20 * time.Millisecond
	}
	run := latencyRun{lines: lines, load: l, got: outputs(lines, l, lat, nil), topic: "out-1"}
	base := latencyCheck{kind: "pulsar", Topic: "OUTPUT", Input: "ORDERS", Field: "order_id", Percentile: 99, Max: 500 * time.Millisecond}
	for _, c := range []struct {
		during string
		status Status
		msg    string
	}{
		{duringAll, Fail, "p99 latency 2s, threshold 500ms, over 300 orders; p50 20ms"},
		{duringSpike, Fail, "p99 latency 2s, threshold 500ms, over 100 orders sent during the load's spike; p50 2s"},
		{duringSteady, Pass, "p99 latency 20ms (threshold 500ms) over 200 orders sent outside the load's spike; p50 20ms"},
	} {
		ch := base
		ch.During = c.during
		o := ch.judge(run)
		if o.Status != c.status || !strings.HasPrefix(o.Message, c.msg) {
			t.Errorf("during %s: got %+v\nwant %s starting %q", c.during, o, c.status, c.msg)
		}
	}
	// Which lines each setting judges.
	for i, want := range map[int][3]bool{0: {true, false, true}, 99: {true, false, true}, 100: {true, true, false}, 199: {true, true, false}, 200: {true, false, true}} {
		for k, d := range []string{duringAll, duringSpike, duringSteady} {
			ch := base
			ch.During = d
			if got := ch.judged(l, i); got != want[k] {
				t.Errorf("during %s judges line %d: %v", d, i, got)
			}
		}
	}
}

func TestLatencyVerdicts(t *testing.T) {
	lines := datagen.Lines(datagen.Orders(11, datagen.OrdersSpec{Count: 600, Customers: 9}))
	l := loadOfLines(600, 300, nil) // 2s at 300/s
	c := latencyCheck{kind: "kafka", Topic: "OUTPUT", Input: "ORDERS", Field: "order_id", Percentile: 99, Max: 800 * time.Millisecond, During: duringAll}
	run := func(got []arrival) latencyRun { return latencyRun{lines: lines, load: l, got: got, topic: "out-1"} }
	// A program that handles 50 orders a second, one at a time: the nth
	// order goes out at n/50 s, whenever it was sent.
	slow := func(i int) time.Duration {
		return time.Duration(i+1)*time.Second/50 - l.Sent[i].Sub(t0)
	}
	// A fast program that took 3s to start.
	startup := func(i int) time.Duration {
		return max(3*time.Second-l.Sent[i].Sub(t0), 0) + 5*time.Millisecond
	}
	every := func(d time.Duration) func(int) time.Duration { return constant(d) }
	for _, c2 := range []struct {
		name   string
		got    []arrival
		status Status
		msgs   []string
	}{
		{"fast", outputs(lines, l, every(40*time.Millisecond), nil), Pass,
			[]string{"p99 latency 40ms (threshold 800ms) over 600 orders; p50 40ms; your program passed on at most 300 orders in any one second, while the load sent up to 300."}},
		{"fast, a few missing", outputs(lines, l, every(40*time.Millisecond), func(i int) bool { return i%200 != 7 }), Pass,
			[]string{"p99 latency 40ms", "3 orders never reached out-1: they count as late."}},
		{"many missing", outputs(lines, l, every(40*time.Millisecond), func(i int) bool { return i < 563 }), Fail,
			[]string{"37 of 600 orders never reached out-1 ($OUTPUT): they count as late, so p99 latency is over any threshold (800ms). Of those that arrived, p99 took 40ms."}},
		{"nothing", nil, Fail, []string{"None of the 600 orders reached out-1 ($OUTPUT): it stayed empty while your program ran."}},
		{"no join field", []arrival{{at: t0, value: []byte("hello")}}, Fail,
			[]string{"out-1 holds 1 message, but none is a JSON object with order_id"}},
		{"slow", outputs(lines, l, slow, nil), Fail,
			[]string{"p99 latency 9.9s, threshold 800ms, over 600 orders; p50 5.0s: orders waited in your program — your program passed on at most 50 orders in any one second, while the load sent up to 300. One synchronous send or commit per order cannot keep up with 300 orders/s: send asynchronously, then flush and commit once per batch, or run more consumers."}},
		{"slow start", outputs(lines, l, startup, nil), Fail,
			[]string{"most of the late orders were sent in the 3.0s before your program passed on its first one"}},
		{"held", outputs(lines, l, every(time.Second), nil), Fail,
			[]string{"p99 latency 1s, threshold 800ms", "so it kept pace, but held orders before passing them on"}},
		{"read the file", outputs(lines, l, every(-time.Second), nil), Fail,
			[]string{"600 of 600 orders reached out-1 before the grader sent them to $INPUT"}},
	} {
		t.Run(c2.name, func(t *testing.T) {
			o := c.judge(run(c2.got))
			if o.Status != c2.status {
				t.Fatalf("got %+v, want %s", o, c2.status)
			}
			for _, m := range c2.msgs {
				if !strings.Contains(o.Message, m) {
					t.Errorf("message %q\nwant it to say %q", o.Message, m)
				}
			}
		})
	}
	// Pulsar has no commit to blame: only the send.
	pc := c
	pc.kind = "pulsar"
	if o := pc.judge(run(outputs(lines, l, slow, nil))); o.Status != Fail || !strings.Contains(o.Message, "One synchronous send per order cannot keep up with 300 orders/s: send asynchronously and flush in batches, or run more consumers.") {
		t.Errorf("pulsar, slow: got %+v", o)
	}
	// A load that stopped before its spike: nothing sent during it.
	short := loadOfLines(150, 100, &LoadSpike{Rate: 300, First: 200, End: 800})
	short.Lines, short.Stopped = 1000, "your program had ended"
	spiky := c
	spiky.During = duringSpike
	o0 := spiky.judge(latencyRun{lines: lines, load: short, got: outputs(lines, short, constant(time.Millisecond), nil), topic: "out-1"})
	if o0.Status != Fail || o0.Message != "The load sent no order during its spike, so there was no latency to measure there: it sent 150 of 1000 lines (your program had ended)." {
		t.Errorf("got %+v", o0)
	}
	// A load that never sent a line: nothing to measure.
	o := c.judge(latencyRun{lines: lines, load: Load{Topic: "INPUT", Lines: 600, Stopped: "your program had ended"}})
	if o.Status != Fail || !strings.Contains(o.Message, "The grader sent no line of $ORDERS to $INPUT: your program had ended") {
		t.Errorf("got %+v", o)
	}
}

func TestLatencyText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		3210 * time.Microsecond: "3.2ms", 212 * time.Millisecond: "212ms", 2345 * time.Millisecond: "2.3s",
		14 * time.Second: "14s", 800 * time.Millisecond: "800ms", time.Second: "1s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := latencyText(d); got != want {
			t.Errorf("%s written %q, want %q", d, got, want)
		}
	}
}

// parseCheck parses one check written in YAML.
func parseCheck(t *testing.T, src string) (Spec, error) {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	return Parse(n.Content[0])
}

func TestLatencyAndLagSettings(t *testing.T) {
	const latency = "name: fast\ntype: kafka.latency\ntopic: OUTPUT\ninput: ORDERS\nfield: order_id\n" // lines 1-5
	s, err := parseCheck(t, latency+"percentile: 99.9\nmax: 800ms\nduring: spike\n")
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Check.(latencyCheck); c.Percentile != 99.9 || c.Max != 800*time.Millisecond || c.During != duringSpike || c.Field != "order_id" || c.Needs() != "kafka" {
		t.Fatalf("parsed %+v", c)
	}
	if _, ok := s.Check.(Observer); !ok {
		t.Fatal("a latency check must watch from before the program runs")
	}
	if j := s.Check.(LoadJudge).JudgesLoad(); j != (JudgedLoad{Input: "ORDERS", Output: "OUTPUT", Spike: true}) {
		t.Fatalf("judges %+v", j)
	}
	s, err = parseCheck(t, "name: p\ntype: pulsar.latency\ntopic: OUTPUT\ninput: ORDERS\nfield: order_id\nmax: 2s\n")
	if c := s.Check.(latencyCheck); err != nil || c.Percentile != 99 || c.During != duringAll || c.Needs() != "pulsar" {
		t.Fatalf("defaults: %+v %v", s.Check, err)
	}
	s, err = parseCheck(t, "name: lag\ntype: kafka.max-lag\ngroup: GROUP\ntopic: INPUT\nmax: 500\n")
	if c, _ := s.Check.(lagCheck); err != nil || c != (lagCheck{kind: "kafka", Topic: "INPUT", Owner: "GROUP", Max: 500}) {
		t.Fatalf("max-lag: %+v %v", s.Check, err)
	}
	s, err = parseCheck(t, "name: lag\ntype: pulsar.max-backlog\nsubscription: SUB\ntopic: INPUT\nmax: 0\n")
	if c, _ := s.Check.(lagCheck); err != nil || c != (lagCheck{kind: "pulsar", Topic: "INPUT", Owner: "SUB", Max: 0}) {
		t.Fatalf("max-backlog: %+v %v", s.Check, err)
	}

	for _, c := range []struct {
		name, src string
		line      int
		msg       string
	}{
		{"percentile zero", latency + "percentile: 0\nmax: 1s\n", 6, `percentile must be a number from 1 to 100, like 99 or 99.9, not "0"`},
		{"percentile over", latency + "percentile: 101\nmax: 1s\n", 6, `percentile must be a number from 1 to 100`},
		{"percentile a word", latency + "percentile: p99\nmax: 1s\n", 6, `not "p99"`},
		{"max missing", latency, 1, "max is missing: the latency the percentile must not exceed, like 800ms"},
		{"max a number", latency + "max: 800\n", 6, `max must be a duration like 800ms, not "800"`},
		{"max zero", latency + "max: 0s\n", 6, `max must be a duration like 800ms, not "0s"`},
		{"during unknown", latency + "max: 1s\nduring: burst\n", 7, `during must be spike (the lines the load sent during its spike), steady (the others) or all, not "burst"`},
		{"field unknown", "name: f\ntype: kafka.latency\ntopic: OUTPUT\ninput: ORDERS\nfield: id\nmax: 1s\n", 5, `field "id" is not a field of an input line (order_id, customer_id`},
		{"no field", "name: f\ntype: pulsar.latency\ntopic: OUTPUT\ninput: ORDERS\nmax: 1s\n", 1, "needs topic (the topic variable your program writes to), input (the file variable the grader loads) and field"},
		{"unknown setting", latency + "max: 1s\nthreshold: 2s\n", 7, `unknown field "threshold"`},
		{"when running", latency + "max: 1s\nwhen: running\n", 1, "cannot be when: running"},
		{"lag max missing", "name: l\ntype: kafka.max-lag\ngroup: G\ntopic: T\n", 1, "max is missing: the most messages the consumer may fall behind, like 500"},
		{"lag max negative", "name: l\ntype: kafka.max-lag\ngroup: G\ntopic: T\nmax: -1\n", 5, `max must be a whole number of messages (0 or more), like 500, not "-1"`},
		{"lag max a duration", "name: l\ntype: pulsar.max-backlog\nsubscription: S\ntopic: T\nmax: 5s\n", 5, `not "5s"`},
		{"lag without group", "name: l\ntype: kafka.max-lag\ntopic: T\nmax: 5\n", 1, "needs group (the group variable your program consumes as) and topic"},
		{"backlog without subscription", "name: l\ntype: pulsar.max-backlog\ntopic: T\nmax: 5\n", 1, "needs subscription"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseCheck(t, c.src)
			want := fmt.Sprintf("line %d: ", c.line)
			if err == nil || !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(lineOf(err), want) {
				t.Fatalf("got %v\nwant %q at %s", err, c.msg, want)
			}
		})
	}
}

// lineOf is "line N: " for the line an error reports.
func lineOf(err error) string {
	var le *LineError
	if !errors.As(err, &le) {
		return ""
	}
	return fmt.Sprintf("line %d: ", le.Line)
}

// fakeLoads is the grader's record of loads, by topic variable.
type fakeLoads map[string]Load

func (f fakeLoads) Load(topic string) (Load, bool) { l, ok := f[topic]; return l, ok }

// The consumer of the grader's, on a Kafka-protocol broker: it stamps
// outputs as it receives them, whatever their CreateTime says, and the
// check waits for it to have everything the topic holds.
func TestKafkaLatencyObserver(t *testing.T) {
	env, adm := kafkaEnv(t)
	ctx := context.Background()
	if _, err := adm.CreateTopic(ctx, 3, 1, nil, "orders-out"); err != nil {
		t.Fatal(err)
	}
	orders := datagen.Orders(2, datagen.OrdersSpec{Count: 30, Customers: 3})
	lines := datagen.Lines(orders)
	env.Vars = map[string]string{"INPUT": "orders-in", "OUTPUT": "orders-out", "ORDERS": "/tmp/orders.jsonl"}
	env.Inputs = map[string][]datagen.Order{"ORDERS": orders}
	c := latencyCheck{kind: "kafka", Topic: "OUTPUT", Input: "ORDERS", Field: "order_id", Percentile: 99, Max: 300 * time.Millisecond, During: duringAll}
	stop, err := c.Observe(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	pr, err := kgo.NewClient(append(env.KafkaOpts, kgo.DefaultProduceTopic("orders-out"))...)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	l := Load{Topic: "INPUT", From: "ORDERS", Lines: len(lines), Published: len(lines), Rate: 100}
	for _, line := range lines {
		l.Sent = append(l.Sent, time.Now())
		// Stamped an hour ago, as a copy that keeps its input's time
		// might be: the check must not believe it.
		r := &kgo.Record{Value: []byte(line), Timestamp: time.Now().Add(-time.Hour)}
		if err := pr.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	env.Loads = fakeLoads{"INPUT": l}
	o := c.Evaluate(ctx, env)
	if o.Status != Pass || !strings.Contains(o.Message, "(threshold 300ms) over 30 orders") {
		t.Fatalf("got %+v", o)
	}
	// Sent a second before it was: late by a second, and said so.
	for i := range l.Sent {
		l.Sent[i] = l.Sent[i].Add(time.Second)
	}
	env.Loads = fakeLoads{"INPUT": l}
	if o := c.Evaluate(ctx, env); o.Status != Fail || !strings.Contains(o.Message, "30 of 30 orders reached orders-out before the grader sent them to $INPUT") {
		t.Fatalf("got %+v", o)
	}
}
