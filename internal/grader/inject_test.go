package grader_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/embedded"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// faultSpec is an exercise around testdata/slowproducer, with the given
// run command and extra top-level YAML (instances, faults).
func faultSpec(t testing.TB, run, extra string) *catalogue.Exercise {
	t.Helper()
	spec := `title: faults
cluster: kafka
files: [main.go]
variables:
  TOPIC: {kind: topic, partitions: 3}
  GROUP: {kind: group}
hints: [one, two]
timeout: 60s
run: ` + run + `
checks:
  - name: the topic exists
    type: kafka.topic
    topic: TOPIC
` + extra
	fsys := fstest.MapFS{
		"labs/01-faults/lab.md":                   {Data: []byte("---\nid: faults\ntitle: Faults\nexercises: [kafka/faults]\n---\n\n## One\n\nText.\n")},
		"exercises/kafka/01-faults/exercise.yaml": {Data: []byte(spec)},
		"exercises/kafka/01-faults/main.go":       {Data: []byte("package main // TODO\n")},
		"solutions/kafka/01-faults/main.go":       {Data: []byte("package main\n")},
	}
	cat, err := catalogue.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise("kafka/faults")
	// Built as an exercise is: go build into the program cache, then run.
	ex.Build = catalogue.DefaultBuild
	return ex
}

// faultRun is one graded run of slowproducer, kept for inspection.
type faultRun struct {
	res     result.Result
	vars    map[string]string
	faults  []string // Fault events, in order
	records []*kgo.Record
	starts  map[string][]string // instance -> pid of each start
	// counts is, per pid, how many records that start wrote (its marker too).
	counts map[string]int
}

func gradeFaults(t *testing.T, cl containers.Cluster, ex *catalogue.Exercise) faultRun {
	t.Helper()
	dir, err := filepath.Abs("testdata/slowproducer")
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	var fr faultRun
	var mu sync.Mutex
	fr.res = grader.Run(context.Background(), grader.Request{
		Exercise: ex, Dir: dir, Cluster: cl, Provider: "test", Keep: true, ProgramCache: cache,
		Events: func(e grader.Event) {
			mu.Lock()
			defer mu.Unlock()
			if e.Vars != nil {
				fr.vars = e.Vars
			}
			if e.Fault != "" {
				fr.faults = append(fr.faults, e.Fault)
			}
		},
	})
	assertNothingRunsFrom(t, cache)
	t.Cleanup(func() { _ = grader.Remove(context.Background(), cl, ex, fr.vars) })
	fr.records = readAll(t, cl, fr.vars["TOPIC"])
	fr.starts, fr.counts = map[string][]string{}, map[string]int{}
	for _, r := range fr.records {
		f := strings.Split(string(r.Value), "/")
		if len(f) != 4 {
			t.Fatalf("record %q is not instance/pid/instances/n", r.Value)
		}
		if string(r.Key) == "start" {
			fr.starts[f[0]] = append(fr.starts[f[0]], f[1])
		}
		fr.counts[f[1]]++
	}
	return fr
}

// assertNothingRunsFrom fails when a process runs a program built in
// cache once the run is over: a kill must leave nothing behind.
func assertNothingRunsFrom(t *testing.T, cache string) {
	t.Helper()
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err == nil && strings.HasPrefix(string(b), cache) {
			t.Errorf("%s is still running after the run: %q", filepath.Dir(p), b)
		}
	}
}

// readAll reads every record of topic, up to its end offsets now.
func readAll(t *testing.T, cl containers.Cluster, topic string) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kgo.NewClient(kgo.SeedBrokers(cl.Endpoints().KafkaBootstrap...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ends, err := kadm.NewClient(c).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	ends.Each(func(o kadm.ListedOffset) { want += o.Offset })
	var out []*kgo.Record
	for int64(len(out)) < want {
		fs := c.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records of %s", len(out), want, topic)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

func findTest(t *testing.T, r result.Result, prefix string) result.Test {
	t.Helper()
	for _, test := range r.Tests {
		if strings.HasPrefix(test.Name, prefix) {
			return test
		}
	}
	t.Fatalf("no test named %q...:\n%s", prefix, describe(r))
	return result.Test{}
}

const slow = `TOTAL=60 DELAY=25ms "$STREAMLAB_PROGRAM"`

// Killed once the topic holds 20 records, and started again: two starts,
// the first cut short after at least 20 records, the second complete.
func testKillAndRestart(t *testing.T, cl containers.Cluster) {
	ex := faultSpec(t, slow, `faults:
  - kill: program
    when:
      records: {topic: TOPIC, at_least: 20}
`)
	fr := gradeFaults(t, cl, ex)
	if fr.res.Status != result.Pass {
		t.Fatalf("status %s:\n%s", fr.res.Status, describe(fr.res))
	}
	starts := fr.starts["0"]
	if len(starts) != 2 {
		t.Fatalf("started %d times (%v), want 2:\n%s", len(starts), starts, describe(fr.res))
	}
	first, second := fr.counts[starts[0]], fr.counts[starts[1]]
	if first < 20 || first >= 61 {
		t.Fatalf("the first run wrote %d records: want at least the trigger's 20, and fewer than its 61", first)
	}
	if second != 61 {
		t.Fatalf("the second run wrote %d records, want all 61", second)
	}
	if len(fr.faults) != 1 || !strings.Contains(fr.faults[0], "killed instance 0") || !strings.Contains(fr.faults[0], "TOPIC held") ||
		!strings.HasSuffix(fr.faults[0], "started it again") {
		t.Fatalf("fault events %q", fr.faults)
	}
	prog := findTest(t, fr.res, "the program runs to completion")
	if prog.Status != result.Pass || !strings.Contains(prog.Message, "run 2 of 2") {
		t.Fatalf("program test %+v", prog)
	}
	ft := findTest(t, fr.res, "fault: kill instance 0")
	if ft.Status != result.Pass || ft.MaxScore != 0 || !strings.Contains(ft.Message, "killed instance 0") {
		t.Fatalf("fault test %+v", ft)
	}
	if !strings.Contains(fr.res.Output, "--- instance 0, run 1: killed by the grader") {
		t.Fatalf("output does not mark the killed run:\n%s", fr.res.Output)
	}
}

func TestKillAndRestartEmbedded(t *testing.T) {
	testKillAndRestart(t, newClusters(t, embedded.New()).get(containers.Kafka))
}

func TestKillAndRestartLocal(t *testing.T) {
	testKillAndRestart(t, sharedLocal(t, containers.Kafka))
}

// Two instances run at once, each told its index and the count.
func TestTwoInstances(t *testing.T) {
	cl := newClusters(t, embedded.New()).get(containers.Kafka)
	fr := gradeFaults(t, cl, faultSpec(t, `TOTAL=10 DELAY=10ms "$STREAMLAB_PROGRAM"`, "instances: 2\n"))
	if fr.res.Status != result.Pass {
		t.Fatalf("status %s:\n%s", fr.res.Status, describe(fr.res))
	}
	for _, i := range []string{"0", "1"} {
		if len(fr.starts[i]) != 1 || fr.counts[fr.starts[i][0]] != 11 {
			t.Fatalf("instance %s: starts %v, counts %v", i, fr.starts, fr.counts)
		}
	}
	for _, r := range fr.records {
		if f := strings.Split(string(r.Value), "/"); f[2] != "2" {
			t.Fatalf("record %q: INSTANCES is not 2", r.Value)
		}
	}
	prog := findTest(t, fr.res, "the program runs to completion")
	if !strings.Contains(prog.Message, "instance 0 exited cleanly") || !strings.Contains(prog.Message, "instance 1 exited cleanly") {
		t.Fatalf("program test %+v", prog)
	}
}

// restart: false leaves the killed instance down; the other runs on, and
// the kill is not the program's failure.
func TestKillWithoutRestart(t *testing.T) {
	cl := newClusters(t, embedded.New()).get(containers.Kafka)
	fr := gradeFaults(t, cl, faultSpec(t, slow, `instances: 2
faults:
  - kill: program
    instance: 1
    restart: false
    when:
      records: {topic: TOPIC, at_least: 30}
`))
	if fr.res.Status != result.Pass {
		t.Fatalf("status %s:\n%s", fr.res.Status, describe(fr.res))
	}
	if len(fr.starts["0"]) != 1 || len(fr.starts["1"]) != 1 {
		t.Fatalf("starts %v, want one of each instance", fr.starts)
	}
	if n := fr.counts[fr.starts["0"][0]]; n != 61 {
		t.Fatalf("instance 0 wrote %d records, want all 61", n)
	}
	if n := fr.counts[fr.starts["1"][0]]; n >= 61 {
		t.Fatalf("instance 1 wrote all %d records: it was not killed", n)
	}
	if len(fr.faults) != 1 || !strings.Contains(fr.faults[0], "killed instance 1") || !strings.HasSuffix(fr.faults[0], "not started again, as the exercise says") {
		t.Fatalf("fault events %q", fr.faults)
	}
	prog := findTest(t, fr.res, "the program runs to completion")
	if prog.Status != result.Pass || !strings.Contains(prog.Message, "instance 1 killed by the grader") {
		t.Fatalf("program test %+v", prog)
	}
}

// A committed trigger fires on the group's committed offsets; an after
// trigger on time.
func TestCommittedAndAfterTriggers(t *testing.T) {
	cl := newClusters(t, embedded.New()).get(containers.Kafka)
	fr := gradeFaults(t, cl, faultSpec(t, `TOTAL=60 DELAY=25ms GROUP=$GROUP "$STREAMLAB_PROGRAM"`, `faults:
  - kill: program
    when:
      committed: {group: GROUP, topic: TOPIC, at_least: 15}
  - kill: program
    when: {after: 1s}
`))
	if fr.res.Status != result.Pass {
		t.Fatalf("status %s:\n%s", fr.res.Status, describe(fr.res))
	}
	if len(fr.starts["0"]) != 3 {
		t.Fatalf("started %d times, want 3 (two kills, two restarts):\n%s", len(fr.starts["0"]), describe(fr.res))
	}
	if n := fr.counts[fr.starts["0"][0]]; n < 16 {
		t.Fatalf("the first run wrote %d records: killed before the group had committed 15", n)
	}
	if len(fr.faults) != 2 || !strings.Contains(strings.Join(fr.faults, "\n"), "GROUP had committed") {
		t.Fatalf("fault events %q", fr.faults)
	}
}

// A fault whose trigger never holds is noted, and the checks still judge
// the run: it is not the cluster's error, nor the learner's failure.
func TestFaultThatNeverFiresIsANote(t *testing.T) {
	cl := newClusters(t, embedded.New()).get(containers.Kafka)
	fr := gradeFaults(t, cl, faultSpec(t, `TOTAL=3 DELAY=1ms "$STREAMLAB_PROGRAM"`, `faults:
  - kill: program
    when:
      records: {topic: TOPIC, at_least: 1000}
`))
	if fr.res.Status != result.Pass {
		t.Fatalf("status %s:\n%s", fr.res.Status, describe(fr.res))
	}
	ft := findTest(t, fr.res, "fault: kill instance 0")
	if !strings.HasPrefix(ft.Message, "Not injected: the program ended before the trigger held") || len(fr.faults) != 0 || len(fr.starts["0"]) != 1 {
		t.Fatalf("fault test %+v, events %q, starts %v", ft, fr.faults, fr.starts)
	}
}

// What a fault adds to a check: the program's time with no fault, with
// the fault machinery but a trigger that never holds, killed 500 ms in
// and started again (which re-does 500 ms of work by design; restart-ms
// is what is left over once that is taken away), through the proxy, and
// with one produce answer lost.
func benchFaultCost(b *testing.B, cl containers.Cluster) {
	bin := filepath.Join(b.TempDir(), "slowproducer")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/slowproducer").CombinedOutput(); err != nil {
		b.Fatalf("building: %v\n%s", err, out)
	}
	run := `TOTAL=40 DELAY=25ms ` + bin
	cases := []struct{ name, extra string }{
		{"none", ""},
		{"never-fires", "faults:\n  - kill: program\n    when: {after: 1h}\n"},
		{"kill-restart", "faults:\n  - kill: program\n    when: {after: 500ms}\n"},
		// The proxy in the path, and a trigger that never holds.
		{"proxied", "faults:\n  - kill: program\n    when: {produce: {topic: TOPIC, at_least: 100000}}\n"},
		// One produce answer lost: the client's retry after a metadata refresh.
		{"lost-ack", "faults:\n  - lose: acks\n    when: {produce: {topic: TOPIC, at_least: 10}}\n"},
	}
	program := map[string][]time.Duration{}
	for range b.N {
		for _, c := range cases {
			ex := faultSpec(b, run, c.extra)
			ex.Build = ""
			r := grader.Run(context.Background(), grader.Request{Exercise: ex, Dir: b.TempDir(), Cluster: cl})
			if r.Status != result.Pass {
				b.Fatalf("%s:\n%s", c.name, describe(r))
			}
			program[c.name] = append(program[c.name], r.Timings.Program)
		}
	}
	median := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1000
	}
	for _, c := range cases {
		b.ReportMetric(median(program[c.name]), c.name+"-ms")
	}
	b.ReportMetric(median(program["kill-restart"])-median(program["none"])-500, "restart-ms")
	b.ReportMetric(median(program["proxied"])/median(program["none"]), "proxied/none")
}

func BenchmarkFaultCostEmbedded(b *testing.B) {
	benchFaultCost(b, newClusters(b, embedded.New()).get(containers.Kafka))
}

func BenchmarkFaultCostLocal(b *testing.B) {
	benchFaultCost(b, newClusters(b, localProvider(b, containers.Kafka)).get(containers.Kafka))
}

// The time limit covers every run of an instance: a restart gets what is
// left of it, not a fresh limit.
func TestTimeLimitCoversRestarts(t *testing.T) {
	cl := newClusters(t, embedded.New()).get(containers.Kafka)
	ex := faultSpec(t, "sleep 31", "faults:\n  - kill: program\n    when: {after: 300ms}\n")
	ex.Build, ex.Timeout = "", time.Second
	r := grader.Run(context.Background(), grader.Request{Exercise: ex, Dir: t.TempDir(), Cluster: cl})
	prog := findTest(t, r, "the program runs to completion")
	if r.Status != result.Fail || prog.Status != result.Fail || !strings.Contains(prog.Message, "time limit of 1s") || !strings.Contains(prog.Message, "run 2 of 2") {
		t.Fatalf("status %s:\n%s", r.Status, describe(r))
	}
	if r.Timings.Program > 2500*time.Millisecond {
		t.Fatalf("the program ran %s under a limit of 1s", r.Timings.Program)
	}
	if ft := findTest(t, r, "fault: "); !strings.Contains(ft.Message, "started it again") {
		t.Fatalf("fault test %+v", ft)
	}
	if pids := processesNamed("sleep 31"); len(pids) > 0 {
		t.Fatalf("left running: %v", pids)
	}
}

// processesNamed lists the processes whose arguments are words.
func processesNamed(words string) []string {
	want := strings.ReplaceAll(words, " ", "\x00") + "\x00"
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var out []string
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && string(b) == want {
			out = append(out, filepath.Dir(p))
		}
	}
	return out
}

// A produce trigger kills at the broker's answer to the request that
// brings the topic to at_least, before the program reads it: the first
// run wrote exactly that many records, every time, whatever the timing.
func testProduceTrigger(t *testing.T, cl containers.Cluster) {
	fr := gradeFaults(t, cl, faultSpec(t, `TOTAL=40 DELAY=1ms "$STREAMLAB_PROGRAM"`, `faults:
  - kill: program
    when:
      produce: {topic: TOPIC, at_least: 20}
`))
	if fr.res.Status != result.Pass {
		t.Fatalf("status %s:\n%s", fr.res.Status, describe(fr.res))
	}
	starts := fr.starts["0"]
	if len(starts) != 2 || fr.counts[starts[0]] != 20 || fr.counts[starts[1]] != 41 {
		t.Fatalf("starts %v, counts %v: want a first run of exactly 20 records, then all 41:\n%s", starts, fr.counts, describe(fr.res))
	}
	if len(fr.faults) != 1 || !strings.Contains(fr.faults[0], "the broker had accepted 20 records from it on TOPIC") {
		t.Fatalf("fault events %q", fr.faults)
	}
}

// A commit trigger kills at the answer to the commit that reaches
// at_least: the program had written its marker and 15 records.
func testCommitTrigger(t *testing.T, cl containers.Cluster) {
	fr := gradeFaults(t, cl, faultSpec(t, `TOTAL=30 DELAY=1ms GROUP=$GROUP "$STREAMLAB_PROGRAM"`, `faults:
  - kill: program
    when:
      commit: {group: GROUP, topic: TOPIC, at_least: 15}
`))
	if fr.res.Status != result.Pass {
		t.Fatalf("status %s:\n%s", fr.res.Status, describe(fr.res))
	}
	starts := fr.starts["0"]
	if len(starts) != 2 || fr.counts[starts[0]] != 16 {
		t.Fatalf("starts %v, counts %v: want a first run of exactly 16 records:\n%s", starts, fr.counts, describe(fr.res))
	}
}

// Lost acknowledgements: the broker writes, the answer never comes, the
// client retries. An idempotent producer writes every record once; a
// producer without idempotence writes the lost ones again.
func testLostAcks(t *testing.T, cl containers.Cluster) {
	for _, tc := range []struct {
		idempotence string
		extra       int
	}{{"on", 0}, {"off", 3}} {
		t.Run("idempotence "+tc.idempotence, func(t *testing.T) {
			fr := gradeFaults(t, cl, faultSpec(t, `TOTAL=20 DELAY=1ms IDEMPOTENCE=`+tc.idempotence+` "$STREAMLAB_PROGRAM"`, `faults:
  - lose: acks
    times: 3
    when:
      produce: {topic: TOPIC, at_least: 5}
`))
			if fr.res.Status != result.Pass {
				t.Fatalf("status %s:\n%s", fr.res.Status, describe(fr.res))
			}
			starts := fr.starts["0"]
			if len(starts) != 1 || fr.counts[starts[0]] != 21+tc.extra {
				t.Fatalf("counts %v, want %d records (21 and %d written twice)", fr.counts, 21+tc.extra, tc.extra)
			}
			ft := findTest(t, fr.res, "fault: lose the acknowledgements of 3 produce requests")
			if !strings.Contains(ft.Message, "withheld its answers to 3 produce requests (3 records the broker had written)") {
				t.Fatalf("fault test %+v", ft)
			}
		})
	}
}

// The proxied faults, on the in-process Kafka and on real Kafka (whose
// newer protocol versions the proxy must carry: topic ids in produce and
// fetch, flexible headers).
func testProxiedFaults(t *testing.T, cl containers.Cluster) {
	t.Run("produce trigger", func(t *testing.T) { testProduceTrigger(t, cl) })
	t.Run("commit trigger", func(t *testing.T) { testCommitTrigger(t, cl) })
	t.Run("lost acks", func(t *testing.T) { testLostAcks(t, cl) })
}

func TestProxiedFaultsEmbedded(t *testing.T) {
	testProxiedFaults(t, newClusters(t, embedded.New()).get(containers.Kafka))
}

func TestProxiedFaultsLocal(t *testing.T) {
	testProxiedFaults(t, sharedLocal(t, containers.Kafka))
}

// A required fault that never happened fails the run, and says why: a
// producer that asked for no acknowledgements, or one that wrote too
// little.
func TestRequiredFaultNotInjectedFails(t *testing.T) {
	cl := newClusters(t, embedded.New()).get(containers.Kafka)
	for _, tc := range []struct{ acks, says string }{
		{"0", "Your program produced with acks=0"},
		{"all", "Your program wrote 4 records to TOPIC, and the fault comes at 100"},
	} {
		t.Run("acks="+tc.acks, func(t *testing.T) {
			fr := gradeFaults(t, cl, faultSpec(t, `TOTAL=3 DELAY=1ms ACKS=`+tc.acks+` "$STREAMLAB_PROGRAM"`, `faults:
  - lose: acks
    required: true
    when:
      produce: {topic: TOPIC, at_least: 100}
`))
			ft := findTest(t, fr.res, "fault: lose")
			if fr.res.Status != result.Fail || ft.Status != result.Fail || !strings.Contains(ft.Message, tc.says) {
				t.Fatalf("status %s, fault test %+v", fr.res.Status, ft)
			}
		})
	}
}

// A broker restart mid-run: the program rides it out (its client
// retries), the run is not the cluster's error, and the fault says when
// the broker answered again.
func testBrokerRestart(t *testing.T, cl containers.Cluster) {
	fr := gradeFaults(t, cl, faultSpec(t, `TOTAL=60 DELAY=20ms "$STREAMLAB_PROGRAM"`, `faults:
  - kill: broker
    when:
      records: {topic: TOPIC, at_least: 20}
`))
	if fr.res.Status != result.Pass {
		t.Fatalf("status %s:\n%s", fr.res.Status, describe(fr.res))
	}
	starts := fr.starts["0"]
	if len(starts) != 1 {
		t.Fatalf("starts %v: want one run, never killed", starts)
	}
	// A record the client gave up on while the broker was down is sent
	// again, and may be there twice: every one must be there.
	written := map[string]bool{}
	for _, r := range fr.records {
		if f := strings.Split(string(r.Value), "/"); f[1] == starts[0] {
			written[f[3]] = true
		}
	}
	if len(written) != 61 {
		t.Fatalf("the run wrote %d of its 61 records", len(written))
	}
	ft := findTest(t, fr.res, "fault: restart the broker")
	if !strings.Contains(ft.Message, "killed the broker") || !strings.Contains(ft.Message, "answered again") {
		t.Fatalf("fault test %+v", ft)
	}
}

func TestBrokerRestartEmbedded(t *testing.T) {
	testBrokerRestart(t, newClusters(t, embedded.New()).get(containers.Kafka))
}

func TestBrokerRestartLocal(t *testing.T) {
	testBrokerRestart(t, newClusters(t, localProvider(t, containers.Kafka)).get(containers.Kafka))
}

// notMine is a cluster streamlab did not start: it cannot be restarted.
type notMine struct{ containers.Cluster }

// On a cluster it cannot restart, an exercise that restarts the broker is
// refused before the program runs: an error that says what to use, never
// a run without the fault.
func TestBrokerRestartRefusedOnExternal(t *testing.T) {
	cl := notMine{newClusters(t, embedded.New()).get(containers.Kafka)}
	ex := faultSpec(t, `TOTAL=3 DELAY=1ms "$STREAMLAB_PROGRAM"`, "faults:\n  - kill: broker\n    when: {after: 1s}\n")
	ex.Build = ""
	r := grader.Run(context.Background(), grader.Request{Exercise: ex, Dir: t.TempDir(), Cluster: cl, Provider: "external"})
	if r.Status != result.Error || !strings.Contains(r.Message, "only restarts a broker it started") || !strings.Contains(r.Message, "--cluster local") {
		t.Fatalf("status %s:\n%s", r.Status, describe(r))
	}
}

// refusing is a cluster streamlab started whose broker still cannot be
// restarted: a docker engine on another machine, say.
type refusing struct {
	containers.Cluster
	restarted bool
}

func (r *refusing) CanRestartBroker() error {
	return errors.New("the Docker engine at tcp://10.0.0.5:2376 is not on this machine")
}

func (r *refusing) RestartBroker(context.Context) error { r.restarted = true; return nil }

// A cluster that can say before the run why its broker cannot be
// restarted has the check refused with its reason, the program never run.
func TestBrokerRestartRefusedWithReason(t *testing.T) {
	cl := &refusing{Cluster: newClusters(t, embedded.New()).get(containers.Kafka)}
	ex := faultSpec(t, `TOTAL=3 DELAY=1ms "$STREAMLAB_PROGRAM"`, "faults:\n  - kill: broker\n    when: {after: 1s}\n")
	ex.Build = ""
	r := grader.Run(context.Background(), grader.Request{Exercise: ex, Dir: t.TempDir(), Cluster: cl, Provider: "docker"})
	if r.Status != result.Error || !strings.Contains(r.Message, "cannot be restarted, so nothing was run") || !strings.Contains(r.Message, "tcp://10.0.0.5:2376") {
		t.Fatalf("status %s:\n%s", r.Status, describe(r))
	}
	if cl.restarted {
		t.Error("the broker was restarted anyway")
	}
}

// A rebalance mid-run: the grader's member joins the learner's group,
// takes partitions, reads without committing and leaves; a copier that
// writes before it commits still loses nothing, and the group's
// committed offsets are the learner's alone.
func testRebalance(t *testing.T, cl containers.Cluster) {
	ex := *loadCourse(t).Exercise("kafka/at-least-once")
	ex.Faults = []catalogue.Fault{{Rebalance: "GROUP", Topic: "INPUT_TOPIC", Hold: time.Second,
		When: catalogue.Trigger{Committed: &catalogue.CommittedTrigger{Group: "GROUP", Topic: "INPUT_TOPIC", AtLeast: 40}}}}
	var faults []string
	r := grader.Run(context.Background(), grader.Request{
		Exercise: &ex, Dir: mustAbs(t, "testdata/learners"), Cluster: cl, Provider: "test",
		Run: "MISTAKE=plain BATCH=10 DELAY=40ms go run ./copymistakes",
		Events: func(e grader.Event) {
			if e.Fault != "" {
				faults = append(faults, e.Fault)
			}
		},
	})
	if r.Status != result.Pass {
		t.Fatalf("status %s:\n%s", r.Status, describe(r))
	}
	t.Log(faults)
	if len(faults) != 1 || !strings.Contains(faults[0], "had a member of its own join GROUP") || !strings.Contains(faults[0], "without committing, and left") {
		t.Fatalf("fault events %q", faults)
	}
}

func TestRebalanceEmbedded(t *testing.T) {
	testRebalance(t, newClusters(t, embedded.New()).get(containers.Kafka))
}

func TestRebalanceLocal(t *testing.T) {
	testRebalance(t, sharedLocal(t, containers.Kafka))
}

func mustAbs(t *testing.T, dir string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// brokenRestart is a cluster whose broker does not come back.
type brokenRestart struct{ containers.Cluster }

func (brokenRestart) CanRestartBroker() error { return nil }

func (brokenRestart) RestartBroker(context.Context) error {
	return errors.New("the JVM exited during start-up")
}

// A broker the grader restarted that does not come back is the cluster's
// error, not the learner's failure, and the program is stopped at once.
func TestBrokerThatDoesNotComeBackIsAnError(t *testing.T) {
	cl := brokenRestart{newClusters(t, embedded.New()).get(containers.Kafka)}
	ex := faultSpec(t, "sleep 31", "faults:\n  - kill: broker\n    when: {after: 200ms}\n")
	ex.Build = ""
	r := grader.Run(context.Background(), grader.Request{Exercise: ex, Dir: t.TempDir(), Cluster: cl})
	if r.Status != result.Error || !strings.Contains(r.Message, "the broker the grader restarted did not come back: the JVM exited during start-up") {
		t.Fatalf("status %s:\n%s", r.Status, describe(r))
	}
	if pids := processesNamed("sleep 31"); len(pids) > 0 {
		t.Fatalf("left running: %v", pids)
	}
}
