// Replay a topic from a point in time: copy the records stamped at or
// after SINCE, starting each partition at the offset Kafka gives for that
// time and stopping at the end offsets it had when the program started.
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
	input, output := os.Getenv("INPUT_TOPIC"), os.Getenv("OUTPUT_TOPIC")
	// RFC 3339 carries a UTC offset; time.Parse keeps it, so the instant
	// is right whatever zone this machine is in.
	since, err := time.Parse(time.RFC3339, os.Getenv("SINCE"))
	if err != nil {
		log.Fatalf("SINCE: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	starts, ends := offsets(ctx, kadm.NewClient(client), input, since)
	if len(starts) == 0 {
		log.Printf("nothing stamped at or after %s", since)
		return
	}
	client.AddConsumePartitions(map[string]map[int32]kgo.Offset{input: starts})

	copied := 0
	for len(ends) > 0 {
		fetches := client.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			log.Fatal(err)
		}
		if err := fetches.Err(); err != nil {
			log.Fatal(err)
		}
		var out []*kgo.Record
		fetches.EachRecord(func(r *kgo.Record) {
			end, ok := ends[r.Partition]
			if !ok || r.Offset >= end {
				return // written after the program started: not part of the replay
			}
			// The copy keeps the original's timestamp: a replay is about
			// when things happened, not when they were copied.
			out = append(out, &kgo.Record{Topic: output, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp})
			if r.Offset+1 >= end {
				delete(ends, r.Partition)
			}
		})
		if err := client.ProduceSync(ctx, out...).FirstErr(); err != nil {
			log.Fatal(err)
		}
		copied += len(out)
	}
	log.Printf("copied %d records stamped at or after %s", copied, since)
}

// offsets asks Kafka where the replay starts and stops in each partition
// of topic: the first offset stamped at or after since, and the end
// offset now. Partitions with nothing to copy are left out of both.
func offsets(ctx context.Context, adm *kadm.Client, topic string, since time.Time) (map[int32]kgo.Offset, map[int32]int64) {
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		log.Fatalf("listing end offsets: %v", err)
	}
	// ListOffsets by timestamp: the broker looks the time up in each
	// partition's time index. A partition with nothing that late answers
	// with its end offset.
	at, err := adm.ListOffsetsAfterMilli(ctx, since.UnixMilli(), topic)
	if err == nil {
		err = at.Error()
	}
	if err != nil {
		log.Fatalf("listing offsets for %s: %v", since, err)
	}
	starts, stops := map[int32]kgo.Offset{}, map[int32]int64{}
	for p, end := range ends[topic] {
		start, ok := at.Lookup(topic, p)
		if ok && start.Offset >= 0 && start.Offset < end.Offset {
			starts[p] = kgo.NewOffset().At(start.Offset)
			stops[p] = end.Offset
		}
	}
	return starts, stops
}
