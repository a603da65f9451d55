// Score every order with the latest version of the fraud model, and swap
// to each new version as it arrives on MODELS_TOPIC, without a restart.
//
// The program receives KAFKA_BOOTSTRAP_SERVERS, INPUT_TOPIC,
// PREDICTIONS_TOPIC and MODELS_TOPIC.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	// idle is how long without an order means the orders have ended.
	idle = 3 * time.Second
	// modelName is the key of the fraud model's versions on MODELS_TOPIC.
	modelName = "fraud"
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

// model is one version of a model: mean, scale and weights go with the
// feature named at the same place in features.
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
	// TODO: your score from ml/score.
	return 0.5
}

// windows is what the program remembers from one order to the next.
type windows struct {
	// TODO: the same as in ml/score.
}

// add takes the next order read from the topic and returns its features:
// the number of its customer's orders, and the sum of their amount_cents,
// whose event_time lies in the 10 minutes up to and including its own.
func (ws *windows) add(o order) (count int, sum int64) {
	// TODO: your window from ml/score.
	return 1, o.AmountCents
}

// models is the latest version of each model, by name. The scoring loop
// reads it while follow writes it.
type models struct {
	mu     sync.RWMutex
	byName map[string]model
}

func (ms *models) get(name string) (model, bool) {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	m, ok := ms.byName[name]
	return m, ok
}

// follow reads the topic of models for as long as ctx lasts, keeping the
// latest version of each model in ms, and closes ready once ms holds the
// versions in use when the program started.
func follow(ctx context.Context, cl *kgo.Client, topic string, ms *models, ready chan<- struct{}) {
	// TODO: read topic from its start, and keep reading it. Which record
	// of a key is the version in use, and when have you read far enough
	// to close ready?
	close(ready)
}

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	input, output, modelsTopic := os.Getenv("INPUT_TOPIC"), os.Getenv("PREDICTIONS_TOPIC"), os.Getenv("MODELS_TOPIC")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	// A client of its own for the models, so that a new version is read
	// the moment it arrives, whatever the orders are doing.
	modelsClient, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(modelsTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer modelsClient.Close()
	ms := &models{byName: map[string]model{}}
	ready := make(chan struct{})
	followCtx, stopFollowing := context.WithCancel(ctx)
	defer stopFollowing()
	go follow(followCtx, modelsClient, modelsTopic, ms, ready)
	select {
	case <-ready:
	case <-ctx.Done():
		log.Fatalf("reading %s: %v", modelsTopic, ctx.Err())
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

	var ws windows
	scored := map[string]int{} // by model version
	for {
		pollCtx, stop := context.WithTimeout(ctx, idle)
		fetches := client.PollFetches(pollCtx)
		stop()
		if ctx.Err() != nil {
			log.Fatal(ctx.Err())
		}
		for _, fe := range fetches.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) {
				log.Fatal(fe.Err)
			}
		}
		if fetches.NumRecords() == 0 {
			break // no order for a while: they have ended
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
			m, _ := ms.get(modelName) // TODO: what if there is none yet?
			value, _ := json.Marshal(prediction{o.OrderID, m.score(x), m.Version})
			client.Produce(ctx, &kgo.Record{Topic: output, Key: []byte(o.CustomerID), Value: value}, func(_ *kgo.Record, err error) {
				if err != nil {
					log.Fatal(err)
				}
			})
			scored[m.Version]++
		})
	}
	if err := client.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	log.Printf("scored %v orders by model version", scored)
}
