package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlab/streamlab/containers"
)

// requireKafka skips the test when Java or the Kafka jars are missing,
// unless STREAMLAB_REQUIRE_LOCAL=1 (CI), where that is a failure.
func requireKafka(tb testing.TB) {
	tb.Helper()
	if testing.Short() && os.Getenv("STREAMLAB_REQUIRE_LOCAL") != "1" {
		tb.Skip("starts a real Kafka; skipped with -short")
	}
	err := New(Options{}).Check(containers.Kafka)
	if err == nil {
		return
	}
	if os.Getenv("STREAMLAB_REQUIRE_LOCAL") == "1" {
		tb.Fatalf("STREAMLAB_REQUIRE_LOCAL=1 but the local provider cannot run: %v", err)
	}
	tb.Skipf("local Kafka not available (run scripts/fetch-kafka to enable this test): %v", err)
}

// recorder collects progress events.
type recorder struct {
	mu     sync.Mutex
	events []containers.Event
}

func (r *recorder) add(e containers.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) stages() []containers.Stage {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []containers.Stage
	for _, e := range r.events {
		if len(s) == 0 || s[len(s)-1] != e.Stage {
			s = append(s, e.Stage)
		}
	}
	return s
}

// assertCleanedUp checks that the process group is gone and dir removed.
func assertCleanedUp(t *testing.T, pid int, dir string) {
	t.Helper()
	waitGone(t, pid)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("temporary directory %s still exists (stat: %v)", dir, err)
	}
}

// assertEmptyDir checks that a TempDir option's directory has nothing left.
func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind in %s: %s", dir, e.Name())
	}
}

func TestKafkaStartProduceConsumeStop(t *testing.T) {
	requireKafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var rec recorder
	tmp := t.TempDir()
	var cl containers.Cluster
	cl, err := New(Options{TempDir: tmp}).Start(ctx, containers.Kafka, rec.add)
	if err != nil {
		t.Fatal(err)
	}
	c := cl.(*KafkaCluster)
	stopped := false
	defer func() {
		if !stopped {
			c.Stop(context.Background())
		}
	}()
	t.Logf("Kafka %s on %s (pid %d), stages %v", c.Version(), c.Bootstrap(), c.Pid(), rec.stages())

	got := rec.stages()
	want := []containers.Stage{containers.StagePreparing, containers.StageStarting, containers.StageWaiting, containers.StageReady}
	if strings.Join(stagesStr(got), ",") != strings.Join(stagesStr(want), ",") {
		t.Errorf("stages = %v, want %v", got, want)
	}
	for _, e := range rec.events {
		if e.Provider != "local" || e.Kind != containers.Kafka {
			t.Errorf("event %+v: wrong provider or kind", e)
		}
	}
	if c.Kind() != containers.Kafka || len(c.Endpoints().KafkaBootstrap) != 1 || c.Endpoints().KafkaBootstrap[0] != c.Bootstrap() {
		t.Errorf("Kind/Endpoints = %v %+v", c.Kind(), c.Endpoints())
	}
	if !strings.HasPrefix(c.Bootstrap(), "127.0.0.1:") {
		t.Errorf("bootstrap %s is not on loopback", c.Bootstrap())
	}

	client, err := kgo.NewClient(kgo.SeedBrokers(c.Endpoints().KafkaBootstrap...))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	adm := kadm.NewClient(client)

	const topic = "orders"
	resp, err := adm.CreateTopic(ctx, 3, 1, nil, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	// The broker keeps Kafka's default retention (7 days).
	cfgs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := cfgs.On(topic, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range rc.Configs {
		if kv.Key == "retention.ms" && kv.MaybeValue() != strconv.Itoa(7*24*3600*1000) {
			t.Errorf("retention.ms = %s, want Kafka's default 604800000", kv.MaybeValue())
		}
	}

	rec1 := &kgo.Record{Topic: topic, Key: []byte("k1"), Value: []byte("hello kafka")}
	if err := client.ProduceSync(ctx, rec1).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}

	consumer, err := kgo.NewClient(
		kgo.SeedBrokers(c.Bootstrap()),
		kgo.ConsumerGroup("streamlab-test"),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	var got1 *kgo.Record
	for got1 == nil {
		fs := consumer.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("no record consumed: %v", err)
		}
		fs.EachError(func(t2 string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", t2, p, err) })
		fs.EachRecord(func(r *kgo.Record) { got1 = r })
	}
	if string(got1.Key) != "k1" || string(got1.Value) != "hello kafka" {
		t.Errorf("consumed %q=%q", got1.Key, got1.Value)
	}
	if err := consumer.CommitUncommittedOffsets(ctx); err != nil {
		t.Errorf("commit: %v", err)
	}
	consumer.Close()
	client.Close()

	pid, dir := c.Pid(), c.Dir()
	start := time.Now()
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	stopped = true
	t.Logf("Stop took %v", time.Since(start))
	assertCleanedUp(t, pid, dir)
	assertEmptyDir(t, tmp)
	if err := c.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func stagesStr(s []containers.Stage) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return out
}

func TestKafkaKill(t *testing.T) {
	requireKafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	c, err := New(Options{TempDir: tmp}).StartKafka(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	pid, dir := c.Pid(), c.Dir()

	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed after Kill")
	}
	waitGone(t, pid)
	client, err := kgo.NewClient(kgo.SeedBrokers(c.Bootstrap()), kgo.RequestRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	actx, acancel := context.WithTimeout(ctx, 3*time.Second)
	defer acancel()
	if _, err := kadm.NewClient(client).ListBrokers(actx); err == nil {
		t.Error("killed broker still answers")
	}
	if err := c.Stop(ctx); err != nil {
		t.Errorf("Stop after Kill: %v", err)
	}
	assertCleanedUp(t, pid, dir)
	assertEmptyDir(t, tmp)
}

var pidRE = regexp.MustCompile(`pid (\d+)`)

func TestKafkaStartCancelled(t *testing.T) {
	requireKafka(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tmp := t.TempDir()
	pid := 0
	_, err := New(Options{TempDir: tmp}).StartKafka(ctx, func(e containers.Event) {
		if e.Stage == containers.StageStarting {
			if m := pidRE.FindStringSubmatch(e.Message); m != nil {
				pid, _ = strconv.Atoi(m[1])
			}
			cancel() // the JVM is launched but not ready yet
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if pid == 0 {
		t.Fatal("no pid in the starting event")
	}
	waitGone(t, pid)
	assertEmptyDir(t, tmp)
}

func TestKafkaStartFailureShowsLog(t *testing.T) {
	requireKafka(t)
	tmp := t.TempDir()
	var rec recorder
	start := time.Now()
	_, err := New(Options{TempDir: tmp, JVMArgs: []string{"-XX:+StreamlabNoSuchOption"}}).StartKafka(context.Background(), rec.add)
	wantErr(t, err, "exited during start-up", "StreamlabNoSuchOption")
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("failure took %v to notice", d)
	}
	st := rec.stages()
	if st[len(st)-1] != containers.StageFailed {
		t.Errorf("stages = %v, want failed last", st)
	}
	assertEmptyDir(t, tmp)
}

func TestKafkaStartTimeout(t *testing.T) {
	requireKafka(t)
	tmp := t.TempDir()
	_, err := New(Options{TempDir: tmp, StartTimeout: 500 * time.Millisecond}).StartKafka(context.Background(), nil)
	wantErr(t, err, "not ready within 500ms")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
	assertEmptyDir(t, tmp)
}

// BenchmarkKafkaColdStart measures Start (to a Kafka round-trip) plus Stop
// of a fresh single-node cluster. Run it with a fixed count:
//
//	go test ./containers/local -run '^$' -bench KafkaColdStart -benchtime 5x
//
// "cached" is the usual case (storage bootstrap and AppCDS archive reused
// from an earlier run, which the first iteration makes if needed);
// "uncached" runs StorageTool every time and uses no AppCDS archive, like a
// first start on a new machine.
func BenchmarkKafkaColdStart(b *testing.B) {
	requireKafka(b)
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"cached", Options{}},
		{"uncached", Options{NoFormatCache: true, NoClassDataCache: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.opts.TempDir = b.TempDir()
			p := New(bc.opts)
			if bc.name == "cached" { // make the caches outside the timing
				c, err := p.StartKafka(context.Background(), nil)
				if err != nil {
					b.Fatal(err)
				}
				c.Stop(context.Background())
			}
			var ready, stop []time.Duration
			for b.Loop() {
				t0 := time.Now()
				c, err := p.StartKafka(context.Background(), nil)
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := c.Stop(context.Background()); err != nil {
					b.Fatal(err)
				}
				ready = append(ready, t1.Sub(t0))
				stop = append(stop, time.Since(t1))
			}
			b.ReportMetric(median(ready).Seconds(), "median-ready-s")
			b.ReportMetric(median(stop).Seconds(), "median-stop-s")
			b.Logf("ready: %v; stop: %v", ready, stop)
		})
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// A corrupt cached file must not make every start fail: the start is
// retried once without the caches, and they are made anew.
func TestKafkaBadCacheIsReplaced(t *testing.T) {
	requireKafka(t)
	dist, err := FindKafka("", "")
	if err != nil {
		t.Fatal(err)
	}
	java, err := FindJava("")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("STREAMLAB_CACHE", t.TempDir()) // caches only; the jars come from KafkaHome
	p := New(Options{KafkaHome: dist.Home, TempDir: t.TempDir()})
	bootstrap := bootstrapCachePath(dist)
	archive := p.planCDS(java, dist, false).final
	for _, f := range []string{bootstrap, archive} {
		os.MkdirAll(filepath.Dir(f), 0o755)
		if err := os.WriteFile(f, []byte("not what Kafka or the JVM wrote"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var rec recorder
	ctx := context.Background()
	c, err := p.StartKafka(ctx, rec.add)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	retried := false
	for _, e := range rec.events {
		retried = retried || strings.Contains(e.Message, "retrying without them")
	}
	if !retried {
		t.Errorf("no retry without the caches; events: %+v", rec.events)
	}
	for _, f := range []string{bootstrap, archive} {
		if st, err := os.Stat(f); err != nil || st.Size() < 100 {
			t.Errorf("cache %s not made anew (stat: %v)", f, err)
		}
	}
	// And the fresh caches work.
	c, err = p.StartKafka(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Stop(ctx)
}
