// A consumer-group copier from INPUT_TOPIC to OUTPUT_TOPIC for the broker
// restart exercise, written the ways learners write it, chosen by MISTAKE:
//
//   - idle: stops once no order has arrived for 5 s — the rule of the
//     bridge exercise, which an outage meets.
//   - "" (none): stops once the group has stayed caught up for 5 s, logs
//     what a poll reports and tries a failed write or commit again in a
//     loop of its own, with the client's defaults: correct another way.
//
// Exiting on the first error the client reports is a mistake too, but not
// one a restart shows every time: franz-go retries by itself and only
// sometimes hands a poll "unable to dial".
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
	mistake := os.Getenv("MISTAKE")
	input, output, group := os.Getenv("INPUT_TOPIC"), os.Getenv("OUTPUT_TOPIC"), os.Getenv("GROUP")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	client, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")...),
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

	var since time.Time
	last := time.Now()
	for {
		if mistake == "idle" && time.Since(last) >= 5*time.Second {
			return
		}
		if mistake != "idle" && caughtUp(ctx, adm, group, input) {
			if since.IsZero() {
				since = time.Now()
			}
			if time.Since(since) >= 5*time.Second {
				return
			}
		} else {
			since = time.Time{}
		}
		pollCtx, stop := context.WithTimeout(ctx, time.Second)
		fetches := client.PollFetches(pollCtx)
		stop()
		if ctx.Err() != nil {
			log.Fatal(ctx.Err())
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if pollCtx.Err() == nil {
				log.Printf("reading %s/%d: %v", topic, p, err)
			}
		})
		var out []*kgo.Record
		fetches.EachRecord(func(r *kgo.Record) {
			out = append(out, &kgo.Record{Topic: output, Key: r.Key, Value: r.Value})
		})
		if len(out) == 0 {
			continue
		}
		since, last = time.Time{}, time.Now()
		for {
			err := client.ProduceSync(ctx, out...).FirstErr()
			if err == nil || ctx.Err() != nil {
				break
			}
			log.Printf("writing: %v (again)", err)
			time.Sleep(200 * time.Millisecond)
		}
		for {
			err := client.CommitUncommittedOffsets(ctx)
			if err == nil || ctx.Err() != nil {
				break
			}
			log.Printf("committing: %v (again)", err)
			time.Sleep(200 * time.Millisecond)
		}
	}
}

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
