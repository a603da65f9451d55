// Score every order with a fraud model: its features from its customer's
// last ten minutes by event time, the model's logistic regression over
// them, one prediction per order, in each customer's order.
//
// The program receives KAFKA_BOOTSTRAP_SERVERS, INPUT_TOPIC,
// PREDICTIONS_TOPIC and MODEL_FILE.
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
	EventTime   time.Time `json:"event_time"`
}

// prediction is one output record.
type prediction struct {
	OrderID      string  `json:"order_id"`
	Score        float64 `json:"score"`
	ModelVersion string  `json:"model_version"`
}

// model is the model file: mean, scale and weights go with the feature
// named at the same place in features.
type model struct {
	Version  string    `json:"model_version"`
	Features []string  `json:"features"`
	Mean     []float64 `json:"mean"`
	Scale    []float64 `json:"scale"`
	Weights  []float64 `json:"weights"`
	Bias     float64   `json:"bias"`
}

// score is the model's score for the values x of its features, by name.
func (m model) score(x map[string]float64) float64 {
	// TODO: the logistic regression the task gives, over m.Features.
	return 0.5
}

// windows is what the program remembers from one order to the next.
type windows struct {
	// TODO: the same as in ml/features.
}

// add takes the next order read from the topic and returns its features:
// the number of its customer's orders, and the sum of their amount_cents,
// whose event_time lies in the 10 minutes up to and including its own.
func (ws *windows) add(o order) (count int, sum int64) {
	// TODO: the window you wrote for ml/features.
	return 1, o.AmountCents
}

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	input, output := os.Getenv("INPUT_TOPIC"), os.Getenv("PREDICTIONS_TOPIC")
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	data, err := os.ReadFile(os.Getenv("MODEL_FILE"))
	if err != nil {
		log.Fatal(err)
	}
	var m model
	if err := json.Unmarshal(data, &m); err != nil {
		log.Fatalf("reading the model: %v", err)
	}

	client, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(input),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

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
	scored := 0
	for len(left) > 0 {
		fetches := client.PollFetches(ctx)
		if err := fetches.Err(); err != nil {
			log.Fatal(err)
		}
		// One order after another, each produced before the next: a
		// customer's predictions keep the order of its orders.
		fetches.EachRecord(func(r *kgo.Record) {
			var o order
			if err := json.Unmarshal(r.Value, &o); err != nil {
				log.Fatalf("partition %d offset %d: %v", r.Partition, r.Offset, err)
			}
			count, sum := ws.add(o)
			x := map[string]float64{
				"amount_cents": float64(o.AmountCents),
				"orders_10m":   float64(count),
				"sum_10m":      float64(sum),
			}
			value, _ := json.Marshal(prediction{o.OrderID, m.score(x), m.Version})
			client.Produce(ctx, &kgo.Record{Topic: output, Key: []byte(o.CustomerID), Value: value}, func(_ *kgo.Record, err error) {
				if err != nil {
					log.Fatal(err)
				}
			})
			scored++
			if end, ok := left[r.Partition]; ok && r.Offset+1 >= end {
				delete(left, r.Partition)
			}
		})
	}
	if err := client.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	log.Printf("scored %d orders with model %s", scored, m.Version)
}
