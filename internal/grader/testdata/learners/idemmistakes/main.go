// The idempotent-producer exercise with franz-go, and a mistake chosen by
// MISTAKE:
//
//   - no-idempotence: kgo.DisableIdempotentWrite(), as a producer copied
//     from a config tuned for throughput has it: a retry after a lost
//     answer writes its batch again.
//   - one-by-one: the same, sending one record at a time and waiting for
//     each, so every request is small and a retry duplicates one record.
//   - acks-zero: acks=0 (which franz-go allows only without idempotence):
//     the broker sends no answer at all, so none can be lost and the
//     program shows nothing about retries.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	mistake := os.Getenv("MISTAKE")
	opts := []kgo.Opt{
		kgo.SeedBrokers(strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")...),
		kgo.DisableIdempotentWrite(),
		kgo.MaxProduceRequestsInflightPerBroker(5),
	}
	if mistake == "acks-zero" {
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()

	records := readOrders(os.Getenv("INPUT_FILE"), os.Getenv("TOPIC"))
	ctx := context.Background()
	if mistake == "one-by-one" {
		for _, r := range records {
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				log.Fatal(err)
			}
		}
		return
	}
	if err := cl.ProduceSync(ctx, records...).FirstErr(); err != nil {
		log.Fatal(err)
	}
}

func readOrders(path, topic string) []*kgo.Record {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var out []*kgo.Record
	s := bufio.NewScanner(f)
	for s.Scan() {
		var o struct {
			CustomerID string `json:"customer_id"`
		}
		if err := json.Unmarshal(s.Bytes(), &o); err != nil {
			log.Fatal(err)
		}
		out = append(out, &kgo.Record{Topic: topic, Key: []byte(o.CustomerID), Value: append([]byte(nil), s.Bytes()...)})
	}
	if err := s.Err(); err != nil {
		log.Fatal(err)
	}
	return out
}
