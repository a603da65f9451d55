// Programs for pulsar/stateless-brokers, one per MISTAKE:
//
//	plain     publishes each order it receives and acknowledges it: an
//	          order delivered a second time is published a second time
//	remember  (correct) remembers the order_ids it has published and
//	          acknowledges a second delivery without publishing it; the
//	          broker drops what the client resends after an unload
//	          (deduplication on, a fixed producer name, the client's own
//	          sequence ids)
//	ack-first acknowledges each order before its copy is stored, publishing
//	          asynchronously: nothing is lost while the program runs, but a
//	          redelivered order is still published twice
package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func main() {
	mistake := os.Getenv("MISTAKE")
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL")})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	opts := pulsar.ProducerOptions{Topic: os.Getenv("OUTPUT_TOPIC")}
	if mistake == "remember" {
		deduplicate(os.Getenv("OUTPUT_TOPIC"))
		opts.Name = "remembering-copier"
	}
	out, err := client.CreateProducer(opts)
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

	published := map[string]bool{}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		msg, err := consumer.Receive(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
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
		m := &pulsar.ProducerMessage{Key: msg.Key(), Payload: msg.Payload()}
		switch mistake {
		case "remember":
			if !published[order.OrderID] {
				if _, err := out.Send(context.Background(), m); err != nil {
					log.Fatal(err)
				}
				published[order.OrderID] = true
			}
		case "ack-first":
			if err := consumer.Ack(msg); err != nil {
				log.Fatal(err)
			}
			out.SendAsync(context.Background(), m, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
				if err != nil {
					log.Fatal(err)
				}
			})
			continue
		default:
			if _, err := out.Send(context.Background(), m); err != nil {
				log.Fatal(err)
			}
		}
		if err := consumer.Ack(msg); err != nil {
			log.Fatal(err)
		}
	}
	if err := out.Flush(); err != nil {
		log.Fatal(err)
	}
}

// deduplicate turns deduplication on for topic with a plain HTTP call to
// the admin API, as a program without an admin library would.
func deduplicate(topic string) {
	path := strings.TrimPrefix(topic, "persistent://")
	if !strings.Contains(path, "/") {
		path = "public/default/" + path
	}
	url := os.Getenv("PULSAR_ADMIN_URL") + "/admin/v2/persistent/" + path + "/deduplicationEnabled"
	resp, err := http.Post(url, "application/json", strings.NewReader("true"))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		log.Fatalf("turning deduplication on: %s", resp.Status)
	}
	// The policy reaches the topic shortly after the call.
	for range 50 {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.TrimSpace(string(b)) == "true" {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	log.Fatal("deduplication did not turn on")
}
