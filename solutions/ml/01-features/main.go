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

// window is how far back an order's features look, in event time.
const window = 10 * time.Minute

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

// recent is one customer's orders in the window, oldest first.
type recent []order

// add puts o into the window, drops the orders that happened 10 minutes
// or more before it, and returns what is left: o's features.
func (w *recent) add(o order) (count int, sum int64) {
	since := o.EventTime.Add(-window)
	kept := (*w)[:0]
	for _, p := range *w {
		if p.EventTime.After(since) {
			kept = append(kept, p)
		}
	}
	*w = append(kept, o)
	for _, p := range *w {
		sum += p.AmountCents
	}
	return len(*w), sum
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

	windows := map[string]*recent{} // by customer_id
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
			w := windows[o.CustomerID]
			if w == nil {
				w = &recent{}
				windows[o.CustomerID] = w
			}
			count, sum := w.add(o)
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
