// Pulsar programs with the mistakes learners make, chosen by MISTAKE:
//
//	late-subscription  publishes, then subscribes at the default (latest)
//	                   position and waits a little: it receives nothing
//	no-ack             receives everything but never acknowledges
//	short-retention    sets retention to 7 days instead of 14
//	four-subscriptions four consumers, each on its own subscription: every
//	                   order is handled four times
//	exclusive          one consumer on an Exclusive subscription
//	auto-split         Key_Shared with default (auto-split) hash ranges and
//	                   consumers that join while messages flow
//	ack-poison         acknowledges poison orders: no dead-letter topic
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin/config"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

func main() {
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL")})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	switch m := os.Getenv("MISTAKE"); m {
	case "late-subscription", "no-ack", "short-retention":
		produceThenConsume(client, m)
	case "four-subscriptions", "exclusive", "auto-split":
		scaleOut(client, m)
	case "ack-poison":
		scaleOut(client, m)
	default:
		log.Fatalf("unknown MISTAKE %q", m)
	}
}

func produceThenConsume(client pulsar.Client, mistake string) {
	ctx := context.Background()
	topic := os.Getenv("TOPIC")
	if mistake == "short-retention" {
		admin, err := pulsaradmin.NewClient(&config.Config{WebServiceURL: os.Getenv("PULSAR_ADMIN_URL")})
		if err != nil {
			log.Fatal(err)
		}
		if err := admin.Namespaces().SetRetention(os.Getenv("NAMESPACE"), utils.NewRetentionPolicies(7*24*60, 1024)); err != nil {
			log.Fatal(err)
		}
	}
	var consumer pulsar.Consumer
	subscribe := func() {
		c, err := client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: os.Getenv("SUBSCRIPTION")})
		if err != nil {
			log.Fatal(err)
		}
		consumer = c
	}
	if mistake != "late-subscription" {
		subscribe()
	}
	p, err := client.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		log.Fatal(err)
	}
	f, _ := os.Open(os.Getenv("INPUT_FILE"))
	s := bufio.NewScanner(f)
	n := 0
	for s.Scan() {
		if _, err := p.Send(ctx, &pulsar.ProducerMessage{Payload: append([]byte(nil), s.Bytes()...)}); err != nil {
			log.Fatal(err)
		}
		n++
	}
	if mistake == "late-subscription" {
		subscribe()
	}
	for range n {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		msg, err := consumer.Receive(rctx)
		cancel()
		if err != nil {
			log.Printf("gave up waiting: %v", err)
			return
		}
		if mistake != "no-ack" {
			consumer.Ack(msg)
		}
	}
}

func scaleOut(client pulsar.Client, mistake string) {
	var out pulsar.Producer
	if mistake != "ack-poison" { // the dead-letter exercise has no output topic
		p, err := client.CreateProducer(pulsar.ProducerOptions{Topic: os.Getenv("OUTPUT_TOPIC")})
		if err != nil {
			log.Fatal(err)
		}
		out = p
	}
	consumers, typ := 4, pulsar.Shared
	switch mistake {
	case "ack-poison":
		consumers = 1
	case "exclusive":
		consumers, typ = 1, pulsar.Exclusive
	case "auto-split":
		consumers, typ = 3, pulsar.KeyShared
	}
	var wg sync.WaitGroup
	for i := range consumers {
		name := fmt.Sprintf("consumer-%d", i+1)
		sub := os.Getenv("SUBSCRIPTION")
		if mistake == "four-subscriptions" {
			sub = fmt.Sprintf("%s-%d", sub, i)
		}
		c, err := client.Subscribe(pulsar.ConsumerOptions{
			Topic: os.Getenv("TOPIC"), SubscriptionName: sub, Type: typ, Name: name,
			SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, ReceiverQueueSize: 10,
		})
		if err != nil {
			log.Fatal(err)
		}
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				msg, err := c.Receive(ctx)
				cancel()
				if errors.Is(err, context.DeadlineExceeded) {
					return
				}
				if err != nil {
					log.Fatal(err)
				}
				var o struct {
					OrderID string `json:"order_id"`
				}
				json.Unmarshal(msg.Payload(), &o)
				if out != nil {
					out.Send(context.Background(), &pulsar.ProducerMessage{Payload: []byte(o.OrderID), Properties: map[string]string{"consumer": name}})
				}
				c.Ack(msg)
				if mistake == "auto-split" {
					time.Sleep(2 * time.Millisecond) // slow enough that later consumers join mid-stream
				}
			}
		}()
		if mistake == "auto-split" {
			time.Sleep(300 * time.Millisecond)
		}
	}
	wg.Wait()
}
