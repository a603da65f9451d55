package inspect_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin/config"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/local/localtest"
	"github.com/streamlab/streamlab/internal/checks"
	"github.com/streamlab/streamlab/internal/inspect"
)

// startPulsar starts a real Pulsar standalone with the local provider, or
// skips when this machine cannot run one (or with -short), unless
// STREAMLAB_REQUIRE_LOCAL=1 (CI), where that is a failure.
func startPulsar(t *testing.T) containers.Cluster {
	t.Helper()
	if testing.Short() && !localtest.Required() {
		t.Skip("starts a real Pulsar; skipped with -short")
	}
	return localtest.Start(t, containers.Pulsar)
}

func TestPulsarSubscriptionsAndBacklog(t *testing.T) {
	cl := startPulsar(t)
	ep := cl.Endpoints()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	adm, err := pulsaradmin.NewClient(&config.Config{WebServiceURL: ep.PulsarAdminURL})
	if err != nil {
		t.Fatal(err)
	}
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: ep.PulsarServiceURL, OperationTimeout: 30 * time.Second, Logger: plog.DefaultNopLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	const (
		orders  = "persistent://public/default/orders"
		parted  = "persistent://public/default/parted"
		missing = "persistent://public/default/missing"
	)
	mustTopic := func(name string, parts int) {
		t.Helper()
		tn, _ := utils.GetTopicName(name)
		if err := adm.Topics().CreateWithContext(ctx, *tn, parts); err != nil {
			t.Fatalf("creating %s: %v", name, err)
		}
	}
	mustTopic(orders, 0)
	mustTopic(parted, 2)

	// "audit" subscribes and leaves: a durable subscription with no one
	// connected. "workers" stays connected and acknowledges two of five.
	audit, err := client.Subscribe(pulsar.ConsumerOptions{Topic: orders, SubscriptionName: "audit", Type: pulsar.Exclusive})
	if err != nil {
		t.Fatal(err)
	}
	audit.Close()
	workers, err := client.Subscribe(pulsar.ConsumerOptions{
		Topic: orders, SubscriptionName: "workers", Type: pulsar.Shared, AckWithResponse: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer workers.Close()
	publish(t, client, orders, 5)
	publish(t, client, parted, 4)
	for range 2 {
		msg, err := workers.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := workers.Ack(msg); err != nil {
			t.Fatal(err)
		}
	}

	in, err := inspect.New(cl)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	target := inspect.Target{Topics: []string{orders, missing, parted}, Subscriptions: []string{"workers", "nobody"}}
	snap, err := in.Inspect(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Kind != containers.Pulsar || len(snap.Topics) != 3 {
		t.Fatalf("want 3 Pulsar topics, got %+v", snap)
	}
	if o := snap.Topics[0]; o.Name != orders || !o.Exists || o.MsgIn != 5 || o.Partitioned != 0 || o.Err != "" {
		t.Errorf("orders: %+v", o)
	}
	if m := snap.Topics[1]; m.Exists || m.Err != "" {
		t.Errorf("a topic that was never made should show as missing, without an error: %+v", m)
	}
	if p := snap.Topics[2]; !p.Exists || p.Partitioned != 2 || p.MsgIn != 4 {
		t.Errorf("partitioned topic: %+v", p)
	}

	var names []string
	for _, s := range snap.Subscriptions {
		names = append(names, s.Topic+" "+s.Name)
	}
	// The exercise's subscription first, then the program's others, then
	// the exercise's subscriptions that no topic has.
	if want := []string{orders + " workers", orders + " audit", " nobody"}; !slices.Equal(names, want) {
		t.Fatalf("subscriptions %q, want %q", names, want)
	}
	w, a, nobody := snap.Subscriptions[0], snap.Subscriptions[1], snap.Subscriptions[2]
	if !w.Exists || !w.Expected || w.Type != "Shared" || w.Consumers != 1 || w.Backlog != 3 || !w.Durable || w.MsgOut < 2 {
		t.Errorf("workers: %+v", w)
	}
	if !a.Exists || a.Expected || a.Type != "Exclusive" || a.Consumers != 0 || a.Backlog != 5 {
		t.Errorf("audit: %+v", a)
	}
	if nobody.Exists || !nobody.Expected {
		t.Errorf("nobody: %+v", nobody)
	}

	// Looking made nothing: the missing topic is still missing, as a plain
	// or a partitioned topic, and orders has only its two subscriptions.
	for range 2 {
		if _, err := in.Inspect(ctx, target); err != nil {
			t.Fatal(err)
		}
	}
	tn, _ := utils.GetTopicName(missing)
	if _, err := adm.Topics().GetStatsWithContext(ctx, *tn); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("the missing topic answers after inspection: %v", err)
	}
	ns, _ := utils.GetNamespaceName("public/default")
	plain, parts, err := adm.Topics().ListWithContext(ctx, *ns)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Concat(plain, parts) {
		if strings.HasPrefix(name, missing) {
			t.Errorf("inspecting created %s", name)
		}
	}
	on, _ := utils.GetTopicName(orders)
	subs, err := adm.Subscriptions().ListWithContext(ctx, *on)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(subs)
	if !slices.Equal(subs, []string{"audit", "workers"}) {
		t.Errorf("subscriptions on orders after inspection: %q", subs)
	}

	// The grader replays a topic with a reader, as a fresh subscription
	// would see it: its non-durable "streamlab-replay-xxxxx" subscription is not the
	// learner's, and what it read is not counted as delivered, while it
	// reads or after it closed.
	replay, err := client.CreateReader(pulsar.ReaderOptions{Topic: orders, StartMessageID: pulsar.EarliestMessageID(), SubscriptionRolePrefix: checks.ReplayRole})
	if err != nil {
		t.Fatal(err)
	}
	for replay.HasNext() {
		if _, err := replay.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	checkReplay := func(when string) {
		t.Helper()
		snap, err := in.Inspect(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		var delivered int64
		for _, s := range snap.Subscriptions {
			if strings.HasPrefix(s.Name, checks.ReplayRole) {
				t.Errorf("%s: the grader's replay reader is listed: %+v", when, s)
			}
			if s.Topic == orders {
				delivered += s.MsgOut
			}
		}
		if got := snap.Topics[0].MsgOut; got != delivered {
			t.Errorf("%s: orders delivered %d, want %d (what its subscriptions delivered, without the replay)", when, got, delivered)
		}
	}
	checkReplay("while the replay reads")
	replay.Close()
	checkReplay("after the replay")
}

func publish(t *testing.T, client pulsar.Client, topic string, n int) {
	t.Helper()
	p, err := client.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := range n {
		if _, err := p.Send(context.Background(), &pulsar.ProducerMessage{Key: fmt.Sprint("k", i), Payload: fmt.Appendf(nil, "m%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// A broker that does not answer fails the look, with the address in the
// error, rather than showing every topic as missing.
func TestPulsarNoAnswer(t *testing.T) {
	in, err := inspect.NewPulsar(containers.Endpoints{PulsarAdminURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	_, err = in.Inspect(context.Background(), inspect.Target{Topics: []string{"persistent://public/default/t"}})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("want an error naming the admin URL, got %v", err)
	}
	if _, err := inspect.NewPulsar(containers.Endpoints{}); err == nil {
		t.Fatal("want an error for endpoints without an admin URL")
	}
}
