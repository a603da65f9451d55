// Bridges for bridge/kafka-to-pulsar, one per MISTAKE:
//
//	sync         (correct) one synchronous Send per record, from a producer
//	             per Kafka partition with the offset as sequence id, and a
//	             commit after each batch
//	commit-first commits a batch's offsets, then publishes it: the crash at
//	             the commit loses the batch
//	no-dedup     publishes, waits for Pulsar, then commits, without
//	             deduplication: the crash before a commit reaches Kafka
//	             publishes that batch twice
//	one-producer deduplicates with a single producer and the offset as
//	             sequence id: offsets of three partitions do not grow
//	             together, and the broker drops whatever is not above the
//	             highest id so far
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	mistake := os.Getenv("MISTAKE")
	input, output, group := os.Getenv("INPUT_TOPIC"), os.Getenv("OUTPUT_TOPIC"), os.Getenv("GROUP")
	if mistake != "no-dedup" && mistake != "commit-first" {
		deduplicate(output)
	}
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL"), Logger: plog.DefaultNopLogger()})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	kafka, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")...),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(input),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer kafka.Close()

	producers := map[string]pulsar.Producer{}
	producer := func(r *kgo.Record) pulsar.Producer {
		name := ""
		switch mistake {
		case "sync":
			name = fmt.Sprintf("bridge-%d", r.Partition)
		case "one-producer":
			name = "bridge"
		}
		if p, ok := producers[name]; ok {
			return p
		}
		for range 50 {
			p, err := client.CreateProducer(pulsar.ProducerOptions{Topic: output, Name: name})
			if err == nil {
				producers[name] = p
				return p
			}
			time.Sleep(200 * time.Millisecond)
		}
		log.Fatal("no producer for ", name)
		return nil
	}
	publish := func(r *kgo.Record) {
		m := &pulsar.ProducerMessage{Key: string(r.Key), Payload: r.Value}
		if mistake == "sync" || mistake == "one-producer" {
			seq := r.Offset
			m.SequenceID = &seq
		}
		if _, err := producer(r).Send(context.Background(), m); err != nil {
			log.Fatal(err)
		}
	}
	commit := func() {
		if err := kafka.CommitUncommittedOffsets(context.Background()); err != nil {
			log.Fatal(err)
		}
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		fetches := kafka.PollFetches(ctx)
		cancel()
		if fetches.NumRecords() == 0 && ctx.Err() != nil {
			break
		}
		if mistake == "commit-first" {
			commit()
		}
		fetches.EachRecord(publish)
		if mistake != "commit-first" {
			commit()
		}
	}
	for _, p := range producers {
		p.Close()
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
