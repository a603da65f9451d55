// Keyed producers with the mistakes learners make, chosen by MISTAKE:
// twice (the input sent twice), order-id (keyed by the wrong field),
// reversed (lines sent in reverse), partition0 (every record forced to one
// partition), reencoded (not a mistake: each line parsed and re-encoded,
// as a Python json.dumps would, which must still pass).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log"
	"os"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	mistake := os.Getenv("MISTAKE")
	opts := []kgo.Opt{kgo.SeedBrokers(strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")...), kgo.DefaultProduceTopic(os.Getenv("TOPIC"))}
	if mistake == "partition0" {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
	f, err := os.Open(os.Getenv("INPUT_FILE"))
	if err != nil {
		log.Fatal(err)
	}
	var recs []*kgo.Record
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := append([]byte(nil), s.Bytes()...)
		var o map[string]any
		if err := json.Unmarshal(line, &o); err != nil {
			log.Fatal(err)
		}
		key := o["customer_id"].(string)
		switch mistake {
		case "order-id":
			key = o["order_id"].(string)
		case "reencoded":
			line, _ = json.MarshalIndent(o, "", " ")
		}
		recs = append(recs, &kgo.Record{Key: []byte(key), Value: line})
	}
	switch mistake {
	case "twice":
		recs = append(recs, slices.Clone(recs)...)
		for i := len(recs) / 2; i < len(recs); i++ {
			r := *recs[i]
			recs[i] = &r
		}
	case "reversed":
		slices.Reverse(recs)
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		log.Fatal(err)
	}
}
