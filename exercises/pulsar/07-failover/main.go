// One of two instances: copy orders from INPUT_TOPIC to OUTPUT_TOPIC, one
// instance at a time, with the other ready to take over.
//
// The program receives PULSAR_SERVICE_URL, PULSAR_ADMIN_URL, INPUT_TOPIC,
// SUBSCRIPTION, OUTPUT_TOPIC, INSTANCE and INSTANCES.
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
	out, err := client.CreateProducer(pulsar.ProducerOptions{Topic: os.Getenv("OUTPUT_TOPIC")})
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()

	// TODO: a subscription type that keeps the second instance waiting.
	consumer, err := client.Subscribe(pulsar.ConsumerOptions{
		Topic:                       os.Getenv("INPUT_TOPIC"),
		SubscriptionName:            os.Getenv("SUBSCRIPTION"),
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer consumer.Close()

	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		msg, err := consumer.Receive(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return
		}
		if err != nil {
			log.Fatal(err)
		}
		// TODO: publish the order to OUTPUT_TOPIC with the property
		// instance set to INSTANCE, then acknowledge it.
		_ = msg
	}
}
