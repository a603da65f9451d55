// A keyed producer written with kafka-go. Its Writer balances round-robin
// unless told otherwise — keys are set but do not choose the partition, a
// mistake learners really make. BALANCER=hash is the fixed version.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log"
	"os"
	"strings"

	"github.com/segmentio/kafka-go"
)

func main() {
	w := &kafka.Writer{
		Addr:         kafka.TCP(strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")...),
		Topic:        os.Getenv("TOPIC"),
		RequiredAcks: kafka.RequireAll,
		BatchSize:    1, // one at a time keeps file order across batches
	}
	if os.Getenv("BALANCER") == "hash" {
		w.Balancer = &kafka.Hash{}
	}
	defer w.Close()
	f, err := os.Open(os.Getenv("INPUT_FILE"))
	if err != nil {
		log.Fatal(err)
	}
	var msgs []kafka.Message
	s := bufio.NewScanner(f)
	for s.Scan() {
		var o struct {
			CustomerID string `json:"customer_id"`
		}
		if err := json.Unmarshal(s.Bytes(), &o); err != nil {
			log.Fatal(err)
		}
		msgs = append(msgs, kafka.Message{Key: []byte(o.CustomerID), Value: append([]byte(nil), s.Bytes()...)})
	}
	for _, m := range msgs {
		if err := w.WriteMessages(context.Background(), m); err != nil {
			log.Fatal(err)
		}
	}
}
