package grader_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/embedded"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/checks"
	"github.com/streamlab/streamlab/internal/datagen"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
)

// loadSpec is an exercise whose input ORDERS (count lines) the grader
// publishes to INPUT while testdata/loadcopy copies it to OUTPUT, with
// the given load settings and run command. The checks are the existing
// ones, on the loaded topic as on a seeded one.
func loadSpec(t testing.TB, kind containers.Kind, count int, load, run string) *catalogue.Exercise {
	t.Helper()
	parts := "3"
	if kind == containers.Pulsar {
		parts = "0" // not partitioned: a reader sees the file's order
	}
	spec := `title: load
cluster: ` + string(kind) + `
files: [main.go]
variables:
  INPUT: {kind: topic, partitions: ` + parts + `}
  OUTPUT: {kind: topic, partitions: ` + parts + `}
  SUBSCRIPTION: {kind: subscription}
  ORDERS: {kind: file, generator: orders, count: ` + strconv.Itoa(count) + `, customers: 7}
hints: [one, two]
timeout: 60s
run: ` + run + `
load:
  - topic: INPUT
    from: ORDERS
    key: customer_id
` + load + `
checks:
`
	if kind == containers.Kafka {
		spec += `  - name: the input holds every line once
    type: kafka.values-match-input
    topic: INPUT
    input: ORDERS
  - name: the input keeps each customer's order
    type: kafka.per-key-order
    topic: INPUT
    order: seq
  - name: the output holds every line once
    type: kafka.values-match-input
    topic: OUTPUT
    input: ORDERS
  - name: the output keeps each customer's order
    type: kafka.per-key-order
    topic: OUTPUT
    order: seq
`
	} else {
		spec += `  - name: the input holds every line once
    type: pulsar.values-match-input
    topic: INPUT
    input: ORDERS
  - name: the output holds every line once
    type: pulsar.values-match-input
    topic: OUTPUT
    input: ORDERS
`
	}
	id := string(kind) + "/load"
	fsys := fstest.MapFS{
		"labs/01-load/lab.md": {Data: []byte("---\nid: load\ntitle: Load\nexercises: [" + id + "]\n---\n\n## One\n\nText.\n")},
		"exercises/" + string(kind) + "/01-load/exercise.yaml": {Data: []byte(spec)},
		"exercises/" + string(kind) + "/01-load/main.go":       {Data: []byte("package main // TODO\n")},
		"solutions/" + string(kind) + "/01-load/main.go":       {Data: []byte("package main\n")},
	}
	cat, err := catalogue.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise(id)
	ex.Build = catalogue.DefaultBuild
	return ex
}

// stamped is one line as a topic holds it: its value, and its stamp
// (Kafka CreateTime; Pulsar event time on the input, publish time on the
// program's output).
type stamped struct {
	value string
	at    time.Time
}

// loadProbe is a check that notes what the run's checks.Env says of the
// load on INPUT, and what INPUT and OUTPUT hold, once the program ended.
type loadProbe struct {
	kind containers.Kind

	mu        sync.Mutex
	evaluated bool
	load      checks.Load
	found     bool
	lines     []string // the ORDERS file, in order
	input     []stamped
	output    []stamped
}

func (p *loadProbe) Vars() []string { return []string{"INPUT", "OUTPUT"} }
func (p *loadProbe) Needs() string  { return string(p.kind) }

func (p *loadProbe) Evaluate(ctx context.Context, env *checks.Env) checks.Outcome {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.evaluated = true
	if env.Loads == nil {
		return checks.Outcome{Status: checks.Fail, Message: "no Loads in the env"}
	}
	p.load, p.found = env.Loads.Load("INPUT")
	p.lines = datagen.Lines(env.Input("ORDERS"))
	var err error
	if p.input, err = p.read(ctx, env, env.Var("INPUT"), true); err == nil {
		p.output, err = p.read(ctx, env, env.Var("OUTPUT"), false)
	}
	if err != nil {
		return checks.Outcome{Status: checks.Error, Message: err.Error()}
	}
	return checks.Outcome{Status: checks.Pass}
}

func (p *loadProbe) read(ctx context.Context, env *checks.Env, topic string, input bool) ([]stamped, error) {
	var out []stamped
	if p.kind == containers.Kafka {
		recs, err := env.ReadTopic(ctx, topic)
		if err != nil && !strings.Contains(err.Error(), "does not exist") {
			return nil, err
		}
		for _, r := range recs {
			out = append(out, stamped{string(r.Value), r.Timestamp})
		}
		return out, nil
	}
	r, err := env.Pulsar.Client.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: pulsar.EarliestMessageID()})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	for r.HasNext() {
		m, err := r.Next(ctx)
		if err != nil {
			return nil, err
		}
		at := m.PublishTime()
		if input {
			at = m.EventTime()
		}
		out = append(out, stamped{string(m.Payload()), at})
	}
	return out, nil
}

// loadRun is one graded run of a loaded exercise.
type loadRun struct {
	res    result.Result
	vars   map[string]string
	events []string
	probe  *loadProbe
}

func gradeLoad(t *testing.T, cl containers.Cluster, ex *catalogue.Exercise, events func(grader.Event)) *loadRun {
	t.Helper()
	dir, err := filepath.Abs("testdata/loadcopy")
	if err != nil {
		t.Fatal(err)
	}
	lr := &loadRun{probe: &loadProbe{kind: ex.Cluster}}
	ex.Checks = append(ex.Checks, checks.Spec{Name: "probe", Type: "test.probe", When: checks.AfterRun, Check: lr.probe})
	var mu sync.Mutex
	cache := t.TempDir()
	lr.res = grader.Run(context.Background(), grader.Request{
		Exercise: ex, Dir: dir, Cluster: cl, Provider: "test", ProgramCache: cache, BuildTimeout: 10 * time.Minute, Keep: true,
		Events: func(e grader.Event) {
			mu.Lock()
			defer mu.Unlock()
			if e.Vars != nil {
				lr.vars = e.Vars
			}
			if e.Fault != "" {
				lr.events = append(lr.events, e.Fault)
			}
			if events != nil {
				events(e)
			}
		},
	})
	assertNothingRunsFrom(t, cache)
	t.Logf("%s %s; grader events:\n%s", lr.res.Status, lr.res.Message, strings.Join(lr.events, "\n"))
	t.Cleanup(func() { _ = grader.Remove(context.Background(), cl, ex, lr.vars) })
	return lr
}

// testLoadPublishesOnSchedule: every line is published once, in order per
// customer, stamped with its send time, paced by the schedule (steady,
// a spike, steady again), and a program reading meanwhile sees the lines
// arrive over the load's span, not all at once.
func testLoadPublishesOnSchedule(t *testing.T, cl containers.Cluster) {
	// 100/s; 400/s from 1s to 1.5s; 100/s again: lines 0-99 over 1s, 100-299
	// over 0.5s, 300-399 over 1s.
	const count = 400
	ex := loadSpec(t, cl.Kind(), count, `    rate: 100/s
    spike: {after: 1s, times: 4, for: 500ms}
    start: 500ms`, `'"$STREAMLAB_PROGRAM"'`)
	lr := gradeLoad(t, cl, ex, nil)
	if lr.res.Status != result.Pass {
		t.Fatalf("status %s:\n%s\nevents %q", lr.res.Status, describe(lr.res), lr.events)
	}
	p := lr.probe
	if !p.evaluated || !p.found {
		t.Fatalf("the checks saw no load on INPUT (evaluated %v)", p.evaluated)
	}
	l := p.load
	spec := ex.Load[0]
	if l.Topic != "INPUT" || l.From != "ORDERS" || l.Lines != count || len(l.Sent) != count || l.Published != count || l.Stopped != "" || len(l.Errors) != 0 {
		t.Fatalf("load record: topic %s from %s, %d lines, %d sent, %d published, stopped %q, errors %q",
			l.Topic, l.From, l.Lines, len(l.Sent), l.Published, l.Stopped, l.Errors)
	}
	if l.Planned != spec.Due(count-1) {
		t.Fatalf("planned %s, the schedule says %s", l.Planned, spec.Due(count-1))
	}
	// The loader never sends a line before it is due, so each phase takes
	// at least its planned time (less the first send's own lateness); it
	// may run late, within generous bounds.
	since := func(i int) time.Duration { return l.Sent[i].Sub(l.Sent[0]) }
	slack := 20 * time.Millisecond
	for _, ph := range []struct {
		name     string
		from, to int
	}{{"steady before the spike", 0, 99}, {"the spike", 100, 299}, {"steady after the spike", 300, 399}} {
		planned := spec.Due(ph.to) - spec.Due(ph.from)
		got := l.Sent[ph.to].Sub(l.Sent[ph.from])
		if got < planned-slack || got > planned+2*time.Second {
			t.Errorf("%s (lines %d-%d) took %s, planned %s", ph.name, ph.from, ph.to, got, planned)
		}
	}
	if s := l.Sent[299].Sub(l.Sent[100]); s > 1500*time.Millisecond {
		t.Errorf("the spike's 200 lines took %s: at the steady rate they would take 2s", s)
	}
	for i := 1; i < count; i++ {
		if since(i) < spec.Due(i)-slack {
			t.Fatalf("line %d sent %s after the first, before its due time %s", i, since(i), spec.Due(i))
		}
	}
	if l.Took != since(count-1) || l.Took > l.Planned+l.Behind+2*time.Second {
		t.Errorf("took %s (behind %s), planned %s", l.Took, l.Behind, l.Planned)
	}

	// The input holds each line once, stamped with the moment the grader
	// sent it (to the millisecond the protocol keeps).
	lines := map[string]int{}
	for i, o := range p.lines {
		lines[o] = i
	}
	if len(p.input) != count {
		t.Fatalf("INPUT holds %d lines, want %d", len(p.input), count)
	}
	seen := map[string]bool{}
	last := map[string]int{} // customer -> line of its latest order so far
	for _, s := range p.input {
		i, ok := lines[s.value]
		if !ok || seen[s.value] {
			t.Fatalf("INPUT holds %q: not a line of ORDERS, or twice", s.value)
		}
		seen[s.value] = true
		// In topic order (by partition, then offset; a customer's orders
		// share a partition), each customer's lines in file order.
		c, _ := checks.JSONField([]byte(s.value), "customer_id")
		if prev, ok := last[c]; ok && prev > i {
			t.Fatalf("%s: line %d is on INPUT after line %d", c, i, prev)
		}
		last[c] = i
		if want := l.Sent[i].Truncate(time.Millisecond); !s.at.Equal(want) {
			t.Fatalf("line %d stamped %s, sent at %s", i, s.at.Format(time.RFC3339Nano), l.Sent[i].Format(time.RFC3339Nano))
		}
	}
	// The program copied each line once it had it: never before it was
	// sent, and over the span of the load rather than at once.
	if len(p.output) != count {
		t.Fatalf("OUTPUT holds %d lines, want %d", len(p.output), count)
	}
	first, end := p.output[0].at, p.output[0].at
	for _, s := range p.output {
		i := lines[s.value]
		if s.at.Before(l.Sent[i].Truncate(time.Millisecond)) {
			t.Fatalf("line %d copied at %s, before the grader sent it at %s", i, s.at, l.Sent[i])
		}
		first, end = minTime(first, s.at), maxTime(end, s.at)
	}
	if span := end.Sub(first); span < l.Planned/2 {
		t.Errorf("the program's copies span %s: the load's lines arrived over %s", span, l.Planned)
	}
	if len(lr.events) != 2 || !strings.HasPrefix(lr.events[0], "began publishing the 400 lines of ORDERS to INPUT at 100/s (400/s from 1s for 500ms), 500ms after the program started") ||
		!strings.HasPrefix(lr.events[1], "published the 400 lines of ORDERS to INPUT") {
		t.Errorf("events %q", lr.events)
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func TestLoadPublishesOnScheduleEmbedded(t *testing.T) {
	testLoadPublishesOnSchedule(t, newClusters(t, embedded.New()).get(containers.Kafka))
}

func TestLoadPublishesOnScheduleLocalKafka(t *testing.T) {
	testLoadPublishesOnSchedule(t, sharedLocal(t, containers.Kafka))
}

func TestLoadPublishesOnScheduleLocalPulsar(t *testing.T) {
	testLoadPublishesOnSchedule(t, sharedLocal(t, containers.Pulsar))
}

// A program that ends while the load runs stops it: the loader records
// where it stopped and why, what it sent is on the topic, and nothing is
// published after the run.
func testLoadStopsWithTheProgram(t *testing.T, cl containers.Cluster) {
	const count = 400 // 20s at 20/s; the program ends after 1s
	ex := loadSpec(t, cl.Kind(), count, "    rate: 20/s", "sleep 1")
	lr := gradeLoad(t, cl, ex, nil)
	if lr.res.Status != result.Fail {
		t.Fatalf("status %s, want fail (the output is empty):\n%s\nevents %q", lr.res.Status, describe(lr.res), lr.events)
	}
	if in := findTest(t, lr.res, "the input holds every line once"); in.Status != result.Fail || !strings.Contains(in.Message, "missing") {
		t.Errorf("input check %+v", in)
	}
	l := lr.probe.load
	if !lr.probe.found || l.Stopped != "your program had ended" || len(l.Sent) == 0 || len(l.Sent) >= count || l.Published != len(l.Sent) {
		t.Fatalf("load record: found %v, %d sent, %d published, stopped %q, errors %q", lr.probe.found, len(l.Sent), l.Published, l.Stopped, l.Errors)
	}
	if len(lr.probe.input) != len(l.Sent) {
		t.Fatalf("INPUT holds %d lines, the loader sent %d", len(lr.probe.input), len(l.Sent))
	}
	// Nothing more arrives once the run is over.
	time.Sleep(time.Second)
	again := countOf(t, cl, lr.vars["INPUT"])
	if again != len(l.Sent) {
		t.Fatalf("INPUT holds %d lines a second after the run, %d when it ended", again, len(l.Sent))
	}
	want := "stopped publishing ORDERS to INPUT after " + strconv.Itoa(len(l.Sent)) + " of 400 lines"
	if len(lr.events) != 2 || !strings.HasPrefix(lr.events[1], want) || !strings.HasSuffix(lr.events[1], ": your program had ended") {
		t.Errorf("events %q, want the second to begin %q", lr.events, want)
	}
}

func TestLoadStopsWithTheProgramEmbedded(t *testing.T) {
	testLoadStopsWithTheProgram(t, newClusters(t, embedded.New()).get(containers.Kafka))
}

func TestLoadStopsWithTheProgramLocalPulsar(t *testing.T) {
	testLoadStopsWithTheProgram(t, sharedLocal(t, containers.Pulsar))
}

// A cluster that dies under a load makes the run an error, never a
// failure, and the load stops with the run.
func TestLoadOnADeadClusterIsAnError(t *testing.T) {
	ctx := context.Background()
	cl, err := embedded.New().Start(ctx, containers.Kafka, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop(ctx)
	k := cl.(killable)
	ex := loadSpec(t, containers.Kafka, 400, "    rate: 20/s", "sleep 600")
	var killErr error
	lr := gradeLoad(t, cl, ex, func(e grader.Event) {
		if strings.HasPrefix(e.Fault, "began publishing") {
			killErr = k.Kill() // before the load's first line
		}
	})
	if killErr != nil {
		t.Fatal(killErr)
	}
	if lr.res.Status != result.Error {
		t.Fatalf("status %s, want error:\n%s", lr.res.Status, describe(lr.res))
	}
	if len(lr.events) != 2 || !strings.HasPrefix(lr.events[1], "stopped publishing ORDERS to INPUT") {
		t.Fatalf("events %q: the load did not stop with the run", lr.events)
	}
}

// countOf counts the records or messages a topic holds, read as a
// client of the test's own.
func countOf(t *testing.T, cl containers.Cluster, topic string) int {
	t.Helper()
	if cl.Kind() == containers.Kafka {
		return len(readAll(t, cl, topic))
	}
	c, err := pulsar.NewClient(pulsar.ClientOptions{URL: cl.Endpoints().PulsarServiceURL, Logger: plog.DefaultNopLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: pulsar.EarliestMessageID()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for r.HasNext() {
		if _, err := r.Next(ctx); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}
