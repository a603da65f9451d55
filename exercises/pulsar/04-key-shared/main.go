// Process a burst of orders with three consumers on one Key_Shared subscription.
//
// The program receives PULSAR_SERVICE_URL, PULSAR_ADMIN_URL, TOPIC,
// SUBSCRIPTION and OUTPUT_TOPIC.
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
	out, err := client.CreateProducer(pulsar.ProducerOptions{Topic: os.Getenv("OUTPUT_TOPIC")})
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()

	// TODO: three consumers on one Key_Shared subscription, not one Exclusive one.
	consumer, err := client.Subscribe(pulsar.ConsumerOptions{
		Topic:                       os.Getenv("TOPIC"),
		SubscriptionName:            os.Getenv("SUBSCRIPTION"),
		Name:                        "consumer-1",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer consumer.Close()

	for {
		// The burst is over once nothing arrives for a few seconds.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		msg, err := consumer.Receive(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return
		}
		if err != nil {
			log.Fatal(err)
		}
		var order struct {
			OrderID string `json:"order_id"`
		}
		if err := json.Unmarshal(msg.Payload(), &order); err != nil {
			log.Fatal(err)
		}
		if _, err := out.Send(context.Background(), &pulsar.ProducerMessage{
			Payload:    []byte(order.OrderID),
			Properties: map[string]string{"consumer": "consumer-1"},
		}); err != nil {
			log.Fatal(err)
		}
		if err := consumer.Ack(msg); err != nil {
			log.Fatal(err)
		}
	}
}
