// pulsar/delayed-delivery programs, chosen by MISTAKE: the mistakes
// learners make, and a right answer the reference solution does not give.
//
//	deliver-at    DeliverAt: now plus DELAY, per message: right
//	nothing       exits at once: publishes nothing
//	no-delay      publishes every order without a delay
//	sleep-first   waits DELAY in the program, then publishes without one
//	milliseconds  reads DELAY's number as milliseconds
//	one-second    a delay of its own (1s), not DELAY
package main

import (
	"bufio"
	"context"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func main() {
	mistake := os.Getenv("MISTAKE")
	if mistake == "nothing" {
		return
	}
	delay, err := time.ParseDuration(os.Getenv("DELAY"))
	if err != nil {
		log.Fatal(err)
	}
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL")})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	producer, err := client.CreateProducer(pulsar.ProducerOptions{Topic: os.Getenv("TOPIC")})
	if err != nil {
		log.Fatal(err)
	}
	defer producer.Close()

	switch mistake {
	case "deliver-at", "no-delay", "one-second":
	case "sleep-first":
		time.Sleep(delay)
	case "milliseconds":
		n, err := strconv.Atoi(strings.TrimSuffix(os.Getenv("DELAY"), "s"))
		if err != nil {
			log.Fatal(err)
		}
		delay = time.Duration(n) * time.Millisecond
	default:
		log.Fatalf("unknown MISTAKE %q", mistake)
	}

	f, err := os.Open(os.Getenv("INPUT_FILE"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		msg := &pulsar.ProducerMessage{Payload: append([]byte(nil), lines.Bytes()...)}
		switch mistake {
		case "deliver-at":
			msg.DeliverAt = time.Now().Add(delay)
		case "milliseconds":
			msg.DeliverAfter = delay
		case "one-second":
			msg.DeliverAfter = time.Second
		}
		if _, err := producer.Send(context.Background(), msg); err != nil {
			log.Fatal(err)
		}
	}
}
