// One of two instances on a Failover subscription: the active one copies
// orders, the other waits and takes over when the active one goes away.
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
	instance := os.Getenv("INSTANCE")
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

	// Failover: the broker delivers to one consumer, and to another only
	// when that one disconnects. Both instances subscribe alike.
	consumer, err := client.Subscribe(pulsar.ConsumerOptions{
		Topic:                       os.Getenv("INPUT_TOPIC"),
		SubscriptionName:            os.Getenv("SUBSCRIPTION"),
		Type:                        pulsar.Failover,
		Name:                        "copier-" + instance,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer consumer.Close()

	// The standby waits here for as long as the active instance works:
	// only a quiet spell with no active instance left ends it.
	idle := 10 * time.Second
	for {
		ctx, cancel := context.WithTimeout(context.Background(), idle)
		msg, err := consumer.Receive(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return
		}
		if err != nil {
			log.Fatal(err)
		}
		// Once work has started, a few seconds of nothing means the input
		// is over.
		idle = 5 * time.Second
		if _, err := out.Send(context.Background(), &pulsar.ProducerMessage{
			Key:        msg.Key(),
			Payload:    msg.Payload(),
			Properties: map[string]string{"instance": instance},
		}); err != nil {
			log.Fatal(err)
		}
		if err := consumer.Ack(msg); err != nil {
			log.Fatal(err)
		}
	}
}
