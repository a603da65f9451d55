// Publish every order, to be delivered DELAY after it is published.
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
	ctx := context.Background()

	delay, err := time.ParseDuration(os.Getenv("DELAY"))
	if err != nil {
		log.Fatalf("DELAY: %v", err)
	}

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
		// The broker keeps the message and hands it to Shared and Key_Shared
		// subscriptions only once the delay has passed; the program need
		// not wait.
		msg := &pulsar.ProducerMessage{
			Payload:      append([]byte(nil), lines.Bytes()...),
			DeliverAfter: delay,
		}
		if _, err := producer.Send(ctx, msg); err != nil {
			log.Fatal(err)
		}
		sent++
	}
	log.Printf("published %d orders, each to be delivered %s later", sent, delay)
}
