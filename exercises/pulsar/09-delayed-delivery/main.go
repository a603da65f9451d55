// Publish every order, to be delivered DELAY after it is published.
//
// The program receives PULSAR_SERVICE_URL, PULSAR_ADMIN_URL, TOPIC,
// SUBSCRIPTION, DELAY and INPUT_FILE.
package main

import (
	"bufio"
	"context"
	"log"
	"os"

	"github.com/apache/pulsar-client-go/pulsar"
)

func main() {
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL")})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()

	// TODO: read how long each order must be held back from $DELAY.

	producer, err := client.CreateProducer(pulsar.ProducerOptions{Topic: os.Getenv("TOPIC")})
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
		// TODO: ask the broker to deliver the message $DELAY from now.
		msg := &pulsar.ProducerMessage{Payload: append([]byte(nil), lines.Bytes()...)}
		if _, err := producer.Send(ctx, msg); err != nil {
			log.Fatal(err)
		}
		sent++
	}
	log.Printf("published %d orders", sent)
}
