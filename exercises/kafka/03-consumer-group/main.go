// Total each customer's orders, consuming as a member of a consumer group.
//
// The program receives KAFKA_BOOTSTRAP_SERVERS, INPUT_TOPIC, OUTPUT_TOPIC
// and GROUP.
package main

import (
	"log"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	input, output, group := os.Getenv("INPUT_TOPIC"), os.Getenv("OUTPUT_TOPIC"), os.Getenv("GROUP")

	client, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		// TODO: join the consumer group and consume the input topic from
		// the start.
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// TODO: consume until every partition is caught up, summing
	// amount_cents per customer_id.
	// TODO: produce one record per customer to the output topic, keyed by
	// customer_id, with the decimal total as the value.
	// TODO: commit the offsets you consumed, then exit.
	_, _, _ = input, output, group
}
