// Replay a topic from a point in time: copy the records stamped at or
// after SINCE, starting each partition at the offset for that time.
//
// The program receives KAFKA_BOOTSTRAP_SERVERS, INPUT_TOPIC, OUTPUT_TOPIC
// and SINCE (an RFC 3339 time with a UTC offset).
package main

import (
	"log"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	input, output := os.Getenv("INPUT_TOPIC"), os.Getenv("OUTPUT_TOPIC")
	// TODO: parse SINCE, keeping its UTC offset.
	since := os.Getenv("SINCE")

	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// TODO: ask Kafka, for each partition of the input topic, for the first
	// offset stamped at or after SINCE, and for the end offset.
	// TODO: consume each partition from its offset for SINCE up to its end
	// offset, and copy every record to the output topic with its key,
	// value and timestamp.
	_, _, _ = input, output, since
}
