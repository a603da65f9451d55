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
	"math"
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

// score is 1 / (1 + e^(−z)), z = bias + Σ weights[i] × (x[i] − mean[i]) / scale[i].
func (m model) score(x map[string]float64) float64 {
	z := m.Bias
	for i, f := range m.Features {
		z += m.Weights[i] * (x[f] - m.Mean[i]) / m.Scale[i]
	}
	return 1 / (1 + math.Exp(-z))
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

	windows := map[string]*recent{} // by customer_id
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
			w := windows[o.CustomerID]
			if w == nil {
				w = &recent{}
				windows[o.CustomerID] = w
			}
			count, sum := w.add(o)
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
