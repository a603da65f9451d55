// Copy every order from INPUT_TOPIC to OUTPUT_TOPIC while the grader
// unloads both topics and delivers some orders a second time.
//
// The program receives PULSAR_SERVICE_URL, PULSAR_ADMIN_URL, INPUT_TOPIC,
// SUBSCRIPTION and OUTPUT_TOPIC.
package main

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func main() {
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL")})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	consumer, err := client.Subscribe(pulsar.ConsumerOptions{
		Topic:                       os.Getenv("INPUT_TOPIC"),
		SubscriptionName:            os.Getenv("SUBSCRIPTION"),
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer consumer.Close()

	// TODO: a producer on OUTPUT_TOPIC that cannot publish an order twice.

	for {
		// The input is over once nothing arrives for a few seconds.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		msg, err := consumer.Receive(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return
		}
		if err != nil {
			log.Fatal(err)
		}
		// TODO: publish the order (msg.Payload(), keyed by msg.Key()) to
		// OUTPUT_TOPIC, then acknowledge it.
		_ = msg
	}
}
