// Raise a namespace's retention, then publish and consume.
package main

import (
	"bufio"
	"context"
	"log"
	"os"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin/config"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	// Retention is a storage policy: BookKeeper keeps acknowledged messages
	// for this long (or up to this size), whoever has read them.
	admin, err := pulsaradmin.NewClient(&config.Config{WebServiceURL: os.Getenv("PULSAR_ADMIN_URL")})
	if err != nil {
		log.Fatal(err)
	}
	fourteenDays := 14 * 24 * 60 // minutes
	if err := admin.Namespaces().SetRetention(os.Getenv("NAMESPACE"), utils.NewRetentionPolicies(fourteenDays, 1024)); err != nil {
		log.Fatal(err)
	}

	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL")})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	topic := os.Getenv("TOPIC")

	// Subscribing first means the subscription sees everything published next.
	consumer, err := client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: os.Getenv("SUBSCRIPTION")})
	if err != nil {
		log.Fatal(err)
	}
	defer consumer.Close()
	producer, err := client.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		log.Fatal(err)
	}
	defer producer.Close()

	f, err := os.Open(os.Getenv("INPUT_FILE"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	sent := 0
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if _, err := producer.Send(ctx, &pulsar.ProducerMessage{Payload: append([]byte(nil), lines.Bytes()...)}); err != nil {
			log.Fatal(err)
		}
		sent++
	}
	for range sent {
		msg, err := consumer.Receive(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if err := consumer.Ack(msg); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("published and consumed %d messages", sent)
}
