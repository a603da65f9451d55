// Command loadcopy is a learner program for the grader's load tests: a
// pipeline that copies every line of INPUT to OUTPUT, with its key, as it
// arrives, and exits once it has copied as many lines as the file ORDERS
// has. It speaks Kafka when KAFKA_BOOTSTRAP_SERVERS is set, else Pulsar.
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	data, err := os.ReadFile(os.Getenv("ORDERS"))
	if err != nil {
		fail(err)
	}
	want := bytes.Count(data, []byte("\n"))
	if servers := os.Getenv("KAFKA_BOOTSTRAP_SERVERS"); servers != "" {
		err = copyKafka(strings.Split(servers, ","), want)
	} else {
		err = copyPulsar(want)
	}
	if err != nil {
		fail(err)
	}
	fmt.Printf("copied %d lines\n", want)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func copyKafka(servers []string, want int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(servers...), kgo.ConsumeTopics(os.Getenv("INPUT")),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.ProducerLinger(0),
		kgo.DefaultProduceTopic(os.Getenv("OUTPUT")))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx := context.Background()
	for n := 0; n < want; {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return err
		}
		fs.EachRecord(func(r *kgo.Record) {
			// A new record, stamped now: when this program copied it.
			cl.Produce(ctx, &kgo.Record{Key: r.Key, Value: r.Value}, func(_ *kgo.Record, err error) {
				if err != nil {
					fail(err)
				}
			})
			n++
		})
	}
	return cl.Flush(ctx)
}

func copyPulsar(want int) error {
	cl, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL")})
	if err != nil {
		return err
	}
	defer cl.Close()
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: os.Getenv("INPUT"), SubscriptionName: os.Getenv("SUBSCRIPTION"),
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	if err != nil {
		return err
	}
	defer cons.Close()
	prod, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: os.Getenv("OUTPUT"), DisableBatching: true})
	if err != nil {
		return err
	}
	defer prod.Close()
	ctx := context.Background()
	for range want {
		m, err := cons.Receive(ctx)
		if err != nil {
			return err
		}
		prod.SendAsync(ctx, &pulsar.ProducerMessage{Key: m.Key(), Payload: m.Payload()}, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
			if err != nil {
				fail(err)
			}
		})
		if err := cons.Ack(m); err != nil {
			return err
		}
	}
	return prod.FlushWithCtx(ctx)
}
