// Publish every order, then consume and acknowledge all of them.
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
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL")})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	topic := os.Getenv("TOPIC")

	// Subscribe before publishing: a new subscription starts at the latest
	// position, so one made afterwards would see none of these messages.
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
