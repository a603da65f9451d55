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
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

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

// score is the model's score for the values x of its features, by name.
func (m model) score(x map[string]float64) float64 {
	// TODO: the logistic regression you wrote for ml/score.
	return 0.5
}

// windows is what the program remembers from one order to the next.
type windows struct {
	// TODO: the windows of ml/score, one per customer. Cheap to update:
	// thousands of orders a second go through them.
}

// add takes the next order read from the topic and returns its features:
// the number of its customer's orders, and the sum of their amount_cents,
// whose event_time lies in the 10 minutes up to and including its own.
func (ws *windows) add(o order) (count int, sum int64) {
	// TODO: the window you wrote for ml/score.
	return 1, o.AmountCents
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
		kgo.DisableAutoCommit(),
		kgo.DefaultProduceTopic(output),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	var ws windows
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
			// TODO: this kept up with last year's traffic. It waits for the
			// broker twice per order: until the prediction is stored, then
			// until the offset is committed.
			rec := &kgo.Record{Key: []byte(o.CustomerID), Value: value}
			if err := client.ProduceSync(ctx, rec).FirstErr(); err != nil {
				log.Fatal(err)
			}
			if err := client.CommitRecords(ctx, r); err != nil {
				log.Fatal(err)
			}
			scored++
		})
	}
	log.Printf("scored %d orders with model %s", scored, m.Version)
}
