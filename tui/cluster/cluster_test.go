package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/inspect"
	"github.com/streamlab/streamlab/tui/cluster"
	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/tuitest"
)

func newCluster(t *testing.T) (*cluster.Model, common.Common) {
	env := tuitest.NewEnv(t, tuitest.Options{})
	c := tuitest.Common(env.Session, 78, 21)
	m := cluster.New(c)
	m.SetSize(78, 21)
	return m, c
}

func view(m *cluster.Model) string { return ansi.Strip(m.View()) }

// plain is the view without the spaces that pad its lines to the width.
func plain(m *cluster.Model) string {
	ls := strings.Split(view(m), "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(ls, "\n")
}

func TestPollsOnlyWhileShown(t *testing.T) {
	m, _ := newCluster(t)
	msgs := tuitest.Msgs(m.Show("kafka/keyed-producer"), 300*time.Millisecond)
	in, ok := tuitest.Find[common.InspectedMsg](msgs)
	if !ok || in.Run != nil {
		t.Fatalf("showing should look once: %v", msgs)
	}
	_, cmd := m.Update(in)
	if !strings.Contains(view(m), "Nothing to inspect yet") {
		t.Fatalf("no note on the missing run:\n%s", view(m))
	}
	tick, ok := tuitest.Find[cluster.TickMsg](tuitest.Msgs(cmd, 3*time.Second))
	if !ok {
		t.Fatal("no next tick while shown")
	}
	_, cmd = m.Update(tick)
	if _, ok := tuitest.Find[common.InspectedMsg](tuitest.Msgs(cmd, time.Second)); !ok {
		t.Fatal("a tick should look again")
	}
	m.Hide()
	if _, cmd = m.Update(tick); cmd != nil {
		t.Fatal("a tick from before Hide should do nothing")
	}
	if _, cmd = m.Update(in); cmd != nil {
		t.Fatal("a look that ends after Hide should not tick again")
	}
}

func TestStartAndCancel(t *testing.T) {
	m, c := newCluster(t)
	tuitest.Msgs(m.Show(""), 300*time.Millisecond)
	_, cmd := m.Update(tuitest.Key("s"))
	if req, ok := tuitest.Find[common.ClusterRequestMsg](tuitest.Msgs(cmd, 0)); !ok || req.Kind != containers.Kafka {
		t.Fatal("s should ask for the Kafka cluster")
	}
	c.Clusters.Set(common.ClusterStatus{Kind: containers.Kafka, State: common.ClusterStarting, Provider: "local", Started: tuitest.Now.Add(-3 * time.Second)})
	_, cmd = m.Update(tuitest.Key("esc"))
	if _, ok := tuitest.Find[common.ClusterCancelMsg](tuitest.Msgs(cmd, 0)); !ok {
		t.Fatal("esc while starting should cancel the start")
	}
	c.Clusters.Set(common.ClusterStatus{Kind: containers.Kafka, State: common.ClusterReady})
	_, cmd = m.Update(tuitest.Key("esc"))
	if _, ok := tuitest.Find[common.BackMsg](tuitest.Msgs(cmd, 0)); !ok {
		t.Fatal("esc should go back")
	}
}

func TestExplain(t *testing.T) {
	for _, c := range []struct{ err, reason, remedy string }{
		{"local provider: no Java found (JAVA_HOME is not set and there is no java on PATH); install a JDK 17+", "local provider: no Java found (JAVA_HOME is not set and there is no java on PATH)", "install a JDK 17+"},
		{"listen tcp 127.0.0.1:9092: bind: address already in use", "listen tcp 127.0.0.1:9092: bind: address already in use", "another program holds the port"},
		{"kafka did not answer: context deadline exceeded", "kafka did not answer: context deadline exceeded", "took too long"},
	} {
		reason, remedy := cluster.Explain(errors.New(c.err))
		if reason != c.reason || !strings.Contains(remedy, c.remedy) {
			t.Errorf("%q: got %q / %q", c.err, reason, remedy)
		}
	}
	if reason, _ := cluster.Explain(fmt.Errorf("%w (starting)", context.Canceled)); reason != "the start was cancelled" {
		t.Errorf("cancel: %q", reason)
	}
}

// fakeCluster stands for a running cluster in views.
type fakeCluster struct{}

func (fakeCluster) Kind() containers.Kind           { return containers.Kafka }
func (fakeCluster) Endpoints() containers.Endpoints { return containers.Endpoints{} }
func (fakeCluster) Stop(context.Context) error      { return nil }

func TestView(t *testing.T) {
	m, c := newCluster(t)
	c.Clusters.Set(common.ClusterStatus{
		Kind: containers.Kafka, State: common.ClusterReady, Provider: "local", Why: "auto: real kafka as a local JVM process (Java and jars found)",
		Took: 4200 * time.Millisecond,
		Events: []containers.Event{
			{Stage: containers.StagePreparing, Message: "Kafka 4.1.1, Java 21", Elapsed: 10 * time.Millisecond},
			{Stage: containers.StageStarting, Message: "JVM started", Elapsed: 300 * time.Millisecond},
			{Stage: containers.StageWaiting, Message: "waiting for the broker", Elapsed: 400 * time.Millisecond},
			{Stage: containers.StageReady, Message: "broker ready on 127.0.0.1:39211", Elapsed: 4200 * time.Millisecond},
		},
	})
	c.Clusters.Set(common.ClusterStatus{
		Kind: containers.Pulsar, State: common.ClusterFailed, Took: 20 * time.Millisecond,
		Err: errors.New("no provider can run pulsar here: local provider: no Java found; install a JDK 17+ and run scripts/fetch-pulsar"),
	})
	ex := c.Session.Catalogue().Exercise("kafka/consumer-group")
	run := &course.Run{Exercise: ex, Cluster: fakeCluster{}, Started: tuitest.Now, Values: map[string]string{}}
	snap := inspect.Snapshot{Kind: containers.Kafka, Taken: tuitest.Now.Add(2 * time.Second),
		Topics: []inspect.Topic{{Name: "sl-consumer-group-input-topic-1a2b3c4d", Exists: true, Partitions: []inspect.Partition{
			{ID: 0, End: 48, Keys: 6, Sampled: 48, Examples: []string{"c03", "c11", "c07"}},
			{ID: 1, End: 31, Keys: 4, Sampled: 31, Examples: []string{"c01", "c09", "c14"}},
			{ID: 2, End: 41, Keys: 5, Sampled: 20, Examples: []string{"c02", "c05", "c12"}},
		}}, {Name: "sl-consumer-group-output-topic-1a2b3c4d"}},
		Groups: []inspect.Group{{Name: "sl-consumer-group-group-1a2b3c4d", Exists: true, State: "Empty", Lag: []inspect.Lag{
			{Topic: "sl-consumer-group-input-topic-1a2b3c4d", Partition: 0, Committed: 48, End: 48},
			{Topic: "sl-consumer-group-input-topic-1a2b3c4d", Partition: 1, Committed: 20, End: 31, Lag: 11},
			{Topic: "sl-consumer-group-input-topic-1a2b3c4d", Partition: 2, Committed: -1, End: 41, Lag: 41},
		}}},
	}
	tuitest.Msgs(m.Show(ex.ID), 100*time.Millisecond)
	m.SetSize(78, 40)
	m.Update(common.InspectedMsg{ExerciseID: ex.ID, Snapshot: snap, Run: run})
	v := view(m)
	for _, want := range []string{"● ready · local · started in 4.2s", "Why: ", "What to do: install a JDK 17+", "p0  ", "≥5 keys", "lag 52", "committed 20 of 31 · lag 11", "does not exist (yet)"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q in:\n%s", want, v)
		}
	}
	golden.RequireEqual(t, tuitest.ASCII(m.View()))
}

// A look at the run shown before, arriving after the screen moved to
// another exercise, leads to a look at the new one.
func TestSwitchingRunsKeepsPolling(t *testing.T) {
	m, _ := newCluster(t)
	first := m.Show("kafka/create-topic")
	m.Show("kafka/keyed-producer") // the first look is still in flight
	old, ok := tuitest.Find[common.InspectedMsg](tuitest.Msgs(first, time.Second))
	if !ok || old.ExerciseID != "kafka/create-topic" {
		t.Fatalf("first look: %+v", old)
	}
	_, cmd := m.Update(old)
	again, ok := tuitest.Find[common.InspectedMsg](tuitest.Msgs(cmd, time.Second))
	if !ok || again.ExerciseID != "kafka/keyed-producer" {
		t.Fatalf("no look at the exercise now shown: %+v", again)
	}
}

// pulsarCluster stands for a running Pulsar in views.
type pulsarCluster struct{ fakeCluster }

func (pulsarCluster) Kind() containers.Kind { return containers.Pulsar }

const (
	dlqEx    = "pulsar/dead-letter"
	dlqTopic = "persistent://public/default/sl-dead-letter-topic-1a2b3c4d"
	dlqSub   = "sl-dead-letter-subscription-1a2b3c4d"
	dlqDLQ   = "persistent://public/default/sl-dead-letter-dlq-topic-1a2b3c4d"
)

func pulsarRun(c common.Common) *course.Run {
	return &course.Run{Exercise: c.Session.Catalogue().Exercise(dlqEx), Cluster: pulsarCluster{}, Started: tuitest.Now,
		Values: map[string]string{"TOPIC": dlqTopic, "SUBSCRIPTION": dlqSub, "DLQ_TOPIC": dlqDLQ}}
}

// A dead-letter run half-way: the exercise's subscription working through
// its backlog, one under another name holding everything, a reader, and
// the dead-letter topic not made yet.
func pulsarSnapshot() inspect.Snapshot {
	return inspect.Snapshot{Kind: containers.Pulsar, Taken: tuitest.Now.Add(2 * time.Second),
		Topics: []inspect.Topic{
			{Name: dlqTopic, Exists: true, MsgIn: 60, MsgOut: 142, Producers: 0},
			{Name: dlqDLQ},
		},
		Subscriptions: []inspect.Subscription{
			{Topic: dlqTopic, Name: dlqSub, Exists: true, Expected: true, Type: "Shared", Durable: true, Consumers: 2, Backlog: 14, Unacked: 4, MsgOut: 74},
			{Topic: dlqTopic, Name: "my-subscription", Exists: true, Type: "Exclusive", Durable: true, Backlog: 60},
			{Topic: dlqTopic, Name: "reader-3f2a1b", Exists: true, Type: "Exclusive", Consumers: 1, MsgOut: 60},
		},
	}
}

func TestPulsarView(t *testing.T) {
	m, c := newCluster(t)
	c.Clusters.Set(common.ClusterStatus{Kind: containers.Kafka, State: common.ClusterIdle})
	c.Clusters.Set(common.ClusterStatus{
		Kind: containers.Pulsar, State: common.ClusterReady, Provider: "local", Why: "auto: real pulsar as a local JVM process (Java and jars found)",
		Took: 6100 * time.Millisecond,
		Events: []containers.Event{
			{Stage: containers.StagePreparing, Message: "Pulsar 4.0.8, Java 17", Elapsed: 20 * time.Millisecond},
			{Stage: containers.StageStarting, Message: "JVM started", Elapsed: 200 * time.Millisecond},
			{Stage: containers.StageReady, Message: "standalone ready on 127.0.0.1:6650", Elapsed: 6100 * time.Millisecond},
		},
	})
	tuitest.Msgs(m.Show(dlqEx), 100*time.Millisecond)
	m.SetSize(78, 32)
	m.Update(common.InspectedMsg{ExerciseID: dlqEx, Snapshot: pulsarSnapshot(), Run: pulsarRun(c)})
	v := plain(m)
	for _, want := range []string{
		"topic public/default/sl-dead-letter-topic-1a2b3c4d",
		"published 60 · delivered 142",
		"subscription " + dlqSub + " · Shared · 2 consumers",
		"14 · delivered 74 · 4 unacked",
		"my-subscription · Exclusive · 0 consumers\n      not the name in $SUBSCRIPTION: the program made it",
		"reader reader-3f2a1b · Exclusive · 1 consumer",
		"sl-dead-letter-dlq-topic-1a2b3c4d\n    does not exist (yet)",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q in:\n%s", want, v)
		}
	}
	if strings.Count(v, "not the name in") != 1 {
		t.Error("a reader is flagged as a subscription under the wrong name")
	}
	golden.RequireEqual(t, tuitest.ASCII(m.View()))
}

// Looks at a Pulsar run, as the screen receives them: before the run,
// with the subscription missing, then with the program's subscription
// draining; a failed look keeps the last picture under the error.
func TestPulsarUpdates(t *testing.T) {
	m, c := newCluster(t)
	m.SetSize(78, 40)
	msgs := tuitest.Msgs(m.Show("pulsar/produce-consume"), 300*time.Millisecond)
	in, ok := tuitest.Find[common.InspectedMsg](msgs)
	if !ok || in.Run != nil {
		t.Fatalf("showing should look once: %v", msgs)
	}
	m.Update(in)
	if m.Kind() != containers.Pulsar || !strings.Contains(plain(m), "its\n  topics and subscriptions stay here") {
		t.Fatalf("kind %s, view:\n%s", m.Kind(), plain(m))
	}
	_, cmd := m.Update(tuitest.Key("s"))
	if req, ok := tuitest.Find[common.ClusterRequestMsg](tuitest.Msgs(cmd, 0)); !ok || req.Kind != containers.Pulsar {
		t.Fatal("s should ask for the Pulsar cluster")
	}

	run := &course.Run{Exercise: c.Session.Catalogue().Exercise("pulsar/produce-consume"), Cluster: pulsarCluster{}, Started: tuitest.Now}
	topic, sub := "persistent://public/default/sl-produce-consume-topic-0badc0de", "sl-produce-consume-subscription-0badc0de"
	look := func(s inspect.Snapshot, err error) tea.Cmd {
		t.Helper()
		_, cmd := m.Update(common.InspectedMsg{ExerciseID: "pulsar/produce-consume", Snapshot: s, Run: run, Err: err})
		return cmd
	}
	cmd = look(inspect.Snapshot{Kind: containers.Pulsar, Taken: tuitest.Now,
		Topics:        []inspect.Topic{{Name: topic, Exists: true, MsgIn: 100, Partitioned: 2}},
		Subscriptions: []inspect.Subscription{{Name: sub, Expected: true}},
	}, nil)
	if _, ok := tuitest.Find[cluster.TickMsg](tuitest.Msgs(cmd, 3*time.Second)); !ok {
		t.Fatal("a look should lead to the next tick while shown")
	}
	v := plain(m)
	for _, want := range []string{"published 100 · delivered 0 · 2 partitions · no subscriptions", "subscription " + sub + "\n    on none of these topics yet", "consumer subscribes with this name"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q in:\n%s", want, v)
		}
	}

	drained := inspect.Snapshot{Kind: containers.Pulsar, Taken: tuitest.Now,
		Topics:        []inspect.Topic{{Name: topic, Exists: true, MsgIn: 100, MsgOut: 100, Producers: 1}},
		Subscriptions: []inspect.Subscription{{Topic: topic, Name: sub, Exists: true, Expected: true, Type: "Exclusive", Durable: true, Consumers: 1, MsgOut: 100}},
	}
	look(drained, nil)
	v = plain(m)
	if strings.Contains(v, "on none of these topics") || !strings.Contains(v, "1 producer connected") || !strings.Contains(v, "backlog ░") {
		t.Errorf("after the program subscribed:\n%s", v)
	}
	if got := m.Snapshot(); got == nil || len(got.Subscriptions) != 1 || got.Subscriptions[0].Consumers != 1 {
		t.Errorf("snapshot kept: %+v", got)
	}

	look(inspect.Snapshot{}, errors.New("inspect: reading the statistics of t from http://127.0.0.1:8080: connection refused"))
	v = plain(m)
	if !strings.Contains(v, "The cluster did not answer") || !strings.Contains(v, sub+"\n      Exclusive · 1 consumer") {
		t.Errorf("a failed look should show the error above the last picture:\n%s", v)
	}

	// Narrow terminals cut lines; nothing runs over.
	m.SetSize(30, 40)
	for _, l := range strings.Split(view(m), "\n") {
		if ansi.StringWidth(l) > 30 {
			t.Errorf("line wider than 30 cells: %q", l)
		}
	}
}

// The Pulsar inspector's frame: View is a copy of the text built when a
// look arrives; both are measured.
func BenchmarkPulsarView(b *testing.B) {
	env := tuitest.NewEnv(b, tuitest.Options{})
	c := tuitest.Common(env.Session, 80, 24)
	m := cluster.New(c)
	m.SetSize(80, 24)
	tuitest.Msgs(m.Show(dlqEx), 100*time.Millisecond)
	msg := common.InspectedMsg{ExerciseID: dlqEx, Snapshot: pulsarSnapshot(), Run: pulsarRun(c)}
	m.Update(msg)
	b.Run("View", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = m.View()
		}
	})
	b.Run("Look", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.Update(msg)
		}
	})
}

// A cluster kept up by `streamlab cluster up` is shown as such before the
// first check reuses it, with the reason the provider gave.
func TestKeptUpCluster(t *testing.T) {
	m, c := newCluster(t)
	c.Clusters.Set(common.ClusterStatus{Kind: containers.Kafka, Provider: "local (kept up)", KeptUp: true,
		Why: "reusing the local cluster kept up by `streamlab cluster up` (pid 4242)"})
	tuitest.Msgs(m.Show(""), 100*time.Millisecond)
	v := plain(m)
	if !strings.Contains(v, "kafka  ○ kept up · local (kept up) · reused, not started") || !strings.Contains(v, "reusing the local cluster kept up by `streamlab cluster up`") {
		t.Errorf("the kept-up cluster is not shown:\n%s", v)
	}
	if strings.Count(v, "not started") != 2 { // kafka's "reused, not started", pulsar's
		t.Errorf("only Pulsar is not started:\n%s", v)
	}
}

// A workshop's server that runs no Pulsar: the screen says so, rather
// than offer to start one.
func TestNoClusterOfAKind(t *testing.T) {
	m, c := newCluster(t)
	c.Clusters.Set(common.ClusterStatus{Kind: containers.Pulsar, NoCluster: true})
	tuitest.Msgs(m.Show(""), 100*time.Millisecond)
	v := plain(m)
	if !strings.Contains(v, "pulsar ○ none here") || !strings.Contains(v, "this workshop runs no pulsar cluster") {
		t.Errorf("the missing Pulsar is not shown:\n%s", v)
	}
	if strings.Contains(v, "starts with the first check of a pulsar") {
		t.Errorf("the screen promises a Pulsar that cannot start:\n%s", v)
	}
}
