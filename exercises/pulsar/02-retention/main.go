// Raise a namespace's retention, then publish and consume.
//
// The program receives PULSAR_SERVICE_URL, PULSAR_ADMIN_URL, NAMESPACE,
// TOPIC, SUBSCRIPTION and INPUT_FILE.
package main

import (
	"bufio"
	"context"
	"log"
	"os"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	// TODO: set the retention of $NAMESPACE to 14 days and 1024 MB, using
	// the admin API at $PULSAR_ADMIN_URL.

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
