// Produce every order, keyed by its customer, so that each customer's
// orders stay in one partition and in order.
//
// The program receives KAFKA_BOOTSTRAP_SERVERS, TOPIC and INPUT_FILE.
package main

import (
	"bufio"
	"context"
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
		// TODO: key each record by the order's customer_id.
		records = append(records, &kgo.Record{Topic: topic, Value: line})
	}
	if err := lines.Err(); err != nil {
		log.Fatal(err)
	}
	if err := client.ProduceSync(context.Background(), records...).FirstErr(); err != nil {
		log.Fatal(err)
	}
	log.Printf("produced %d records", len(records))
}
