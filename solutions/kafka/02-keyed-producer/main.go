// Produce every order, keyed by its customer, so that each customer's
// orders stay in one partition and in order.
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
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	topic := os.Getenv("TOPIC")

	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	f, err := os.Open(os.Getenv("INPUT_FILE"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	var records []*kgo.Record
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		line := append([]byte(nil), lines.Bytes()...)
		var order struct {
			CustomerID string `json:"customer_id"`
		}
		if err := json.Unmarshal(line, &order); err != nil {
			log.Fatalf("bad line %q: %v", line, err)
		}
		records = append(records, &kgo.Record{Topic: topic, Key: []byte(order.CustomerID), Value: line})
	}
	if err := lines.Err(); err != nil {
		log.Fatal(err)
	}
	// One producer keeps per-partition order; ProduceSync waits for every ack.
	if err := client.ProduceSync(context.Background(), records...).FirstErr(); err != nil {
		log.Fatal(err)
	}
	log.Printf("produced %d records", len(records))
}
