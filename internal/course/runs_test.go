package course_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/containers/docker"
	"github.com/streamlab/streamlab/containers/embedded"
	"github.com/streamlab/streamlab/containers/local/localtest"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const keyed = "kafka/keyed-producer"

func topics(t *testing.T, cl containers.Cluster) map[string]bool {
	t.Helper()
	c, err := kgo.NewClient(kgo.SeedBrokers(cl.Endpoints().KafkaBootstrap...))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	td, err := kadm.NewClient(c).ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range td.Names() {
		out[n] = true
	}
	return out
}

func TestCheckKeepsTheRunForInspection(t *testing.T) {
	env := newEnv(t, "embedded", nil)
	sess := env.Session
	ex := sess.Catalogue().Exercise(keyed)
	dir := env.Solution(t, keyed)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var events []grader.Event
	cl, choice, err := sess.StartCluster(ctx, containers.Kafka, func(containers.Event) {})
	if err != nil {
		t.Fatal(err)
	}
	if choice.Provider.Name() != "embedded" {
		t.Fatalf("provider %s", choice.Provider.Name())
	}
	res, err := sess.Check(ctx, course.CheckRequest{Exercise: ex, Dir: dir, Events: func(e grader.Event) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != result.Pass {
		t.Fatalf("the solution should pass: %+v", res)
	}
	if !sess.Progress().Get(keyed).Done {
		t.Error("a pass was not recorded in the progress")
	}
	var tests int
	for _, e := range events {
		if e.Test != nil {
			tests++
		}
	}
	if tests != len(res.Tests) {
		t.Errorf("%d tests streamed, %d in the result", tests, len(res.Tests))
	}

	run := sess.LastRun(keyed)
	if run == nil || sess.LastRun("") != run {
		t.Fatal("the run was not kept")
	}
	topic := run.Values["TOPIC"]
	if !topics(t, cl)[topic] {
		t.Fatalf("the kept topic %s is gone", topic)
	}
	snap, r2, err := sess.Inspect(ctx, keyed)
	if err != nil || r2 != run {
		t.Fatalf("inspect: %v", err)
	}
	if len(snap.Topics) != 1 || len(snap.Topics[0].Partitions) != 6 || snap.Topics[0].Records() != 120 {
		t.Fatalf("inspected %+v", snap.Topics)
	}
	keys := 0
	for _, p := range snap.Topics[0].Partitions {
		keys += p.Keys
	}
	if keys != 15 {
		t.Errorf("15 customers should be 15 keys over the partitions, got %d", keys)
	}

	// The next check removes the previous run's topic.
	if res, _ := sess.Check(ctx, course.CheckRequest{Exercise: ex, Dir: dir}); res.Status != result.Pass {
		t.Fatalf("second check: %+v", res)
	}
	if topics(t, cl)[topic] {
		t.Errorf("the previous run's topic %s was not removed", topic)
	}
	second := sess.LastRun(keyed).Values["TOPIC"]

	// (A stopped embedded cluster cannot be asked its endpoints.)
	addrs := cl.Endpoints().KafkaBootstrap
	if err := sess.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if sess.Cluster(containers.Kafka) != nil {
		t.Error("the cluster is still listed after Close")
	}
	// The embedded cluster is stopped: it no longer answers.
	c, _ := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DialTimeout(time.Second), kgo.RequestRetries(0), kgo.RetryTimeout(time.Second))
	defer c.Close()
	pctx, pcancel := context.WithTimeout(ctx, 3*time.Second)
	defer pcancel()
	if err := c.Ping(pctx); err == nil {
		t.Errorf("the cluster still answers after Close (topic %s)", second)
	}
	if _, _, err := sess.StartCluster(ctx, containers.Kafka, nil); err == nil {
		t.Error("a closed session started a cluster")
	}
}

// keptUp stands for a cluster streamlab did not start (external, or kept
// up by "streamlab cluster up"): stopping it leaves it running, so the
// session must remove its runs' topics itself.
type keptUp struct{ containers.Cluster }

func (keptUp) Stop(context.Context) error { return nil }

type keptUpProvider struct{ cl containers.Cluster }

func (keptUpProvider) Name() string { return "external" }
func (p keptUpProvider) Start(context.Context, containers.Kind, func(containers.Event)) (containers.Cluster, error) {
	return keptUp{p.cl}, nil
}

func TestCloseRemovesKeptTopicsFromAClusterItDidNotStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	real, err := embedded.New().Start(ctx, containers.Kafka, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer real.Stop(ctx)
	env := newEnv(t, "external", func(string, containers.Kind, auto.Options) (auto.Choice, error) {
		return auto.Choice{Provider: keptUpProvider{real}, Why: "test"}, nil
	})
	sess := env.Session
	ex := sess.Catalogue().Exercise(keyed)
	dir := env.Starter(t, keyed)
	if _, _, err := sess.StartCluster(ctx, containers.Kafka, nil); err != nil {
		t.Fatal(err)
	}
	if res, _ := sess.Check(ctx, course.CheckRequest{Exercise: ex, Dir: dir}); res.Status != result.Fail {
		t.Fatalf("the starter should fail: %+v", res)
	}
	topic := sess.LastRun(keyed).Values["TOPIC"]
	if !topics(t, real)[topic] {
		t.Fatalf("the run's topic %s was not kept", topic)
	}
	if err := sess.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if topics(t, real)[topic] {
		t.Errorf("the kept topic %s outlived the session", topic)
	}
}

// The inspector of a Pulsar run, through the session, on a real Pulsar:
// the run's topic and its subscription as the program left them.
func TestInspectPulsarRun(t *testing.T) {
	if testing.Short() && !localtest.Required() {
		t.Skip("starts a real Pulsar; skipped with -short")
	}
	localtest.Provider(t, containers.Pulsar)
	const id = "pulsar/produce-consume"
	env := newEnv(t, "local", nil)
	sess := env.Session
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	defer func() {
		if err := sess.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
	if _, _, err := sess.StartCluster(ctx, containers.Pulsar, nil); err != nil {
		t.Fatal(err)
	}
	ex := sess.Catalogue().Exercise(id)

	// The starter publishes and never subscribes.
	if res, _ := sess.Check(ctx, course.CheckRequest{Exercise: ex, Dir: env.Starter(t, id)}); res.Status != result.Fail {
		t.Fatalf("the starter should fail: %+v", res)
	}
	snap, run, err := sess.Inspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	topic, sub := run.Values["TOPIC"], run.Values["SUBSCRIPTION"]
	if len(snap.Topics) != 1 || snap.Topics[0].Name != topic || !snap.Topics[0].Exists || snap.Topics[0].MsgIn != 100 {
		t.Fatalf("starter's topics: %+v", snap.Topics)
	}
	if len(snap.Subscriptions) != 1 || snap.Subscriptions[0].Name != sub || snap.Subscriptions[0].Exists {
		t.Fatalf("the starter's subscription should be missing: %+v", snap.Subscriptions)
	}

	if res, _ := sess.Check(ctx, course.CheckRequest{Exercise: ex, Dir: env.Solution(t, id)}); res.Status != result.Pass {
		t.Fatalf("the solution should pass: %+v", res)
	}
	snap, run, err = sess.Inspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	topic, sub = run.Values["TOPIC"], run.Values["SUBSCRIPTION"]
	if len(snap.Topics) != 1 || snap.Topics[0].Name != topic || snap.Topics[0].MsgIn != 100 {
		t.Fatalf("solution's topics: %+v", snap.Topics)
	}
	if len(snap.Subscriptions) != 1 {
		t.Fatalf("solution's subscriptions: %+v", snap.Subscriptions)
	}
	s := snap.Subscriptions[0]
	// (The delivery counter can fall short once consumers close: the
	// backlog is what says every message was acknowledged.)
	if s.Topic != topic || s.Name != sub || !s.Exists || !s.Expected || s.Type != "Exclusive" || s.Consumers != 0 || s.Backlog != 0 || s.MsgOut == 0 {
		t.Errorf("solution's subscription: %+v", s)
	}
}

// unpullable stands for Docker answering while its image cannot be pulled.
type unpullable struct{}

func (unpullable) Name() string { return "docker" }
func (unpullable) Start(context.Context, containers.Kind, func(containers.Event)) (containers.Cluster, error) {
	return nil, fmt.Errorf("pulling confluentinc/confluent-local:7.5.0: %w", docker.ErrImageUnavailable)
}

func TestAutoFallsBackWhenTheDockerImageCannotBePulled(t *testing.T) {
	choose := func(string, containers.Kind, auto.Options) (auto.Choice, error) {
		return auto.Choice{Provider: unpullable{}, Why: "auto: Kafka in Docker"}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sess := newEnv(t, "auto", choose).Session
	_, choice, err := sess.StartCluster(ctx, containers.Kafka, nil)
	if err != nil {
		t.Fatalf("auto did not fall back: %v", err)
	}
	if choice.Provider.Name() == "docker" || !strings.Contains(choice.Why, "could not be pulled") {
		t.Fatalf("fell back to %s (%s)", choice.Provider.Name(), choice.Why)
	}
	// Asked for by name, Docker keeps its error.
	sess = newEnv(t, "docker", choose).Session
	if _, _, err := sess.StartCluster(ctx, containers.Kafka, nil); !errors.Is(err, docker.ErrImageUnavailable) {
		t.Fatalf("--cluster docker: %v", err)
	}
}

// With STREAMLAB_STATE_DIR pointing elsewhere, a cluster kept up under the
// default state folder is not reused, and the choice says so.
func TestAClusterKeptUpUnderAnotherStateFolderIsNamed(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_STATE_HOME", xdg)
	rec := `{"pid": ` + fmt.Sprint(os.Getpid()) + `, "provider": "local", "clusters": {"kafka": {"KafkaBootstrap": ["127.0.0.1:1"]}}}`
	if err := os.MkdirAll(filepath.Join(xdg, "streamlab"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(xdg, "streamlab", "cluster.json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	sess := newEnv(t, "embedded", nil).Session // its own state folder
	c, err := sess.Choice(containers.Kafka)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Why, "kept up") || !strings.Contains(c.Why, "not reused") {
		t.Fatalf("the choice does not mention the cluster kept up elsewhere: %s", c.Why)
	}
}

// dead is a provider whose cluster never starts.
type dead struct{}

func (dead) Name() string { return "local" }
func (dead) Start(context.Context, containers.Kind, func(containers.Event)) (containers.Cluster, error) {
	return nil, errors.New("java: not found")
}

// A cluster that cannot start is an error that still lists every check,
// so the maximum score reads as the exercise's, not 0.
func TestAClusterThatCannotStartKeepsTheMaximumScore(t *testing.T) {
	e := newEnv(t, "local", func(string, containers.Kind, auto.Options) (auto.Choice, error) {
		return auto.Choice{Provider: dead{}, Why: "test"}, nil
	})
	ex := e.exercise(t, keyed)
	res, err := e.Session.Check(context.Background(), course.CheckRequest{Exercise: ex})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != result.Error || res.MaxScore != ex.MaxScore() || res.MaxScore == 0 || res.Score != 0 {
		t.Fatalf("status %s, score %d/%d, want error 0/%d", res.Status, res.Score, res.MaxScore, ex.MaxScore())
	}
	if !strings.Contains(res.Message, "java: not found") {
		t.Errorf("message %q does not say why", res.Message)
	}
	if p := e.Session.Progress().Get(keyed); p.Attempts != 0 {
		t.Errorf("an error was recorded as an attempt: %+v", p)
	}
}
