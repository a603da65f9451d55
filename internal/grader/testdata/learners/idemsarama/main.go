// The idempotent-producer exercise with sarama. By default it keeps
// sarama's default config (only what a sync producer needs on top), which
// is not idempotent: a retry after a lost answer writes its batch again.
// IDEMPOTENT=1 turns idempotence on, with the settings sarama demands for
// it: one request in flight per broker, acks from all replicas, a protocol
// version of 0.11 or later and retries.
package main

import (
	"bufio"
	"encoding/json"
	"log"
	"os"
	"strings"

	"github.com/IBM/sarama"
)

func main() {
	cfg := sarama.NewConfig()
	cfg.Producer.Return.Successes = true // a sync producer needs them
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	if os.Getenv("IDEMPOTENT") == "1" {
		cfg.Producer.Idempotent = true
		cfg.Net.MaxOpenRequests = 1
		cfg.Version = sarama.V3_0_0_0
		cfg.Producer.Retry.Max = 10
	}
	p, err := sarama.NewSyncProducer(strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ","), cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	f, err := os.Open(os.Getenv("INPUT_FILE"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var msgs []*sarama.ProducerMessage
	s := bufio.NewScanner(f)
	for s.Scan() {
		var o struct {
			CustomerID string `json:"customer_id"`
		}
		if err := json.Unmarshal(s.Bytes(), &o); err != nil {
			log.Fatal(err)
		}
		msgs = append(msgs, &sarama.ProducerMessage{Topic: os.Getenv("TOPIC"),
			Key: sarama.StringEncoder(o.CustomerID), Value: sarama.ByteEncoder(append([]byte(nil), s.Bytes()...))})
	}
	if err := s.Err(); err != nil {
		log.Fatal(err)
	}
	if err := p.SendMessages(msgs); err != nil {
		log.Fatal(err)
	}
}
