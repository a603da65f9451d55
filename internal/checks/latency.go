package checks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/streamlab/streamlab/internal/datagen"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.yaml.in/yaml/v3"
)

// ---- kafka.latency, pulsar.latency
//
// How long each line of a load took to come out of the learner's
// pipeline: from the moment the grader sent it (the load's own record) to
// the moment an output carrying the same join field reached a consumer of
// the grader's, which watches the output topic from before the program
// starts and stamps each message with its own receive time. No time
// written on a message is trusted: a Kafka CreateTime is whatever the
// producer set (a copy that keeps its input's timestamp would show no
// latency at all), and a Pulsar publish time comes from the producing
// client's clock. Both ends are read from the grader's one clock.

func init() {
	for _, kind := range []string{"kafka", "pulsar"} {
		register(kind+".latency", kind, "the given percentile of the time from the grader sending each loaded input line to its output reaching the topic (seen by a consumer of the grader's) is at most max",
			func(p latencyParams) (Check, error) { return p.build(kind) })
	}
}

type latencyParams struct {
	Topic      string    `yaml:"topic"` // the topic variable the program writes to
	Input      string    `yaml:"input"` // the file variable the grader loads
	Field      yaml.Node `yaml:"field"` // joins an output to its input line
	Percentile yaml.Node `yaml:"percentile"`
	Max        yaml.Node `yaml:"max"`
	During     yaml.Node `yaml:"during"`
}

// Which lines a latency check judges, by the load's schedule.
const (
	duringAll    = "all"
	duringSpike  = "spike"
	duringSteady = "steady"
)

func (p latencyParams) build(kind string) (Check, error) {
	if p.Topic == "" || p.Input == "" || p.Field.Kind == 0 {
		return nil, errors.New("needs topic (the topic variable your program writes to), input (the file variable the grader loads) and field (the JSON field that joins an output to its input line, such as order_id)")
	}
	c := latencyCheck{kind: kind, Topic: p.Topic, Input: p.Input, Field: p.Field.Value, Percentile: 99, During: duringAll}
	if fields := inputFields(); p.Field.Kind != yaml.ScalarNode || !slices.Contains(fields, c.Field) {
		return nil, lineErr(&p.Field, "field %q is not a field of an input line (%s)", p.Field.Value, strings.Join(fields, ", "))
	}
	if n := &p.Percentile; n.Kind != 0 {
		v, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil || math.IsNaN(v) || v < 1 || v > 100 {
			return nil, lineErr(n, "percentile must be a number from 1 to 100, like 99 or 99.9, not %q", n.Value)
		}
		c.Percentile = v
	}
	if n := &p.Max; n.Kind == 0 {
		return nil, errors.New("max is missing: the latency the percentile must not exceed, like 800ms")
	} else {
		d, err := time.ParseDuration(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil || d <= 0 {
			return nil, lineErr(n, "max must be a duration like 800ms, not %q", n.Value)
		}
		c.Max = d
	}
	if n := &p.During; n.Kind != 0 {
		switch n.Value {
		case duringAll, duringSpike, duringSteady:
			c.During = n.Value
		default:
			return nil, lineErr(n, "during must be spike (the lines the load sent during its spike), steady (the others) or all, not %q", n.Value)
		}
	}
	return c, nil
}

// inputFields are the JSON fields of an input line.
func inputFields() []string {
	var out []string
	t := reflect.TypeFor[datagen.Order]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// latencyCheck is a latency check as the spec configured it.
type latencyCheck struct {
	kind       string
	Topic      string
	Input      string
	Field      string
	Percentile float64
	Max        time.Duration
	During     string
}

func (c latencyCheck) Vars() []string { return []string{c.Topic, c.Input} }
func (c latencyCheck) Needs() string  { return c.kind }

// LoadJudge is a check that judges how the program handled a load: the
// catalogue requires that its input be loaded (load: in the spec), not
// seeded, and that the load have a spike when the check judges by one.
type LoadJudge interface {
	JudgesLoad() JudgedLoad
}

// JudgedLoad is what a LoadJudge needs of the spec's loads.
type JudgedLoad struct {
	Input  string // the file variable a load must publish
	Output string // the topic variable the check reads: not the loaded topic
	Spike  bool   // the check judges by the load's spike
}

func (c latencyCheck) JudgesLoad() JudgedLoad {
	return JudgedLoad{Input: c.Input, Output: c.Topic, Spike: c.During != duringAll}
}

// arrival is one output message as the grader's consumer received it.
type arrival struct {
	at    time.Time // when the grader's consumer had it
	value []byte
}

// arrivals is what the grader's consumer of the output has received.
type arrivals struct {
	mu      sync.Mutex
	got     []arrival
	err     error // the last thing that went wrong reading, for an error report
	settled []arrival
	done    bool // settled holds what the check judges
}

func (w *arrivals) add(at time.Time, values ...[]byte) {
	w.mu.Lock()
	for _, v := range values {
		w.got = append(w.got, arrival{at: at, value: v})
	}
	w.mu.Unlock()
}

func (w *arrivals) fail(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
}

func (w *arrivals) snapshot() ([]arrival, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.got), w.err
}

type arrivalsKey struct{ c latencyCheck }

// Observe starts the grader's consumer of the output topic, before the
// program runs, from the topic's start.
func (c latencyCheck) Observe(ctx context.Context, env *Env) (func(), error) {
	w := &arrivals{}
	env.remember(arrivalsKey{c}, func(any) any { return w })
	topic := env.Var(c.Topic)
	if c.kind == "kafka" {
		return watchKafkaOutput(ctx, env, topic, w)
	}
	return watchPulsarOutput(ctx, env, topic, w)
}

// watchKafkaOutput reads topic as a plain consumer of the grader's: no
// group, so it moves nothing of the program's, and read_committed, so a
// transactional output counts from when its transaction committed, which
// is when a downstream reader can see it.
func watchKafkaOutput(ctx context.Context, env *Env, topic string, w *arrivals) (func(), error) {
	cl, err := kgo.NewClient(append(slices.Clone(env.KafkaOpts),
		kgo.ClientID("streamlab-latency"),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// A topic the program creates is found soon after it appears.
		kgo.MetadataMinAge(100*time.Millisecond),
		kgo.MetadataMaxAge(time.Second),
	)...)
	if err != nil {
		return nil, fmt.Errorf("watching %s: %w", topic, err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			fs := cl.PollFetches(rctx)
			if rctx.Err() != nil {
				return
			}
			now := time.Now()
			fs.EachError(func(t string, p int32, err error) {
				w.fail(fmt.Errorf("reading %s partition %d: %w", t, p, err))
			})
			var values [][]byte
			fs.EachRecord(func(r *kgo.Record) { values = append(values, r.Value) })
			w.add(now, values...)
		}
	}()
	return func() { cancel(); <-done; cl.Close() }, nil
}

// watchPulsarOutput reads topic with a reader of the grader's (a
// non-durable subscription, named so that the inspector leaves it out).
// A topic the program creates itself is waited for, never created by
// reading it.
func watchPulsarOutput(ctx context.Context, env *Env, topic string, w *arrivals) (func(), error) {
	open := func() (pulsar.Reader, error) {
		return env.Pulsar.Client.CreateReader(pulsar.ReaderOptions{
			Topic:                  topic,
			StartMessageID:         pulsar.EarliestMessageID(),
			SubscriptionRolePrefix: ReplayRole,
		})
	}
	exists, err := env.pulsarTopicExists(ctx, topic)
	if err != nil {
		return nil, err
	}
	var r pulsar.Reader
	if exists {
		// Ready before the program starts.
		if r, err = open(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", topic, err)
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r == nil {
			select {
			case <-rctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			if ok, err := env.pulsarTopicExists(rctx, topic); err != nil || !ok {
				continue
			}
			var err error
			if r, err = open(); err != nil {
				w.fail(fmt.Errorf("reading %s: %w", topic, err))
			}
		}
		defer r.Close()
		for {
			m, err := r.Next(rctx)
			if err != nil {
				if rctx.Err() == nil {
					w.fail(fmt.Errorf("reading %s: %w", topic, err))
				}
				return
			}
			w.add(time.Now(), m.Payload())
		}
	}()
	return func() { cancel(); <-done }, nil
}

// pulsarTopicExists reports whether topic exists, partitioned or not.
func (e *Env) pulsarTopicExists(ctx context.Context, topic string) (bool, error) {
	if _, ok, err := e.topicStats(ctx, topic); err != nil || ok {
		return ok, err
	}
	_, ok, err := e.partitionedStats(ctx, topic)
	return ok, err
}

// settleLimit bounds how long the check waits for its consumer to receive
// what the output topic holds once the program has ended.
const settleLimit = 10 * time.Second

func (c latencyCheck) Evaluate(ctx context.Context, env *Env) Outcome {
	w, _ := env.remember(arrivalsKey{c}, func(old any) any { return old }).(*arrivals)
	if w == nil {
		return errored(errors.New("the check's consumer was not watching the output before the program ran"))
	}
	l, ok := env.loadOf(c.Input)
	if !ok {
		return errored(fmt.Errorf("the grader kept no record of publishing %s: a latency check needs a load of it (load: in the spec)", c.Input))
	}
	got, o := c.settle(ctx, env, w)
	if o != nil {
		return *o
	}
	return c.judge(latencyRun{lines: datagen.Lines(env.Input(c.Input)), load: l, got: got, topic: env.Var(c.Topic)})
}

// loadOf is the record of the load that published the file variable input.
func (e *Env) loadOf(input string) (Load, bool) {
	if e.Loads == nil {
		return Load{}, false
	}
	for _, name := range sortedKeys(e.Vars) {
		if l, ok := e.Loads.Load(name); ok && l.From == input {
			return l, true
		}
	}
	return Load{}, false
}

// settle waits until the check's consumer has received every output the
// topic holds (the program has ended, so no more should come), and keeps
// that as what the check judges, so that a re-evaluation judges the same.
// An output the topic holds and the consumer never received is the
// grader's failure, not the learner's.
func (c latencyCheck) settle(ctx context.Context, env *Env, w *arrivals) ([]arrival, *Outcome) {
	return settleArrivals(ctx, env, c.kind, c.Topic, w)
}

// settleArrivals is settle for any check whose consumer w reads the topic
// variable topicVar of a kind ("kafka" or "pulsar") cluster.
func settleArrivals(ctx context.Context, env *Env, kind, topicVar string, w *arrivals) ([]arrival, *Outcome) {
	w.mu.Lock()
	if w.done {
		defer w.mu.Unlock()
		return w.settled, nil
	}
	w.mu.Unlock()
	topic := env.Var(topicVar)
	var values [][]byte
	if kind == "kafka" {
		recs, o := env.records(ctx, topicVar)
		if o != nil {
			return nil, o
		}
		for _, r := range recs {
			values = append(values, r.Value)
		}
	} else {
		msgs, o := env.messagesOf(ctx, topicVar)
		if o != nil {
			return nil, o
		}
		for _, m := range msgs {
			values = append(values, m.Value)
		}
	}
	want := map[string]int{}
	for _, v := range values {
		want[string(v)]++
	}
	deadline := time.Now().Add(settleLimit)
	for {
		got, err := w.snapshot()
		seen := map[string]int{}
		for _, a := range got {
			seen[string(a.value)]++
		}
		short := 0
		for v, n := range want {
			short += max(n-seen[v], 0)
		}
		if short == 0 {
			w.mu.Lock()
			w.settled, w.done = got, true
			w.mu.Unlock()
			return got, nil
		}
		if time.Now().After(deadline) {
			why := ""
			if err != nil {
				why = ": " + err.Error()
			}
			o := errored(fmt.Errorf("the grader's consumer of %s had not received %d of the %d messages the topic holds %s after your program ended%s", topic, short, len(values), settleLimit, why))
			return nil, &o
		}
		select {
		case <-ctx.Done():
			o := errored(fmt.Errorf("waiting for the output on %s: %w", topic, ctx.Err()))
			return nil, &o
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// latencyRun is what a latency check judges.
type latencyRun struct {
	lines []string  // the input file, in order
	load  Load      // what the grader sent, and when
	got   []arrival // what the grader's consumer received from the output
	topic string    // the run's name of the output topic
}

// pairing is each sent line's latency, matched with its output.
type pairing struct {
	latency []time.Duration // by sent line; for the arrived ones
	arrived []bool
	joins   []bool // the line has the join field
	carried int    // outputs that carry the join field
	early   []int  // lines whose output arrived before the grader sent them
	firstAt time.Time
	outputs []time.Time // when each arrived line's output arrived
}

// pair matches every sent line with an output carrying its join value:
// the k-th line sent with a value with the k-th output of it to arrive.
// Outputs beyond that (duplicates) and outputs without the field are not
// judged here; other checks judge what the output holds.
func (c latencyCheck) pair(r latencyRun) pairing {
	sent := r.load.Sent
	p := pairing{latency: make([]time.Duration, len(sent)), arrived: make([]bool, len(sent)), joins: make([]bool, len(sent))}
	byValue := map[string][]int{}
	for i := range sent {
		if i >= len(r.lines) {
			break
		}
		if v, ok := JSONField([]byte(r.lines[i]), c.Field); ok {
			byValue[v] = append(byValue[v], i)
			p.joins[i] = true
		}
	}
	got := slices.Clone(r.got)
	slices.SortStableFunc(got, func(a, b arrival) int { return a.at.Compare(b.at) })
	outAt := map[string][]time.Time{}
	for _, a := range got {
		if v, ok := JSONField(a.value, c.Field); ok {
			p.carried++
			outAt[v] = append(outAt[v], a.at)
		}
	}
	for v, lines := range byValue {
		ts := outAt[v]
		for k, i := range lines {
			if k >= len(ts) {
				break
			}
			d := ts[k].Sub(sent[i])
			// Both times are from the grader's clock: an output cannot
			// come before its input, unless the program did not wait for
			// it. (With a value on several lines, a duplicated output may
			// pair with a later line: no proof of that.)
			if d < -time.Millisecond && len(lines) == 1 {
				p.early = append(p.early, i)
			}
			p.latency[i], p.arrived[i] = max(d, 0), true
			p.outputs = append(p.outputs, ts[k])
			if p.firstAt.IsZero() || ts[k].Before(p.firstAt) {
				p.firstAt = ts[k]
			}
		}
	}
	return p
}

// judged says whether the check judges sent line i, by the load's schedule.
func (c latencyCheck) judged(l Load, i int) bool {
	if c.During == duringAll {
		return true
	}
	in := l.Spike != nil && i >= l.Spike.First && i < l.Spike.End
	return in == (c.During == duringSpike)
}

// percentile is the p-th percentile of sorted (ascending) by nearest
// rank, counting missing values as longer than any; ok is false when it
// falls on a missing one.
func percentile(sorted []time.Duration, missing int, p float64) (time.Duration, bool) {
	n := len(sorted) + missing
	if n == 0 {
		return 0, false
	}
	rank := max(int(math.Ceil(p*float64(n)/100-1e-9)), 1)
	if rank > len(sorted) {
		return 0, false
	}
	return sorted[rank-1], true
}

// busiest is the most of times that fall in one second, counting whole
// seconds from origin (the load's first line), so that a schedule of N a
// second has N in each.
func busiest(times []time.Time, origin time.Time) int {
	per := map[int64]int{}
	best := 0
	for _, t := range times {
		k := int64(math.Floor(t.Sub(origin).Seconds()))
		per[k]++
		best = max(best, per[k])
	}
	return best
}

// peakRate is the load's fastest rate by its schedule, lines per second.
func peakRate(l Load) int {
	switch {
	case l.Spike != nil:
		return l.Spike.Rate
	case l.Rate > 0:
		return l.Rate
	}
	return math.MaxInt
}

func (c latencyCheck) judge(r latencyRun) Outcome {
	l := r.load
	pname := "p" + strconv.FormatFloat(c.Percentile, 'f', -1, 64)
	scope := ""
	switch c.During {
	case duringSpike:
		scope = " sent during the load's spike"
	case duringSteady:
		scope = " sent outside the load's spike"
	}
	if len(l.Sent) == 0 {
		why := ""
		if l.Stopped != "" {
			why = ": " + l.Stopped
		}
		return failed("The grader sent no line of $%s to $%s%s, so there was no latency to measure.", c.Input, l.Topic, why)
	}
	p := c.pair(r)
	var lat []time.Duration
	var judged, missing []int
	for i := range l.Sent {
		if !p.joins[i] || !c.judged(l, i) {
			continue
		}
		judged = append(judged, i)
		if p.arrived[i] {
			lat = append(lat, p.latency[i])
		} else {
			missing = append(missing, i)
		}
	}
	if len(judged) == 0 {
		if c.During != duringAll {
			where := map[string]string{duringSpike: "during", duringSteady: "outside"}[c.During]
			return failed("The load sent no order %s its spike, so there was no latency to measure there: it sent %d of %d lines%s.", where, len(l.Sent), l.Lines, stoppedText(l))
		}
		return failed("None of the %d lines the load sent carries %s, so none can be matched with an output.", len(l.Sent), c.Field)
	}
	slices.Sort(lat)
	n := len(judged)
	orders := fmt.Sprintf("%d order%s%s", n, plural(n), scope)
	kept := busiest(p.outputs, l.Sent[0])
	// A send that slipped past a second's end is not a faster load.
	offered := min(busiest(l.Sent, l.Sent[0]), peakRate(l))
	pace := fmt.Sprintf("your program passed on at most %d order%s in any one second, while the load sent up to %d", kept, plural(kept), offered)
	median := ""
	if m, ok := percentile(lat, len(missing), 50); ok && c.Percentile != 50 {
		median = "; p50 " + latencyText(m)
	}

	if len(p.early) > 0 {
		return failed("%d of %d orders reached %s before the grader sent them to $%s: your program must pass on each order it reads from $%s, not read the input file itself.",
			len(p.early), len(l.Sent), r.topic, l.Topic, l.Topic)
	}
	if p.carried == 0 {
		if len(r.got) == 0 {
			return failed("None of the %s reached %s ($%s): it stayed empty while your program ran. Write each order you read from $%s to $%s.", orders, r.topic, c.Topic, l.Topic, c.Topic)
		}
		return failed("%s holds %d message%s, but none is a JSON object with %s, so none can be matched with its order: write each order's JSON (or at least its %s) to $%s.",
			r.topic, len(r.got), plural(len(r.got)), c.Field, c.Field, c.Topic)
	}
	lost := ""
	if len(missing) > 0 {
		lost = fmt.Sprintf("%d order%s never reached %s: they count as late", len(missing), plural(len(missing)), r.topic)
	}
	v, ok := percentile(lat, len(missing), c.Percentile)
	if !ok {
		arrived := ""
		if a, ok := percentile(lat, 0, c.Percentile); ok {
			arrived = fmt.Sprintf(" Of those that arrived, %s took %s.", pname, latencyText(a))
		}
		return failed("%d of %s never reached %s ($%s): they count as late, so %s latency is over any threshold (%s).%s Did your program stop before it had passed on every order, or drop some (an error it ignored, sends it did not flush before exiting)?",
			len(missing), orders, r.topic, c.Topic, pname, latencyText(c.Max), arrived)
	}
	if v <= c.Max {
		msg := fmt.Sprintf("%s latency %s (threshold %s) over %s%s; %s.", pname, latencyText(v), latencyText(c.Max), orders, median, pace)
		if lost != "" {
			msg += " " + strings.ToUpper(lost[:1]) + lost[1:] + "."
		}
		return passed("%s", msg)
	}

	head := fmt.Sprintf("%s latency %s, threshold %s, over %s%s", pname, latencyText(v), latencyText(c.Max), orders, median)
	if lost != "" {
		head += " (" + lost + ")"
	}
	// Late orders sent before the program passed on its first one, and
	// after: a program that was late only while it started is slow to start.
	var startup, after int
	for _, i := range judged {
		if !p.arrived[i] || p.latency[i] > c.Max {
			if l.Sent[i].Before(p.firstAt) {
				startup++
			} else {
				after++
			}
		}
	}
	switch {
	case kept*10 < offered*9 && c.kind == "kafka":
		// A commit is a round trip as a send is, and as often the one
		// made per order: the output alone cannot tell them apart.
		return failed("%s: orders waited in your program — %s. One synchronous send or commit per order cannot keep up with %d orders/s: send asynchronously, then flush and commit once per batch, or run more consumers.",
			head, pace, offered)
	case kept*10 < offered*9:
		return failed("%s: orders waited in your program — %s. One synchronous send per order cannot keep up with %d orders/s: send asynchronously and flush in batches, or run more consumers.",
			head, pace, offered)
	case after*4 <= startup:
		return failed("%s: most of the late orders were sent in the %s before your program passed on its first one — it started too slowly. Connect and subscribe first, before anything slow, and pass on each order as it arrives.",
			head, latencyText(p.firstAt.Sub(l.Sent[0])))
	}
	return failed("%s: %s, so it kept pace, but held orders before passing them on. Something waits before each send or flush — a long linger, a batch that waits to fill, a sleep, a commit before each send: pass on each order as soon as it is read.",
		head, pace)
}

func stoppedText(l Load) string {
	if l.Stopped == "" {
		return ""
	}
	return " (" + l.Stopped + ")"
}

// latencyText writes a latency as a learner reads it: 3.2ms, 212ms, 2.3s,
// 14s; whole seconds as such (a threshold of 1s).
func latencyText(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 0, 64) + "s"
}
