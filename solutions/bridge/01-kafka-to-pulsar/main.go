// Move every order from a Kafka topic to a Pulsar topic. Each batch is
// published and acknowledged by Pulsar before its Kafka offsets are
// committed, so a crash loses nothing; and each message carries its Kafka
// position as its sequence id, from a producer named after its Kafka
// partition, so the broker drops what a restarted bridge publishes again.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin/config"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	input, output, group := os.Getenv("INPUT_TOPIC"), os.Getenv("OUTPUT_TOPIC"), os.Getenv("GROUP")
	if err := deduplicate(output); err != nil {
		log.Fatal(err)
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
		// Offsets are committed by hand, once Pulsar has the batch.
		kgo.DisableAutoCommit(),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer kafka.Close()

	producers := map[int32]pulsar.Producer{}
	defer func() {
		for _, p := range producers {
			p.Close()
		}
	}()
	moved := 0
	for {
		// Nothing new for 5 seconds: the topic is drained.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		fetches := kafka.PollFetches(ctx)
		cancel()
		if fetches.NumRecords() == 0 && ctx.Err() != nil {
			break
		}
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				log.Fatalf("reading %s/%d: %v", t, p, err)
			}
		})
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failed error
		fetches.EachRecord(func(r *kgo.Record) {
			p, err := producerFor(client, producers, output, r.Partition)
			if err != nil {
				log.Fatal(err)
			}
			// The record's offset is its sequence id: only ever higher
			// for one partition's producer, so a copy published again
			// after a crash is one the broker has seen, and drops.
			seq := r.Offset
			wg.Add(1)
			p.SendAsync(context.Background(), &pulsar.ProducerMessage{Key: string(r.Key), Payload: r.Value, SequenceID: &seq},
				func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
					defer wg.Done()
					if err != nil {
						mu.Lock()
						failed = err
						mu.Unlock()
					}
				})
			moved++
		})
		// Pulsar has the whole batch...
		wg.Wait()
		if failed != nil {
			log.Fatal(failed)
		}
		// ...so its Kafka offsets can say it is done.
		if err := kafka.CommitUncommittedOffsets(context.Background()); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("moved %d orders", moved)
}

// producerFor is the producer for one Kafka partition's records. Its name
// is fixed, so the broker keeps the highest sequence id it stored from
// it across the bridge's restarts.
func producerFor(client pulsar.Client, producers map[int32]pulsar.Producer, topic string, partition int32) (pulsar.Producer, error) {
	if p, ok := producers[partition]; ok {
		return p, nil
	}
	var err error
	// A bridge that just crashed may still hold the name for a moment.
	for range 50 {
		var p pulsar.Producer
		p, err = client.CreateProducer(pulsar.ProducerOptions{
			Topic: topic,
			Name:  fmt.Sprintf("bridge-partition-%d", partition),
			// The broker judges a batch by its first sequence id: after a
			// restart, a batch that began with a message it already had
			// would be dropped whole, new messages and all.
			DisableBatching: true,
		})
		if err == nil {
			producers[partition] = p
			return p, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil, err
}

// deduplicate turns on message deduplication for topic, and waits until
// the broker reports it on.
func deduplicate(topic string) error {
	admin, err := pulsaradmin.NewClient(&config.Config{WebServiceURL: os.Getenv("PULSAR_ADMIN_URL")})
	if err != nil {
		return err
	}
	name, err := utils.GetTopicName(topic)
	if err != nil {
		return err
	}
	if err := admin.Topics().SetDeduplicationStatus(*name, true); err != nil {
		return err
	}
	for range 100 {
		if on, err := admin.Topics().GetDeduplicationStatus(*name); err == nil && on {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("deduplication did not turn on for " + topic)
}
