// Copy every order from INPUT_TOPIC to OUTPUT_TOPIC, exactly once, while
// the topics move between brokers and the subscription delivers again.
package main

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin/config"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

func main() {
	output := os.Getenv("OUTPUT_TOPIC")
	if err := deduplicate(output); err != nil {
		log.Fatal(err)
	}
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL")})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// The broker remembers, per producer name, the highest sequence id it
	// has stored: a fixed name lets it recognise this producer again, also
	// after a restart.
	out, err := client.CreateProducer(pulsar.ProducerOptions{Topic: output, Name: "orders-copier"})
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()

	consumer, err := client.Subscribe(pulsar.ConsumerOptions{
		Topic:                       os.Getenv("INPUT_TOPIC"),
		SubscriptionName:            os.Getenv("SUBSCRIPTION"),
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer consumer.Close()

	// The highest input position published so far. The broker would drop
	// a copy whose sequence id it has seen; skipping a redelivered order
	// here saves the round trip.
	highest := int64(-1)
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
		// The input's position grows with every message of the topic, so
		// it is a sequence id: an order delivered again comes with the
		// position it had the first time, which the broker has seen, and
		// the broker drops the copy (Send still succeeds).
		id := msg.ID()
		seq := id.LedgerID()<<32 | id.EntryID()
		if seq <= highest {
			if err := consumer.Ack(msg); err != nil {
				log.Fatal(err)
			}
			continue
		}
		if _, err := out.Send(context.Background(), &pulsar.ProducerMessage{
			Key:        msg.Key(),
			Payload:    msg.Payload(),
			SequenceID: &seq,
		}); err != nil {
			log.Fatal(err)
		}
		highest = seq
		// Only once the copy is stored: an order acknowledged first and
		// lost in a crash would never come back.
		if err := consumer.Ack(msg); err != nil {
			log.Fatal(err)
		}
	}
}

// deduplicate turns on message deduplication for topic, and waits until
// the broker reports it on.
func deduplicate(topic string) error {
	admin, err := pulsaradmin.NewClient(&config.Config{WebServiceURL: os.Getenv("PULSAR_ADMIN_URL")})
	if err != nil {
		return err
	}
	name, err := utils.GetTopicName(topic)
	if err != nil {
		return err
	}
	if err := admin.Topics().SetDeduplicationStatus(*name, true); err != nil {
		return err
	}
	for range 100 {
		if on, err := admin.Topics().GetDeduplicationStatus(*name); err == nil && on {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("deduplication did not turn on for " + topic)
}
