// Keep each customer's latest state in a compacted topic: a state record
// after every order, a tombstone after a deletion.
//
// The program receives KAFKA_BOOTSTRAP_SERVERS, STATE_TOPIC and INPUT_FILE.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// event is one input line: an order, or a customer's deletion.
type event struct {
	CustomerID  string `json:"customer_id"`
	AmountCents int64  `json:"amount_cents"`
	Deleted     bool   `json:"deleted"`
}

// state is what the topic keeps per customer.
type state struct {
	CustomerID string `json:"customer_id"`
	Orders     int    `json:"orders"`
	TotalCents int64  `json:"total_cents"`
}

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	topic := os.Getenv("STATE_TOPIC")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// TODO: make the topic compacted (cleanup.policy=compact): the broker's
	// default, delete, would drop old records by age instead.
	resp, err := kadm.NewClient(client).CreateTopic(ctx, 3, -1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		log.Fatalf("creating %s: %v", topic, err)
	}

	f, err := os.Open(os.Getenv("INPUT_FILE"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	customers := map[string]*state{}
	var records []*kgo.Record
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		var ev event
		if err := json.Unmarshal(lines.Bytes(), &ev); err != nil {
			log.Fatalf("bad line %q: %v", lines.Text(), err)
		}
		if ev.Deleted {
			// TODO: delete the customer: here and in the topic.
			continue
		}
		s := customers[ev.CustomerID]
		if s == nil {
			s = &state{CustomerID: ev.CustomerID}
			customers[ev.CustomerID] = s
		}
		s.Orders++
		s.TotalCents += ev.AmountCents
		value, err := json.Marshal(s)
		if err != nil {
			log.Fatal(err)
		}
		records = append(records, &kgo.Record{Topic: topic, Key: []byte(ev.CustomerID), Value: value})
	}
	if err := lines.Err(); err != nil {
		log.Fatal(err)
	}
	if err := client.ProduceSync(ctx, records...).FirstErr(); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %d records", len(records))
}
