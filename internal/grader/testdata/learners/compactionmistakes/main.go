// The latest state per customer in a compacted topic, with a mistake chosen
// by MISTAKE:
//
//   - default-policy: the topic is created without cleanup.policy, so it
//     keeps the broker's delete;
//   - empty-value: a deletion is written as an empty value, not a null one;
//   - deleted-record: a deletion is written as {"customer_id":...,"deleted":true};
//   - keyless-tombstone: the tombstone has no key (a compacted topic refuses
//     it, and the program only logs the error);
//   - deletes-last: the tombstones are written after all the states, so a
//     customer who ordered again after its deletion ends deleted;
//   - no-reset: a deletion writes its tombstone but the program keeps the
//     customer's counts, so an order after it continues from the old state.
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

type event struct {
	CustomerID  string `json:"customer_id"`
	AmountCents int64  `json:"amount_cents"`
	Deleted     bool   `json:"deleted"`
}

type state struct {
	CustomerID string `json:"customer_id"`
	Orders     int    `json:"orders"`
	TotalCents int64  `json:"total_cents"`
}

func main() {
	mistake := os.Getenv("MISTAKE")
	topic := os.Getenv("STATE_TOPIC")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")...))
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()

	compact := "compact"
	configs := map[string]*string{"cleanup.policy": &compact}
	if mistake == "default-policy" {
		configs = nil
	}
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, 3, -1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		log.Fatal(err)
	}

	f, err := os.Open(os.Getenv("INPUT_FILE"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	customers := map[string]*state{}
	var records, tombstones []*kgo.Record
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		var ev event
		if err := json.Unmarshal(lines.Bytes(), &ev); err != nil {
			log.Fatal(err)
		}
		key := []byte(ev.CustomerID)
		if ev.Deleted {
			tomb := &kgo.Record{Topic: topic, Key: key}
			switch mistake {
			case "empty-value":
				tomb.Value = []byte{}
			case "deleted-record":
				tomb.Value = append([]byte(nil), lines.Bytes()...)
			case "keyless-tombstone":
				tomb.Key = nil
			}
			if mistake == "deletes-last" {
				tombstones = append(tombstones, tomb)
			} else {
				records = append(records, tomb)
			}
			if mistake != "no-reset" {
				delete(customers, ev.CustomerID)
			}
			continue
		}
		s := customers[ev.CustomerID]
		if s == nil {
			s = &state{CustomerID: ev.CustomerID}
			customers[ev.CustomerID] = s
		}
		s.Orders++
		s.TotalCents += ev.AmountCents
		value, _ := json.Marshal(s)
		records = append(records, &kgo.Record{Topic: topic, Key: key, Value: value})
	}
	if err := lines.Err(); err != nil {
		log.Fatal(err)
	}
	records = append(records, tombstones...)
	// One record at a time: a batch the broker refuses takes only its own
	// record with it, so every run of a mistake fails the same checks.
	for _, r := range records {
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			if r.Key == nil {
				log.Printf("a tombstone was refused: %v", err)
				continue
			}
			log.Fatal(err)
		}
	}
}
