// Copy orders from one topic to another as a consumer group, writing each
// batch before committing it — and keep going while the broker restarts.
// Every call that fails while the broker is away is already tried again;
// what is left to you is knowing when the input has really ended.
package main

import (
	"context"
	"errors"
	"log"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// quiet is how long the group must stay caught up before the program
// exits.
const quiet = 5 * time.Second

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	input, output, group := os.Getenv("INPUT_TOPIC"), os.Getenv("OUTPUT_TOPIC"), os.Getenv("GROUP")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()

	client, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(input),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		// A broker that has just restarted may not know its topics for a
		// moment; by default the client fails a record after 4 such
		// answers. Keep trying instead.
		kgo.UnknownTopicRetries(-1),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	adm := kadm.NewClient(client)
	_ = adm // for caughtUp

	copied := 0
	last := time.Now() // when the last order arrived
	for {
		// TODO: this is how the bridge knew it was done — and while the
		// broker restarts, nothing arrives either. Exit only once the
		// group has stayed caught up (caughtUp, below) for quiet, in a
		// row.
		if time.Since(last) >= quiet {
			break
		}
		pollCtx, stop := context.WithTimeout(ctx, time.Second)
		fetches := client.PollFetches(pollCtx)
		stop()
		if ctx.Err() != nil {
			log.Fatalf("gave up after %d orders: %v", copied, ctx.Err())
		}
		// Errors while the broker is away are passing: log them, poll again.
		fetches.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				log.Printf("reading %s/%d: %v (retrying)", topic, p, err)
			}
		})
		var out []*kgo.Record
		fetches.EachRecord(func(r *kgo.Record) {
			out = append(out, &kgo.Record{Topic: output, Key: r.Key, Value: r.Value})
		})
		if len(out) == 0 {
			continue
		}
		last = time.Now()
		n := len(out)
		// Write the whole batch, however many tries it takes; only then
		// say it is done.
		retry(ctx, "writing the batch", func() error {
			var failed []*kgo.Record
			results := client.ProduceSync(ctx, out...)
			for _, r := range results {
				if r.Err != nil {
					failed = append(failed, r.Record)
				}
			}
			out = failed
			return results.FirstErr()
		})
		retry(ctx, "committing", func() error { return client.CommitUncommittedOffsets(ctx) })
		copied += n
	}
	log.Printf("copied %d orders", copied)
}

// retry calls do until it succeeds, pausing between tries; only the
// run's deadline ends it.
func retry(ctx context.Context, what string, do func() error) {
	for {
		err := do()
		if err == nil {
			return
		}
		log.Printf("%s: %v (retrying)", what, err)
		select {
		case <-ctx.Done():
			log.Fatalf("%s: gave up: %v", what, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// caughtUp reports whether the group has committed the end offset of
// every partition of topic. A lookup that fails is "not yet".
func caughtUp(ctx context.Context, adm *kadm.Client, group, topic string) bool {
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil || ends.Error() != nil {
		return false
	}
	committed, err := adm.FetchOffsetsForTopics(ctx, group, topic)
	if err != nil || committed.Error() != nil {
		return false
	}
	done := true
	ends.Each(func(end kadm.ListedOffset) {
		c, ok := committed.Lookup(topic, end.Partition)
		if end.Offset > 0 && (!ok || c.At < end.Offset) {
			done = false
		}
	})
	return done
}
