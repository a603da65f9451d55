// Acknowledge good orders and send poison ones to a dead-letter topic.
package main

import (
	"context"
	"encoding/json"
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
		Topic:                       os.Getenv("TOPIC"),
		SubscriptionName:            os.Getenv("SUBSCRIPTION"),
		Type:                        pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
		// After three deliveries a message goes to the dead-letter topic
		// and is acknowledged here, so it stops blocking the subscription.
		DLQ:                 &pulsar.DLQPolicy{MaxDeliveries: 3, DeadLetterTopic: os.Getenv("DLQ_TOPIC")},
		NackRedeliveryDelay: 200 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer consumer.Close()

	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		msg, err := consumer.Receive(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return // nothing more arrives: every poison order is parked
		}
		if err != nil {
			log.Fatal(err)
		}
		var order struct {
			OrderID string `json:"order_id"`
			Poison  bool   `json:"poison"`
		}
		if err := json.Unmarshal(msg.Payload(), &order); err != nil {
			log.Fatal(err)
		}
		if order.Poison {
			consumer.Nack(msg)
			continue
		}
		if err := consumer.Ack(msg); err != nil {
			log.Fatal(err)
		}
	}
}
