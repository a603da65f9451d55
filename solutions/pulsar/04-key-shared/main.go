// Process a burst of orders with three consumers on one Key_Shared subscription, keeping each customer in order.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

const consumers = 3

func main() {
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

	var wg sync.WaitGroup
	for i := range consumers {
		name := fmt.Sprintf("consumer-%d", i+1)
		// Each consumer owns a fixed third of the key hash space. With the
		// default (auto-split) policy, a consumer that joins while messages
		// flow takes keys over from the others: order stays safe, but a
		// customer changes hands. Sticky ranges never move.
		width := 65536 / consumers
		lo, hi := i*width, (i+1)*width-1
		if i == consumers-1 {
			hi = 65535
		}
		policy, err := pulsar.NewKeySharedPolicySticky([]int{lo, hi})
		if err != nil {
			log.Fatal(err)
		}
		c, err := client.Subscribe(pulsar.ConsumerOptions{
			KeySharedPolicy:             policy,
			Topic:                       os.Getenv("TOPIC"),
			SubscriptionName:            os.Getenv("SUBSCRIPTION"),
			Type:                        pulsar.KeyShared,
			Name:                        name,
			SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
			// A small prefetch, so the first consumer to connect does not
			// take the whole burst before the others arrive.
			ReceiverQueueSize: 10,
		})
		if err != nil {
			log.Fatal(err)
		}
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(c, out, name)
		}()
	}
	wg.Wait()
}

// work handles orders until none arrives for a few seconds.
//
// Pulsar delivers at least once: a message can come again, rarely, even
// on a healthy subscription. With sticky ranges it comes again to the
// consumer that owns its key, so each consumer remembers the orders it has
// handled, and acknowledges a second delivery without handling it twice.
func work(c pulsar.Consumer, out pulsar.Producer, name string) {
	handled := map[string]bool{}
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
		var order struct {
			OrderID string `json:"order_id"`
		}
		if err := json.Unmarshal(msg.Payload(), &order); err != nil {
			log.Fatal(err)
		}
		if handled[order.OrderID] {
			if err := c.Ack(msg); err != nil {
				log.Fatal(err)
			}
			continue
		}
		handled[order.OrderID] = true
		if _, err := out.Send(context.Background(), &pulsar.ProducerMessage{
			Payload:    []byte(order.OrderID),
			Properties: map[string]string{"consumer": name},
		}); err != nil {
			log.Fatal(err)
		}
		if err := c.Ack(msg); err != nil {
			log.Fatal(err)
		}
	}
}
