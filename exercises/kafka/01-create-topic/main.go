// Create a topic with three partitions that keeps its data for fourteen days.
//
// The program receives KAFKA_BOOTSTRAP_SERVERS and TOPIC.
package main

import (
	"context"
	"log"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
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
	admin := kadm.NewClient(client)
	ctx := context.Background()

	// TODO: create `topic` with 3 partitions, replication factor 1, and
	// retention.ms set on the topic to fourteen days.
	_, _, _ = admin, ctx, topic

	log.Printf("done")
}
