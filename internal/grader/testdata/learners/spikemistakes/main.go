// ml/black-friday scored correctly, but with a way of producing or
// committing that cannot keep up with a spike, chosen by MISTAKE:
//
//   - sync-produce: one synchronous produce per order, waiting for the
//     broker's acknowledgement (acks=all, no linger) before the next
//   - sync-commit: produces asynchronously, but commits each order's
//     offset synchronously before it reads the next
//   - slow-autocommit: consumes and produces as the solution does, but
//     leaves committing to the client's default auto-commit, every 5s
//
// Every mistake scores every order right, in order: only the clock and
// the group's lag tell them from a program that keeps up.
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

type seen struct {
	at     time.Time
	amount int64
}

func main() {
	mistake := os.Getenv("MISTAKE")
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Second)
	defer cancel()
	data, err := os.ReadFile(os.Getenv("MODEL_FILE"))
	if err != nil {
		log.Fatal(err)
	}
	var m model
	if err := json.Unmarshal(data, &m); err != nil {
		log.Fatal(err)
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.ConsumerGroup(os.Getenv("GROUP")),
		kgo.ConsumeTopics(os.Getenv("INPUT_TOPIC")),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DefaultProduceTopic(os.Getenv("PREDICTIONS_TOPIC")),
	}
	switch mistake {
	case "sync-produce":
		opts = append(opts, kgo.DisableAutoCommit(), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(0))
	case "sync-commit":
		opts = append(opts, kgo.DisableAutoCommit())
	case "slow-autocommit":
	default:
		log.Fatalf("MISTAKE=%q: want sync-produce, sync-commit or slow-autocommit", mistake)
	}
	client, err := kgo.NewClient(opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	windows := map[string][]seen{}
	scored := 0
	for {
		pctx, stop := context.WithTimeout(ctx, 3*time.Second)
		fetches := client.PollFetches(pctx)
		stop()
		if fetches.NumRecords() == 0 && pctx.Err() != nil {
			if scored > 0 || ctx.Err() != nil {
				break
			}
			continue
		}
		if err := fetches.Err(); err != nil {
			log.Fatal(err)
		}
		for _, r := range fetches.Records() {
			var o order
			if err := json.Unmarshal(r.Value, &o); err != nil {
				log.Fatal(err)
			}
			var kept []seen
			var sum int64
			for _, p := range windows[o.CustomerID] {
				if p.at.After(o.EventTime.Add(-10 * time.Minute)) {
					kept = append(kept, p)
					sum += p.amount
				}
			}
			windows[o.CustomerID] = append(kept, seen{o.EventTime, o.AmountCents})
			x := map[string]float64{
				"amount_cents": float64(o.AmountCents),
				"orders_10m":   float64(len(kept) + 1),
				"sum_10m":      float64(sum + o.AmountCents),
			}
			value, _ := json.Marshal(map[string]any{"order_id": o.OrderID, "score": m.score(x), "model_version": m.Version})
			rec := &kgo.Record{Key: []byte(o.CustomerID), Value: value}
			switch mistake {
			case "sync-produce":
				if err := client.ProduceSync(ctx, rec).FirstErr(); err != nil {
					log.Fatal(err)
				}
			default:
				client.Produce(ctx, rec, func(_ *kgo.Record, err error) {
					if err != nil {
						log.Fatal(err)
					}
				})
			}
			if mistake == "sync-commit" {
				if err := client.CommitRecords(ctx, r); err != nil {
					log.Fatal(err)
				}
			}
			scored++
		}
		if err := client.Flush(ctx); err != nil {
			log.Fatal(err)
		}
		if mistake == "sync-produce" {
			if err := client.CommitRecords(ctx, fetches.Records()...); err != nil {
				log.Fatal(err)
			}
		}
	}
	if mistake == "slow-autocommit" {
		if err := client.CommitUncommittedOffsets(ctx); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("scored %d orders", scored)
}
