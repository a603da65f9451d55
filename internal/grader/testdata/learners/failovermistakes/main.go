// Programs for pulsar/failover, one per MISTAKE:
//
//	shared           both instances on one Shared subscription: they share
//	                 the work instead of one standing by
//	own-subscription each instance on a subscription of its own: both copy
//	                 everything
//	exclusive-retry  an Exclusive subscription, the second instance trying
//	                 again until the first is gone: it takes over, but the
//	                 subscription is not Failover
package main

import (
	"context"
	"errors"
	"log"
	"os"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func main() {
	mistake, instance := os.Getenv("MISTAKE"), os.Getenv("INSTANCE")
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

	opts := pulsar.ConsumerOptions{
		Topic:                       os.Getenv("INPUT_TOPIC"),
		SubscriptionName:            os.Getenv("SUBSCRIPTION"),
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
		// A small prefetch, as a consumer that does real work per message
		// would be given, so that a Shared subscription spreads the input.
		ReceiverQueueSize: 10,
	}
	switch mistake {
	case "shared":
		opts.Type = pulsar.Shared
	case "own-subscription":
		opts.SubscriptionName += "-" + instance
	}
	var consumer pulsar.Consumer
	for {
		consumer, err = client.Subscribe(opts)
		if err == nil || mistake != "exclusive-retry" || !strings.Contains(err.Error(), "ConsumerBusy") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
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
		// A little work per order, as a real pipeline has.
		time.Sleep(2 * time.Millisecond)
		if _, err := out.Send(context.Background(), &pulsar.ProducerMessage{
			Key: msg.Key(), Payload: msg.Payload(), Properties: map[string]string{"instance": instance},
		}); err != nil {
			log.Fatal(err)
		}
		if err := consumer.Ack(msg); err != nil {
			log.Fatal(err)
		}
	}
}
