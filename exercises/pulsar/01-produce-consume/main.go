// Publish every order, then consume and acknowledge all of them.
//
// The program receives PULSAR_SERVICE_URL, PULSAR_ADMIN_URL, TOPIC,
// SUBSCRIPTION and INPUT_FILE.
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
	topic := os.Getenv("TOPIC")

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
	log.Printf("published %d messages", sent)

	// TODO: subscribe to the topic as $SUBSCRIPTION, receive all `sent`
	// messages, and acknowledge each one.
}
