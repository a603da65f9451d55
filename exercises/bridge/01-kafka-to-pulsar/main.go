// Move every order from the Kafka topic INPUT_TOPIC to the Pulsar topic
// OUTPUT_TOPIC: nothing lost, nothing twice, though the program is killed
// and started again while it works.
package main

import (
	"context"
	"log"
	"os"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	input, output, group := os.Getenv("INPUT_TOPIC"), os.Getenv("OUTPUT_TOPIC"), os.Getenv("GROUP")
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL")})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	producer, err := client.CreateProducer(pulsar.ProducerOptions{Topic: output})
	if err != nil {
		log.Fatal(err)
	}
	defer producer.Close()
	kafka, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")...),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(input),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer kafka.Close()

	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		fetches := kafka.PollFetches(ctx)
		cancel()
		if fetches.NumRecords() == 0 && ctx.Err() != nil {
			break // nothing new for 5 seconds
		}
		fetches.EachRecord(func(r *kgo.Record) {
			// TODO: publish r to Pulsar, keyed as in Kafka. Commit the
			// batch's offsets only once Pulsar has acknowledged all of it
			// (auto-commit commits on its own schedule), and make sure a
			// batch read again after a crash is not published twice.
		})
	}
}
