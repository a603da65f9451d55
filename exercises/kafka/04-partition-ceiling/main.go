// Copy orders to the output as one of four members of one consumer group.
//
// streamlab runs four copies of this program at once. Each receives
// KAFKA_BOOTSTRAP_SERVERS, INPUT_TOPIC, OUTPUT_TOPIC, GROUP, INSTANCE and
// INSTANCES.
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
		// TODO: join the consumer group $GROUP (the same name in every
		// instance) and consume the input topic from the start, committing
		// by hand.
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// TODO: poll in a loop; copy each record's key and value to the output
	// topic, then commit what you copied.
	// TODO: keep polling, even with no partitions, until the group has
	// committed the end offset of every input partition and at least 10
	// seconds have passed since the program started; then exit.
	_, _, _ = input, output, group
}
