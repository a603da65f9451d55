// Features of every order from its customer's last ten minutes, by the
// time the orders happened: how many there were, and what they came to.
//
// The program receives KAFKA_BOOTSTRAP_SERVERS, INPUT_TOPIC and
// FEATURES_TOPIC.
package main

import (
	"context"
	"encoding/json"
	"log"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// order is one input record.
type order struct {
	OrderID     string    `json:"order_id"`
	CustomerID  string    `json:"customer_id"`
	AmountCents int64     `json:"amount_cents"`
	EventTime   time.Time `json:"event_time"` // RFC 3339 parses into a time.Time
}

// features is one output record.
type features struct {
	OrderID    string `json:"order_id"`
	CustomerID string `json:"customer_id"`
	Orders10m  int    `json:"orders_10m"`
	Sum10m     int64  `json:"sum_10m"`
}

// windows is what the program remembers from one order to the next.
type windows struct {
	// TODO: what must you keep to count an order's last 10 minutes?
}

// add takes the next order read from the topic and returns its features:
// the number of its customer's orders, and the sum of their amount_cents,
// whose event_time lies in the 10 minutes up to and including its own.
func (ws *windows) add(o order) (count int, sum int64) {
	// TODO: count by event_time, not by when the program reads the order.
	return 1, o.AmountCents
}

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	input, output := os.Getenv("INPUT_TOPIC"), os.Getenv("FEATURES_TOPIC")
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	client, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(input),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// Read every partition up to the end it has now.
	ends, err := kadm.NewClient(client).ListEndOffsets(ctx, input)
	if err != nil {
		log.Fatal(err)
	}
	left := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			left[o.Partition] = o.Offset
		}
	})

	var ws windows
	written := 0
	for len(left) > 0 {
		fetches := client.PollFetches(ctx)
		if err := fetches.Err(); err != nil {
			log.Fatal(err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			var o order
			if err := json.Unmarshal(r.Value, &o); err != nil {
				log.Fatalf("partition %d offset %d: %v", r.Partition, r.Offset, err)
			}
			count, sum := ws.add(o)
			value, _ := json.Marshal(features{o.OrderID, o.CustomerID, count, sum})
			client.Produce(ctx, &kgo.Record{Topic: output, Key: []byte(o.CustomerID), Value: value}, func(_ *kgo.Record, err error) {
				if err != nil {
					log.Fatal(err)
				}
			})
			written++
			if end, ok := left[r.Partition]; ok && r.Offset+1 >= end {
				delete(left, r.Partition)
			}
		})
	}
	if err := client.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote the features of %d orders", written)
}
