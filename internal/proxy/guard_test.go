package proxy_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamlab/streamlab/internal/proxy"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// mine is a guard for a program whose names start with "mine-".
func mine(r proxy.Resource) bool { return strings.HasPrefix(r.Name, "mine-") }

// guarded starts a guarded proxy before an in-process cluster seeded with
// topics of the program's own and of another's; it returns an admin client
// through the proxy, one straight to the cluster, and what was refused.
func guarded(t *testing.T) (through, direct *kadm.Client, refused func() []proxy.Request) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "mine-orders", "theirs-orders"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	var mu sync.Mutex
	var got []proxy.Request
	p, err := proxy.StartGuarded(c.ListenAddrs(), func(r proxy.Request) proxy.Verdict {
		if r.Kind == proxy.Refused {
			mu.Lock()
			got = append(got, r)
			mu.Unlock()
		}
		return proxy.Deliver
	}, mine)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return kadm.NewClient(client(t, p.Addr(), kgo.RequestRetries(0))), kadm.NewClient(client(t, c.ListenAddrs()[0])),
		func() []proxy.Request {
			mu.Lock()
			defer mu.Unlock()
			return append([]proxy.Request(nil), got...)
		}
}

func exists(t *testing.T, adm *kadm.Client, topic string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	td, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return td.Has(topic)
}

// An admin client through a guarded proxy changes its own topics and
// groups, and is refused, with the error a broker with ACLs gives, on
// everything else: the broker never sees those requests.
func TestAGuardRefusesWhatIsNotTheProgramsOwn(t *testing.T) {
	adm, direct, refused := guarded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topicErr := func(err error, want error, what string) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", what, err, want)
		}
	}

	// Created: its own. Refused: another's, in the same request.
	created, err := adm.CreateTopics(ctx, 1, 1, nil, "mine-new", "theirs-new")
	if err != nil {
		t.Fatal(err)
	}
	topicErr(created["mine-new"].Err, nil, "creating mine-new")
	topicErr(created["theirs-new"].Err, kerr.TopicAuthorizationFailed, "creating theirs-new")

	// Deleted: its own. Refused: another's, in the same request.
	deleted, err := adm.DeleteTopics(ctx, "mine-new", "theirs-orders")
	if err != nil {
		t.Fatal(err)
	}
	topicErr(deleted["mine-new"].Err, nil, "deleting mine-new")
	topicErr(deleted["theirs-orders"].Err, kerr.TopicAuthorizationFailed, "deleting theirs-orders")
	if !exists(t, direct, "theirs-orders") || exists(t, direct, "mine-new") || exists(t, direct, "theirs-new") {
		t.Error("the cluster's topics are not what the guard allowed")
	}

	parts, err := adm.CreatePartitions(ctx, 2, "theirs-orders")
	if err == nil {
		err = parts["theirs-orders"].Err
	}
	topicErr(err, kerr.TopicAuthorizationFailed, "adding partitions to theirs-orders")

	retention := "1000"
	alter, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "retention.ms", Value: &retention}}, "theirs-orders", "mine-orders")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alter {
		want := error(nil)
		if a.Name == "theirs-orders" {
			want = kerr.TopicAuthorizationFailed
		}
		topicErr(a.Err, want, "altering the configs of "+a.Name)
	}
	legacy, err := adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "retention.ms", Value: &retention}}, "theirs-orders")
	if err == nil {
		var r kadm.AlterConfigsResponse
		if r, err = legacy.On("theirs-orders", nil); err == nil {
			err = r.Err
		}
	}
	topicErr(err, kerr.TopicAuthorizationFailed, "setting the configs of theirs-orders (AlterConfigs)")
	broker, err := adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Name: "log.retention.ms", Value: &retention}})
	if err == nil {
		err = broker[0].Err
	}
	topicErr(err, kerr.ClusterAuthorizationFailed, "altering the brokers' configs")

	deletedRecords, err := adm.DeleteRecords(ctx, kadm.Offsets{"theirs-orders": {0: {At: 1}}})
	if err == nil {
		err = deletedRecords.Error()
	}
	topicErr(err, kerr.TopicAuthorizationFailed, "deleting records of theirs-orders")

	// Groups: committing, deleting offsets, deleting the group.
	offsets := kadm.Offsets{}
	offsets.Add(kadm.Offset{Topic: "theirs-orders", Partition: 0, At: 0})
	if _, err := direct.CommitOffsets(ctx, "theirs-group", offsets); err != nil {
		t.Fatal(err)
	}
	committed, err := adm.CommitOffsets(ctx, "theirs-group", offsets)
	if err == nil {
		err = committed.Error()
	}
	topicErr(err, kerr.GroupAuthorizationFailed, "committing theirs-group's offsets")
	mineCommit, err := adm.CommitOffsets(ctx, "mine-group", offsets)
	if err == nil {
		err = mineCommit.Error()
	}
	topicErr(err, nil, "committing mine-group's offsets")
	od, err := adm.DeleteOffsets(ctx, "theirs-group", kadm.TopicsSet{"theirs-orders": {0: {}}})
	if err == nil {
		err = od.Error()
	}
	topicErr(err, kerr.GroupAuthorizationFailed, "deleting theirs-group's offsets")
	dg, err := adm.DeleteGroups(ctx, "theirs-group", "mine-group")
	if err != nil {
		t.Fatal(err)
	}
	topicErr(dg["theirs-group"].Err, kerr.GroupAuthorizationFailed, "deleting theirs-group")
	topicErr(dg["mine-group"].Err, nil, "deleting mine-group")
	if fetched, err := direct.FetchOffsets(ctx, "theirs-group"); err != nil || len(fetched) == 0 {
		t.Errorf("theirs-group lost its offsets: %v %v", fetched, err)
	}

	// Reads pass.
	if _, err := adm.FetchOffsets(ctx, "theirs-group"); err != nil {
		t.Errorf("reading theirs-group's offsets: %v", err)
	}
	if _, err := adm.ListEndOffsets(ctx, "theirs-orders"); err != nil {
		t.Errorf("reading theirs-orders's offsets: %v", err)
	}

	denied := map[string]bool{}
	for _, r := range refused() {
		for _, d := range r.Denied {
			denied[r.Action+" "+d.String()] = true
		}
	}
	for _, want := range []string{"CreateTopics topic theirs-new", "DeleteTopics topic theirs-orders", "CreatePartitions topic theirs-orders",
		"IncrementalAlterConfigs topic theirs-orders", "AlterConfigs topic theirs-orders", "IncrementalAlterConfigs the cluster",
		"DeleteRecords topic theirs-orders", "OffsetCommit group theirs-group", "OffsetDelete group theirs-group", "DeleteGroups group theirs-group"} {
		if !denied[want] {
			t.Errorf("the hook was not told of %s (it was told of %v)", want, denied)
		}
	}
	for d := range denied {
		if strings.Contains(d, "mine-") {
			t.Errorf("the program's own %s was refused", d)
		}
	}
}

// A producer through a guarded proxy writes to its own topic; a write to
// another's fails with TOPIC_AUTHORIZATION_FAILED, and not a record of it
// reaches the broker, even when it shares a request with the program's
// own records.
func TestAGuardRefusesWritesToAnothersTopic(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "mine-orders", "theirs-orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := proxy.StartGuarded(c.ListenAddrs(), nil, mine)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, opts := range [][]kgo.Opt{nil, {kgo.DisableIdempotentWrite()}} {
		cl := client(t, p.Addr(), append(opts, kgo.RecordRetries(2), kgo.RecordDeliveryTimeout(5*time.Second))...)
		var recs []*kgo.Record
		for i := range 20 {
			topic := "mine-orders"
			if i%2 == 1 {
				topic = "theirs-orders"
			}
			recs = append(recs, &kgo.Record{Topic: topic, Value: []byte("x")})
		}
		for _, r := range cl.ProduceSync(ctx, recs...) {
			want := error(nil)
			if r.Record.Topic == "theirs-orders" {
				want = kerr.TopicAuthorizationFailed
			}
			if !errors.Is(r.Err, want) {
				t.Fatalf("writing to %s: %v, want %v", r.Record.Topic, r.Err, want)
			}
		}
	}
	ends, err := kadm.NewClient(client(t, c.ListenAddrs()[0])).ListEndOffsets(ctx, "mine-orders", "theirs-orders")
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int64{}
	ends.Each(func(o kadm.ListedOffset) { n[o.Topic] += o.Offset })
	if n["mine-orders"] != 20 || n["theirs-orders"] != 0 {
		t.Errorf("records written: %v, want 20 to mine-orders and none to theirs-orders", n)
	}
}

// A guarded program may not join another's group (its partitions would
// move to the program), nor use another's transactional id (it would
// fence the other's producer).
func TestAGuardKeepsAProgramOutOfAnothersGroupAndTransactions(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "mine-orders", "theirs-orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := proxy.StartGuarded(c.ListenAddrs(), nil, mine)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	joined := make(chan error, 1)
	cl := client(t, p.Addr(), kgo.ConsumerGroup("theirs-group"), kgo.ConsumeTopics("mine-orders"),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) { joined <- nil }))
	go func() {
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			for _, e := range fs.Errors() {
				if errors.Is(e.Err, kerr.GroupAuthorizationFailed) {
					joined <- e.Err
					return
				}
			}
		}
	}()
	select {
	case err := <-joined:
		if !errors.Is(err, kerr.GroupAuthorizationFailed) {
			t.Errorf("joining theirs-group: %v, want GROUP_AUTHORIZATION_FAILED", err)
		}
	case <-ctx.Done():
		t.Fatal("joining theirs-group neither succeeded nor failed")
	}
	cl.Close()

	txn := client(t, p.Addr(), kgo.TransactionalID("theirs-txn"), kgo.RequestRetries(0))
	err = txn.BeginTransaction() // the client asks for its producer id here, or with its first record
	if err == nil {
		err = txn.ProduceSync(ctx, &kgo.Record{Topic: "mine-orders", Value: []byte("x")}).FirstErr()
	}
	if !errors.Is(err, kerr.TransactionalIDAuthorizationFailed) {
		t.Errorf("producing with theirs-txn: %v, want TRANSACTIONAL_ID_AUTHORIZATION_FAILED", err)
	}
}
