// Acknowledge good orders and send poison ones to a dead-letter topic.
//
// The program receives PULSAR_SERVICE_URL, PULSAR_ADMIN_URL, TOPIC,
// SUBSCRIPTION and DLQ_TOPIC.
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
		// TODO: a dead-letter policy: 3 redeliveries, then $DLQ_TOPIC.
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
			return // nothing more arrives
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
		// TODO: a poison order cannot be processed: negatively acknowledge it.
		if err := consumer.Ack(msg); err != nil {
			log.Fatal(err)
		}
	}
}
