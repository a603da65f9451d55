// Score every order of a Black Friday sale as it arrives: the features and
// the model of ml/score, one prediction per order in each customer's
// order, fast enough that a spike of orders never piles up behind the
// program.
//
// The program receives KAFKA_BOOTSTRAP_SERVERS, INPUT_TOPIC,
// PREDICTIONS_TOPIC, GROUP and MODEL_FILE.
package main

import (
	"context"
	"encoding/json"
	"log"
	"math"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// window is how far back an order's features look, in event time.
const window = 10 * time.Minute

// idle is how long the program waits for another order, once orders have
// come, before it decides the sale is over.
const idle = 3 * time.Second

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

// seen is what the window needs of an order.
type seen struct {
	at     time.Time
	amount int64
}

// recent is one customer's orders in the window, oldest first, and what
// they come to. A customer's orders arrive in the order they happened, so
// the old ones leave from the front and the sum is kept as they come and
// go: an order costs the same however busy its customer is.
type recent struct {
	orders []seen
	sum    int64
}

// add puts o into the window, drops the orders that happened 10 minutes
// or more before it, and returns what is left: o's features.
func (w *recent) add(o order) (count int, sum int64) {
	since := o.EventTime.Add(-window)
	old := 0
	for old < len(w.orders) && !w.orders[old].at.After(since) {
		w.sum -= w.orders[old].amount
		old++
	}
	w.orders = append(w.orders[old:], seen{o.EventTime, o.AmountCents})
	w.sum += o.AmountCents
	return len(w.orders), w.sum
}

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	input, output := os.Getenv("INPUT_TOPIC"), os.Getenv("PREDICTIONS_TOPIC")
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Second)
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
		kgo.ConsumerGroup(os.Getenv("GROUP")),
		kgo.ConsumeTopics(input),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// Offsets are committed below, once the predictions of the orders
		// they cover are stored: an order is never marked done before it is.
		kgo.DisableAutoCommit(),
		kgo.DefaultProduceTopic(output),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	windows := map[string]*recent{} // by customer_id
	scored := 0
	for {
		pctx, stop := context.WithTimeout(ctx, idle)
		fetches := client.PollFetches(pctx)
		stop()
		if fetches.NumRecords() == 0 && pctx.Err() != nil {
			if scored > 0 || ctx.Err() != nil {
				break // the sale is over
			}
			continue // the first orders have not come yet
		}
		if err := fetches.Err(); err != nil {
			log.Fatal(err)
		}
		// Every order the poll returned goes to the client at once: it
		// sends them in a few requests, not one round trip per order.
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
			client.Produce(ctx, &kgo.Record{Key: []byte(o.CustomerID), Value: value}, func(_ *kgo.Record, err error) {
				if err != nil {
					log.Fatal(err)
				}
			})
			scored++
		})
		// One wait for the whole batch, then one commit for it: the more
		// orders pile up, the bigger the batch, and the program catches up.
		if err := client.Flush(ctx); err != nil {
			log.Fatal(err)
		}
		if err := client.CommitRecords(ctx, fetches.Records()...); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("scored %d orders with model %s", scored, m.Version)
}
