// Consumer-group programs, right and wrong, chosen by MISTAKE: no-commit
// (auto-commit off and never committed), other-group (a hard-coded group),
// dollars (totals in dollars, not cents), first-poll (stops after one poll
// on a topic seeded in batches: a half-done program), running (not a
// mistake: a running total per order, the latest being the total).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	mistake := os.Getenv("MISTAKE")
	group := os.Getenv("GROUP")
	if mistake == "other-group" {
		group = "my-consumer-group"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")...),
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(os.Getenv("INPUT_TOPIC")),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, os.Getenv("INPUT_TOPIC"))
	if err != nil {
		log.Fatal(err)
	}
	left := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			left[o.Partition] = o.Offset
		}
	})
	totals := map[string]int64{}
	var out []*kgo.Record
	for polls := 0; len(left) > 0; polls++ {
		if mistake == "first-poll" && polls == 1 {
			break
		}
		fs := cl.PollRecords(ctx, 7)
		if err := fs.Err0(); err != nil {
			log.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			var o struct {
				CustomerID  string `json:"customer_id"`
				AmountCents int64  `json:"amount_cents"`
			}
			_ = json.Unmarshal(r.Value, &o)
			totals[o.CustomerID] += o.AmountCents
			if mistake == "running" {
				out = append(out, &kgo.Record{Topic: os.Getenv("OUTPUT_TOPIC"), Key: []byte(o.CustomerID), Value: []byte(strconv.FormatInt(totals[o.CustomerID], 10))})
			}
			if r.Offset+1 >= left[r.Partition] {
				delete(left, r.Partition)
			}
		})
	}
	if mistake != "running" {
		for c, t := range totals {
			v := strconv.FormatInt(t, 10)
			if mistake == "dollars" {
				v = fmt.Sprintf("%.2f", float64(t)/100)
			}
			out = append(out, &kgo.Record{Topic: os.Getenv("OUTPUT_TOPIC"), Key: []byte(c), Value: []byte(v)})
		}
	}
	if err := cl.ProduceSync(ctx, out...).FirstErr(); err != nil {
		log.Fatal(err)
	}
	if mistake != "no-commit" {
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			log.Fatal(err)
		}
	}
}
