// Total each customer's orders, consuming as a member of a consumer group.
package main

import (
	"context"
	"encoding/json"
	"log"
	"os"
	"strconv"
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
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// Where "caught up" is: the end of every partition as it is now.
	ends, err := kadm.NewClient(client).ListEndOffsets(ctx, input)
	if err != nil {
		log.Fatal(err)
	}
	remaining := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			remaining[o.Partition] = o.Offset
		}
	})

	totals := map[string]int64{}
	for len(remaining) > 0 {
		fetches := client.PollFetches(ctx)
		if err := fetches.Err0(); err != nil {
			log.Fatal(err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			var order struct {
				CustomerID  string `json:"customer_id"`
				AmountCents int64  `json:"amount_cents"`
			}
			if err := json.Unmarshal(r.Value, &order); err != nil {
				log.Fatalf("bad order at %d/%d: %v", r.Partition, r.Offset, err)
			}
			totals[order.CustomerID] += order.AmountCents
			if end, ok := remaining[r.Partition]; ok && r.Offset+1 >= end {
				delete(remaining, r.Partition)
			}
		})
	}

	var out []*kgo.Record
	for customer, total := range totals {
		out = append(out, &kgo.Record{Topic: output, Key: []byte(customer), Value: []byte(strconv.FormatInt(total, 10))})
	}
	if err := client.ProduceSync(ctx, out...).FirstErr(); err != nil {
		log.Fatal(err)
	}
	// Commit only after the totals are safely written.
	if err := client.CommitUncommittedOffsets(ctx); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %d totals", len(out))
}
