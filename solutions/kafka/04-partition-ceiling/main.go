// Copy orders to the output as one of four members of a consumer group on
// a three-partition topic: one member stays idle, and waits with the others.
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

func main() {
	started := time.Now()
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	input, output, group := os.Getenv("INPUT_TOPIC"), os.Getenv("OUTPUT_TOPIC"), os.Getenv("GROUP")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	client, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(input),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		// No rebalance between a poll and AllowRebalance: a partition never
		// moves while its records are written but not yet committed.
		kgo.BlockRebalanceOnPoll(),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	adm := kadm.NewClient(client)

	copied := 0
	for {
		pollCtx, stop := context.WithTimeout(ctx, time.Second)
		fetches := client.PollFetches(pollCtx)
		stop()
		if ctx.Err() != nil {
			log.Fatal(ctx.Err())
		}
		for _, fe := range fetches.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) {
				log.Fatal(fe.Err)
			}
		}
		var out []*kgo.Record
		fetches.EachRecord(func(r *kgo.Record) {
			out = append(out, &kgo.Record{Topic: output, Key: r.Key, Value: r.Value})
		})
		if len(out) > 0 {
			if err := client.ProduceSync(ctx, out...).FirstErr(); err != nil {
				log.Fatal(err)
			}
			copied += len(out)
		}
		// Commit only what is safely written.
		if err := client.CommitUncommittedOffsets(ctx); err != nil {
			log.Fatal(err)
		}
		client.AllowRebalance()

		if time.Since(started) >= 10*time.Second && caughtUp(ctx, adm, group, input) {
			break
		}
	}
	log.Printf("copied %d orders", copied)
}

// caughtUp reports whether the whole group (not just this member) has
// committed the end offset of every partition of topic.
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
