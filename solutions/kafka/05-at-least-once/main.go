// Copy orders from one topic to another as a consumer group, writing each
// batch before committing it: a crash at any point loses nothing, and may
// at worst write a batch twice.
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

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	input, output, group := os.Getenv("INPUT_TOPIC"), os.Getenv("OUTPUT_TOPIC"), os.Getenv("GROUP")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	client, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(input),
		// Only where the group has no committed offset yet: after a
		// restart, reading resumes at the committed offsets.
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	adm := kadm.NewClient(client)

	copied := 0
	for !caughtUp(ctx, adm, group, input) {
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
		// First write, and wait until the broker has every record...
		if err := client.ProduceSync(ctx, out...).FirstErr(); err != nil {
			log.Fatal(err)
		}
		// ...then say they are done.
		if err := client.CommitUncommittedOffsets(ctx); err != nil {
			log.Fatal(err)
		}
		copied += len(out)
	}
	log.Printf("copied %d orders", copied)
}

// caughtUp reports whether the group has committed the end offset of
// every partition of topic.
func caughtUp(ctx context.Context, adm *kadm.Client, group, topic string) bool {
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		log.Fatal(err)
	}
	committed, err := adm.FetchOffsetsForTopics(ctx, group, topic)
	if err != nil {
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
