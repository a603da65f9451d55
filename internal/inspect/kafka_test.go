package inspect_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/embedded"
	"github.com/streamlab/streamlab/internal/inspect"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func startKafka(t testing.TB) (containers.Cluster, *kgo.Client) {
	t.Helper()
	ctx := context.Background()
	cl, err := embedded.New().Start(ctx, containers.Kafka, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Stop(ctx) })
	client, err := kgo.NewClient(kgo.SeedBrokers(cl.Endpoints().KafkaBootstrap...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return cl, client
}

func produce(t testing.TB, client *kgo.Client, topic string, part int32, keys ...string) {
	t.Helper()
	var recs []*kgo.Record
	for i, k := range keys {
		r := &kgo.Record{Topic: topic, Partition: part, Value: fmt.Appendf(nil, "v%d", i)}
		if k != "" {
			r.Key = []byte(k)
		}
		recs = append(recs, r)
	}
	if err := client.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func TestKafkaTopicsKeysAndLag(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, client := startKafka(t)
	adm := kadm.NewClient(client)
	if _, err := adm.CreateTopic(ctx, 3, 1, nil, "orders"); err != nil {
		t.Fatal(err)
	}
	produce(t, client, "orders", 0, "a", "a", "b")
	produce(t, client, "orders", 1, "c", "")
	// A group that has read partition 0 to its end and one record of 1.
	offs := kadm.Offsets{}
	offs.AddOffset("orders", 0, 3, -1)
	offs.AddOffset("orders", 1, 1, -1)
	if _, err := adm.CommitOffsets(ctx, "totals", offs); err != nil {
		t.Fatal(err)
	}

	in, err := inspect.New(cl)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	target := inspect.Target{Topics: []string{"orders", "missing"}, Groups: []string{"totals", "nobody"}}
	snap, err := in.Inspect(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Topics) != 2 {
		t.Fatalf("want 2 topics, got %+v", snap.Topics)
	}
	orders := snap.Topics[0]
	if !orders.Exists || len(orders.Partitions) != 3 || orders.Records() != 5 {
		t.Fatalf("orders: %+v", orders)
	}
	p0, p1, p2 := orders.Partitions[0], orders.Partitions[1], orders.Partitions[2]
	if p0.End != 3 || p0.Keys != 2 || p0.Sampled != 3 || !p0.Complete() || p0.Examples[0] != "a" {
		t.Errorf("partition 0: %+v", p0)
	}
	if p1.End != 2 || p1.Keys != 1 || p1.Unkeyed != 1 {
		t.Errorf("partition 1: %+v", p1)
	}
	if p2.End != 0 || p2.Keys != 0 {
		t.Errorf("partition 2: %+v", p2)
	}
	if snap.Topics[1].Exists {
		t.Errorf("a topic that was never made shows as existing: %+v", snap.Topics[1])
	}
	g := snap.Groups[0]
	if !g.Exists || g.TotalLag() != 1 || len(g.Lag) == 0 {
		t.Errorf("group totals: %+v", g)
	}
	if snap.Groups[1].Exists {
		t.Errorf("group nobody should not exist: %+v", snap.Groups[1])
	}

	// Inspecting must not have created the missing topic (the embedded
	// broker creates topics on request, as real brokers may).
	td, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if td.Has("missing") {
		t.Error("inspecting created the topic it looked for")
	}

	// Later calls read only what is new.
	produce(t, client, "orders", 2, "d", "e", "d")
	snap, err = in.Inspect(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	p2 = snap.Topics[0].Partitions[2]
	if p2.End != 3 || p2.Keys != 2 || p2.Sampled != 3 {
		t.Errorf("partition 2 after more records: %+v", p2)
	}
	if p0 := snap.Topics[0].Partitions[0]; p0.Sampled != 3 || p0.Keys != 2 {
		t.Errorf("partition 0 counted twice: %+v", p0)
	}
}

func TestKafkaKeysAreBounded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, client := startKafka(t)
	adm := kadm.NewClient(client)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "many"); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i := range 50 {
		keys = append(keys, fmt.Sprint("k", i))
	}
	produce(t, client, "many", 0, keys...)
	in, err := inspect.NewKafka(cl.Endpoints())
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	in.MaxKeys, in.MaxRead = 10, 20
	snap, err := in.Inspect(ctx, inspect.Target{Topics: []string{"many"}})
	if err != nil {
		t.Fatal(err)
	}
	p := snap.Topics[0].Partitions[0]
	if p.Keys != 10 || !p.KeysCapped || p.Sampled != 20 || p.Complete() {
		t.Errorf("bounded sample: %+v", p)
	}
	snap, _ = in.Inspect(ctx, inspect.Target{Topics: []string{"many"}})
	if p := snap.Topics[0].Partitions[0]; p.Sampled != 40 {
		t.Errorf("the second call should continue the sample: %+v", p)
	}
}

func TestUnsupportedKind(t *testing.T) {
	if _, err := inspect.New(fakeCluster{"rabbitmq"}); !errors.Is(err, inspect.ErrUnsupported) {
		t.Fatalf("want ErrUnsupported for a kind no inspector reads, got %v", err)
	}
}

type fakeCluster struct{ k containers.Kind }

func (f fakeCluster) Kind() containers.Kind           { return f.k }
func (f fakeCluster) Endpoints() containers.Endpoints { return containers.Endpoints{} }
func (f fakeCluster) Stop(ctx context.Context) error  { return nil }
