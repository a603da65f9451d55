// Four instances on a three-partition topic, with a mistake chosen by
// MISTAKE: own-group (each instance joins a group of its own,
// GROUP-INSTANCE, so nothing is shared and every instance copies every
// order).
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
	input, output, group := os.Getenv("INPUT_TOPIC"), os.Getenv("OUTPUT_TOPIC"), os.Getenv("GROUP")
	if os.Getenv("MISTAKE") == "own-group" {
		group += "-" + os.Getenv("INSTANCE")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")...),
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(input),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for {
		pollCtx, stop := context.WithTimeout(ctx, time.Second)
		fs := cl.PollFetches(pollCtx)
		stop()
		for _, fe := range fs.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) {
				log.Fatal(fe.Err)
			}
		}
		var out []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) {
			out = append(out, &kgo.Record{Topic: output, Key: r.Key, Value: r.Value})
		})
		if err := cl.ProduceSync(ctx, out...).FirstErr(); err != nil {
			log.Fatal(err)
		}
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			log.Fatal(err)
		}
		cl.AllowRebalance()
		if time.Since(started) >= 10*time.Second && caughtUp(ctx, adm, group, input) {
			return
		}
	}
}

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
		if c, ok := committed.Lookup(topic, end.Partition); end.Offset > 0 && (!ok || c.At < end.Offset) {
			done = false
		}
	})
	return done
}
