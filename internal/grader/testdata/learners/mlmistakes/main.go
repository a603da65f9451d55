// Features of each order from its customer's last ten minutes and, when
// MODEL_FILE is set, the model's score of them, with a mistake chosen by
// MISTAKE:
//
// Features (ml/features and ml/score alike):
//   - clock: windows by when the program read each order (time.Now())
//   - record-time: windows by the record's timestamp, which is when the
//     order was produced to the topic
//   - leaves-out-order: counts the window before adding the order itself
//   - all-customers: one window for everyone
//   - ten-seconds: a window of 10 seconds instead of 10 minutes
//   - no-key: publishes every record without a key
//
// Scores (ml/score):
//   - no-scaling: weighs the features as they are, without mean and scale
//   - no-bias: leaves the bias out
//   - by-position: takes the weights in the order amount_cents,
//     orders_10m, sum_10m instead of the file's
//   - goroutines: scores each poll's orders on 8 goroutines, each
//     producing as it finishes (a slow model, a few milliseconds an order)
package main

import (
	"context"
	"encoding/json"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
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

var mistake = os.Getenv("MISTAKE")

func (m model) score(x map[string]float64) float64 {
	z := m.Bias
	if mistake == "no-bias" {
		z = 0
	}
	names := m.Features
	if mistake == "by-position" {
		names = []string{"amount_cents", "orders_10m", "sum_10m"}
	}
	for i, f := range names {
		switch mistake {
		case "no-scaling":
			z += m.Weights[i] * x[f]
		default:
			z += m.Weights[i] * (x[f] - m.Mean[i]) / m.Scale[i]
		}
	}
	return 1 / (1 + math.Exp(-z))
}

// seen is an order as the window keeps it: its amount and the time the
// window goes by.
type seen struct {
	at     time.Time
	amount int64
}

type windows map[string][]seen

func (ws windows) add(o order, r *kgo.Record) (int, int64) {
	key, at, span := o.CustomerID, o.EventTime, 10*time.Minute
	switch mistake {
	case "clock":
		at = time.Now()
	case "record-time":
		at = r.Timestamp
	case "all-customers":
		key = ""
	case "ten-seconds":
		span = 10 * time.Second
	}
	var kept []seen
	for _, p := range ws[key] {
		if p.at.After(at.Add(-span)) {
			kept = append(kept, p)
		}
	}
	count, sum := 0, int64(0)
	for _, p := range kept {
		count++
		sum += p.amount
	}
	ws[key] = append(kept, seen{at, o.AmountCents})
	if mistake != "leaves-out-order" {
		count++
		sum += o.AmountCents
	}
	return count, sum
}

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	input := os.Getenv("INPUT_TOPIC")
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	var m *model
	output := os.Getenv("FEATURES_TOPIC")
	if path := os.Getenv("MODEL_FILE"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			log.Fatal(err)
		}
		m = &model{}
		if err := json.Unmarshal(data, m); err != nil {
			log.Fatal(err)
		}
		output = os.Getenv("PREDICTIONS_TOPIC")
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

	produce := func(key string, value any) {
		b, _ := json.Marshal(value)
		rec := &kgo.Record{Topic: output, Key: []byte(key), Value: b}
		if mistake == "no-key" {
			rec.Key = nil
		}
		client.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			if err != nil {
				log.Fatal(err)
			}
		})
	}
	type scored struct {
		o order
		x map[string]float64
	}
	ws := windows{}
	for len(left) > 0 {
		fetches := client.PollFetches(ctx)
		if err := fetches.Err(); err != nil {
			log.Fatal(err)
		}
		var batch []scored
		fetches.EachRecord(func(r *kgo.Record) {
			var o order
			if err := json.Unmarshal(r.Value, &o); err != nil {
				log.Fatal(err)
			}
			count, sum := ws.add(o, r)
			if end, ok := left[r.Partition]; ok && r.Offset+1 >= end {
				delete(left, r.Partition)
			}
			if m == nil {
				produce(o.CustomerID, map[string]any{"order_id": o.OrderID, "customer_id": o.CustomerID, "orders_10m": count, "sum_10m": sum})
				return
			}
			x := map[string]float64{"amount_cents": float64(o.AmountCents), "orders_10m": float64(count), "sum_10m": float64(sum)}
			batch = append(batch, scored{o: o, x: x})
		})
		if m == nil {
			continue
		}
		emit := func(s scored) {
			produce(s.o.CustomerID, map[string]any{"order_id": s.o.OrderID, "score": m.score(s.x), "model_version": m.Version})
		}
		if mistake != "goroutines" {
			for _, s := range batch {
				emit(s)
			}
			continue
		}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < len(batch); i += 8 {
					time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond) // the model's time
					emit(batch[i])
				}
			})
		}
		wg.Wait()
	}
	if err := client.Flush(ctx); err != nil {
		log.Fatal(err)
	}
}
