package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlab/streamlab/containers"
)

// The tests below start real containers. They skip, saying why, when no
// Docker engine answers or the image is neither present nor pullable;
// STREAMLAB_REQUIRE_DOCKER=1 (for a CI that has Docker) makes that a
// failure instead.

func requireDocker(t *testing.T, k containers.Kind) {
	t.Helper()
	if testing.Short() && os.Getenv("STREAMLAB_REQUIRE_DOCKER") != "1" {
		t.Skip("starts a container; skipped with -short")
	}
	err := New(Options{}).Check(k)
	if err == nil {
		return
	}
	if os.Getenv("STREAMLAB_REQUIRE_DOCKER") == "1" {
		t.Fatalf("STREAMLAB_REQUIRE_DOCKER=1 but %v", err)
	}
	t.Skipf("no Docker engine: %s", firstLine(err))
}

// startOrSkip starts a cluster, skipping when the image cannot be had.
func startOrSkip(t *testing.T, ctx context.Context, k containers.Kind, rec *recorder) *Cluster {
	t.Helper()
	p := New(Options{Log: testLog{t}})
	// Registered first, so it runs after Stop: nothing may log to t once
	// the test is over.
	t.Cleanup(func() {
		globalLog.mu.Lock()
		globalLog.w = nil
		globalLog.mu.Unlock()
	})
	img, _ := p.Image(k)
	t0 := time.Now()
	c, err := p.Start(ctx, k, rec.add)
	if errors.Is(err, ErrImageUnavailable) && os.Getenv("STREAMLAB_REQUIRE_DOCKER") != "1" {
		t.Skipf("image %s is not on the engine and cannot be pulled: %s", img, firstLine(err))
	}
	if err != nil {
		t.Fatalf("Start: %v\nevents:\n%s", err, rec.messages())
	}
	dc := c.(*Cluster)
	t.Cleanup(func() { dc.Stop(context.Background()) })
	t.Logf("%s ready in %v: %+v (container %s)", k, time.Since(t0).Round(time.Millisecond), dc.Endpoints(), shortID(dc.ctr))
	return dc
}

// testLog sends the provider's log to the test's.
type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// assertStages checks the start's stages, with pulling only on a first run.
func assertStages(t *testing.T, rec *recorder) {
	t.Helper()
	got := rec.stages()
	want := []containers.Stage{containers.StagePreparing, containers.StageStarting, containers.StageWaiting, containers.StageReady}
	if slices.Contains(got, containers.StagePulling) {
		want = []containers.Stage{containers.StagePreparing, containers.StagePulling, containers.StageStarting, containers.StageWaiting, containers.StageReady}
	}
	if !slices.Equal(got, want) {
		t.Errorf("stages = %v, want %v\n%s", got, want, rec.messages())
	}
}

// assertGone checks that the engine no longer has the container id (if
// given), nor any container this process started.
func assertGone(t *testing.T, id string) {
	t.Helper()
	eng, err := findEngine(context.Background(), containers.Kafka, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := newClient(eng.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if id != "" {
		if _, err := cli.ContainerInspect(context.Background(), id); !cerrdefs.IsNotFound(err) {
			t.Errorf("container %s still there after Stop (inspect: %v)", id, err)
		}
	}
	left, err := cli.ContainerList(context.Background(), container.ListOptions{All: true, Filters: filters.NewArgs(
		filters.Arg("label", fmt.Sprintf("%s=%d", LabelPID, os.Getpid())))})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range left {
		t.Errorf("left running: %s %v", c.ID[:12], c.Names)
	}
}

func TestKafkaInDocker(t *testing.T) {
	requireDocker(t, containers.Kafka)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var rec recorder
	c := startOrSkip(t, ctx, containers.Kafka, &rec)
	assertStages(t, &rec)
	if c.Kind() != containers.Kafka || len(c.Endpoints().KafkaBootstrap) != 1 || c.Endpoints().PulsarServiceURL != "" {
		t.Errorf("Kind/Endpoints = %v %+v", c.Kind(), c.Endpoints())
	}

	client, err := kgo.NewClient(kgo.SeedBrokers(c.Endpoints().KafkaBootstrap...), kgo.ConsumeTopics("greetings"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	resp, err := kadm.NewClient(client).CreateTopic(ctx, 1, 1, nil, "greetings")
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	if err := client.ProduceSync(ctx, &kgo.Record{Topic: "greetings", Key: []byte("k"), Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	fetches := client.PollRecords(ctx, 1)
	if errs := fetches.Errors(); len(errs) > 0 {
		t.Fatalf("fetch: %v", errs)
	}
	recs := fetches.Records()
	if len(recs) != 1 || string(recs[0].Key) != "k" || string(recs[0].Value) != "hello" {
		t.Fatalf("consumed %v", recs)
	}
	client.Close()

	id := c.ContainerID()
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	assertGone(t, id)
}

func TestPulsarInDocker(t *testing.T) {
	requireDocker(t, containers.Pulsar)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var rec recorder
	c := startOrSkip(t, ctx, containers.Pulsar, &rec)
	assertStages(t, &rec)
	ep := c.Endpoints()
	if c.Kind() != containers.Pulsar || !strings.HasPrefix(ep.PulsarServiceURL, "pulsar://") || !strings.HasPrefix(ep.PulsarAdminURL, "http://") || ep.KafkaBootstrap != nil {
		t.Errorf("Kind/Endpoints = %v %+v", c.Kind(), ep)
	}

	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: ep.PulsarServiceURL, OperationTimeout: 30 * time.Second, Logger: plog.DefaultNopLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	topic := "persistent://public/default/greetings"
	cons, err := client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	prod, err := client.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prod.Send(ctx, &pulsar.ProducerMessage{Key: "k", Payload: []byte("hello")}); err != nil {
		t.Fatalf("send: %v", err)
	}
	prod.Close()
	m, err := cons.Receive(ctx)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	if m.Key() != "k" || string(m.Payload()) != "hello" {
		t.Errorf("received %q %q", m.Key(), m.Payload())
	}
	cons.Ack(m)
	cons.Close()
	client.Close()

	id := c.ContainerID()
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	assertGone(t, id)
}

// TestStartCancelledLeavesNothing presses Esc while Kafka starts: Start
// returns a cancellation error and removes the half-started container.
func TestStartCancelledLeavesNothing(t *testing.T) {
	requireDocker(t, containers.Kafka)
	// The image must be there already, so that the cancel lands on the
	// container rather than on the pull.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var warm recorder
	startOrSkip(t, ctx, containers.Kafka, &warm).Stop(ctx)

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	c, err := New(Options{Log: testLog{t}}).Start(ctx, containers.Kafka, func(e containers.Event) {
		if e.Stage == containers.StageWaiting {
			cancel()
		}
	})
	if err == nil {
		c.Stop(context.Background())
		t.Fatal("Start succeeded after cancel")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Start = %v; want context.Canceled", err)
	}
	assertGone(t, "")
}

// TestKafkaBrokerRestartInDocker kills the Kafka container and starts it
// again: the records written before are still there, on the same address.
func TestKafkaBrokerRestartInDocker(t *testing.T) {
	requireDocker(t, containers.Kafka)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var rec recorder
	c := startOrSkip(t, ctx, containers.Kafka, &rec)
	if c.hostPort == "" {
		t.Skipf("the Docker engine at %s is not on this machine: the broker cannot be restarted on the same port", c.host)
	}
	before := c.Endpoints()
	produce := func(values ...string) {
		t.Helper()
		cl, err := kgo.NewClient(kgo.SeedBrokers(before.KafkaBootstrap...))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		for _, v := range values {
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "survivors", Value: []byte(v)}).FirstErr(); err != nil {
				t.Fatalf("produce %s: %v", v, err)
			}
		}
	}
	adm, err := kgo.NewClient(kgo.SeedBrokers(before.KafkaBootstrap...))
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := kadm.NewClient(adm).CreateTopic(ctx, 1, 1, nil, "survivors"); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	adm.Close()
	produce("a", "b", "c")

	t0 := time.Now()
	if err := c.RestartBroker(ctx); err != nil {
		t.Fatalf("RestartBroker: %v", err)
	}
	t.Logf("the broker answered again %v after the kill", time.Since(t0).Round(time.Millisecond))
	if !slices.Equal(c.Endpoints().KafkaBootstrap, before.KafkaBootstrap) {
		t.Errorf("endpoints moved: %v, then %v", before.KafkaBootstrap, c.Endpoints().KafkaBootstrap)
	}
	produce("d")
	cl, err := kgo.NewClient(kgo.SeedBrokers(before.KafkaBootstrap...), kgo.ConsumeTopics("survivors"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var got []string
	for len(got) < 4 && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	if !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("after the restart the topic holds %q, want a b c d", got)
	}
}
