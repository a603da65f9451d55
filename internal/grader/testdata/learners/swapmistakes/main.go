// ml/model-swap with a mistake chosen by MISTAKE, each about how the
// program takes its model from the compacted topic of versions:
//
//   - once: reads MODELS_TOPIC to its end at the start, keeps the last
//     version, and never reads it again
//   - first: keeps reading MODELS_TOPIC, but keeps the first version of
//     each key it reads instead of the last
//   - every-10s: reads MODELS_TOPIC to its end at the start, then looks
//     for a new version only every 10 seconds
//
// Its features and scores are right, as in ml/score.
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

var mistake = os.Getenv("MISTAKE")

type order struct {
	OrderID     string    `json:"order_id"`
	CustomerID  string    `json:"customer_id"`
	AmountCents int64     `json:"amount_cents"`
	EventTime   time.Time `json:"event_time"`
}

type model struct {
	Version  string    `json:"model_version"`
	Features []string  `json:"features"`
	Mean     []float64 `json:"mean"`
	Scale    []float64 `json:"scale"`
	Weights  []float64 `json:"weights"`
	Bias     float64   `json:"bias"`
}

func (m model) score(x map[string]float64) float64 {
	z := m.Bias
	for i, f := range m.Features {
		z += m.Weights[i] * (x[f] - m.Mean[i]) / m.Scale[i]
	}
	return 1 / (1 + math.Exp(-z))
}

type models struct {
	mu     sync.Mutex
	byName map[string]model
}

func (ms *models) get(name string) (model, bool) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	m, ok := ms.byName[name]
	return m, ok
}

func (ms *models) take(recs []*kgo.Record) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for _, r := range recs {
		var m model
		if err := json.Unmarshal(r.Value, &m); err != nil {
			log.Fatal(err)
		}
		if _, had := ms.byName[string(r.Key)]; had && mistake == "first" {
			continue
		}
		ms.byName[string(r.Key)] = m
	}
}

// catchUp reads topic until every partition's end offset as of now.
func catchUp(ctx context.Context, cl *kgo.Client, topic string, ms *models) {
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		log.Fatal(err)
	}
	left := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			left[o.Partition] = o.Offset
		}
	})
	for len(left) > 0 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err(); err != nil {
			log.Fatal(err)
		}
		recs := fs.Records()
		ms.take(recs)
		for _, r := range recs {
			if end, ok := left[r.Partition]; ok && r.Offset+1 >= end {
				delete(left, r.Partition)
			}
		}
	}
}

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	input, output, modelsTopic := os.Getenv("INPUT_TOPIC"), os.Getenv("PREDICTIONS_TOPIC"), os.Getenv("MODELS_TOPIC")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	mcl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(modelsTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		log.Fatal(err)
	}
	defer mcl.Close()
	ms := &models{byName: map[string]model{}}
	catchUp(ctx, mcl, modelsTopic, ms)
	switch mistake {
	case "once":
	case "every-10s":
		go func() {
			for range time.Tick(10 * time.Second) {
				pctx, stop := context.WithTimeout(ctx, 100*time.Millisecond)
				ms.take(mcl.PollFetches(pctx).Records())
				stop()
			}
		}()
	default:
		go func() {
			for ctx.Err() == nil {
				ms.take(mcl.PollFetches(ctx).Records())
			}
		}()
	}

	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(input), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	type seen struct {
		at     time.Time
		amount int64
	}
	windows := map[string][]seen{}
	scored := map[string]int{}
	for {
		pctx, stop := context.WithTimeout(ctx, 3*time.Second)
		fs := client.PollFetches(pctx)
		stop()
		for _, fe := range fs.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) {
				log.Fatal(fe.Err)
			}
		}
		if fs.NumRecords() == 0 {
			break
		}
		fs.EachRecord(func(r *kgo.Record) {
			var o order
			if err := json.Unmarshal(r.Value, &o); err != nil {
				log.Fatal(err)
			}
			w := windows[o.CustomerID][:0:0]
			var sum int64
			for _, p := range windows[o.CustomerID] {
				if p.at.After(o.EventTime.Add(-10 * time.Minute)) {
					w = append(w, p)
					sum += p.amount
				}
			}
			w = append(w, seen{o.EventTime, o.AmountCents})
			windows[o.CustomerID] = w
			x := map[string]float64{"amount_cents": float64(o.AmountCents), "orders_10m": float64(len(w)), "sum_10m": float64(sum + o.AmountCents)}
			m, ok := ms.get("fraud")
			if !ok {
				log.Fatal("no model")
			}
			value, _ := json.Marshal(map[string]any{"order_id": o.OrderID, "score": m.score(x), "model_version": m.Version})
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
	log.Printf("MISTAKE=%s: scored %v", mistake, scored)
}
