// Copy orders from one topic to another as a consumer group, writing each
// batch before committing it — and keep going while the broker restarts.
package main

import (
	"context"
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
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	adm := kadm.NewClient(client)
	_ = adm // for caughtUp

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
			log.Fatal(ctx.Err())
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if pollCtx.Err() == nil {
				log.Fatalf("reading %s/%d: %v", topic, p, err)
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
		// franz-go retries a write and a commit through an outage by
		// itself; a client that gives up sooner needs a loop here.
		if err := client.ProduceSync(ctx, out...).FirstErr(); err != nil {
			log.Fatal(err)
		}
		if err := client.CommitUncommittedOffsets(ctx); err != nil {
			log.Fatal(err)
		}
	}
}

// caughtUp reports whether the group has committed the end offset of
// every partition of topic. A lookup that fails — the broker is away — is
// "not yet".
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
