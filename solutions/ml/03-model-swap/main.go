// Score every order with the latest version of the fraud model, as ml/score
// does, and swap to each new version as it arrives on MODELS_TOPIC, without
// a restart.
//
// The program receives KAFKA_BOOTSTRAP_SERVERS, INPUT_TOPIC,
// PREDICTIONS_TOPIC and MODELS_TOPIC.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	// window is how far back an order's features look, in event time.
	window = 10 * time.Minute
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

// models is the latest version of each model, by name, as the compacted
// topic will hold it once compacted: a later record of a key replaces an
// earlier one. The scoring loop reads it while follow writes it.
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

// follow reads topic from its start for as long as ctx lasts, keeping the
// latest value of each key in ms. It closes ready once it has read every
// record the topic held when it began: before that, the version it holds
// may be one that a later record replaced.
func follow(ctx context.Context, cl *kgo.Client, topic string, ms *models, ready chan<- struct{}) {
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		log.Fatalf("reading the end of %s: %v", topic, err)
	}
	left := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			left[o.Partition] = o.Offset
		}
	})
	for {
		if left != nil && len(left) == 0 {
			close(ready)
			left = nil
		}
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return
		}
		if err := fetches.Err(); err != nil {
			log.Fatalf("reading %s: %v", topic, err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			ms.mu.Lock()
			if r.Value == nil {
				delete(ms.byName, string(r.Key)) // a tombstone: the model is withdrawn
			} else {
				var m model
				if err := json.Unmarshal(r.Value, &m); err != nil {
					log.Fatalf("%s partition %d offset %d: %v", topic, r.Partition, r.Offset, err)
				}
				if _, had := ms.byName[string(r.Key)]; had && left == nil {
					log.Printf("now scoring with %s", m.Version)
				}
				ms.byName[string(r.Key)] = m
			}
			ms.mu.Unlock()
			if end, ok := left[r.Partition]; ok && r.Offset+1 >= end {
				delete(left, r.Partition)
			}
		})
	}
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
	if m, ok := ms.get(modelName); ok {
		log.Printf("scoring with %s", m.Version)
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

	windows := map[string]*recent{} // by customer_id
	scored := map[string]int{}      // by model version
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
			// The version in use now: one get per order, so that its score
			// and its version come from the same model.
			m, ok := ms.get(modelName)
			if !ok {
				log.Fatalf("%s holds no model %q", modelsTopic, modelName)
			}
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
