// Command latencycopy is a learner program for the grader's latency
// tests: a pipeline that copies every line of INPUT to OUTPUT, with its
// key, consuming as the group GROUP (Kafka) or the subscription
// SUBSCRIPTION (Pulsar), and exits once it has copied as many lines as
// the file ORDERS has. It speaks Kafka when KAFKA_BOOTSTRAP_SERVERS is
// set, else Pulsar.
//
// MODE=fast sends asynchronously and commits (acknowledges) as it goes.
// MODE=slow is correct but slow: DELAY of work per line (a duration,
// default 20ms), then one synchronous send, as a pipeline that calls a
// service per order and waits for each send would.
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/twmb/franz-go/pkg/kgo"
)

var slow = os.Getenv("MODE") == "slow"

func main() {
	data, err := os.ReadFile(os.Getenv("ORDERS"))
	if err != nil {
		fail(err)
	}
	want := bytes.Count(data, []byte("\n"))
	delay := 20 * time.Millisecond
	if d := os.Getenv("DELAY"); d != "" {
		if delay, err = time.ParseDuration(d); err != nil {
			fail(err)
		}
	}
	if !slow {
		delay = 0
	}
	if servers := os.Getenv("KAFKA_BOOTSTRAP_SERVERS"); servers != "" {
		err = copyKafka(strings.Split(servers, ","), want, delay)
	} else {
		err = copyPulsar(want, delay)
	}
	if err != nil {
		fail(err)
	}
	fmt.Printf("copied %d lines\n", want)
}

// firstErr keeps the first error an asynchronous send reported.
type firstErr struct {
	mu  sync.Mutex
	err error
}

func (f *firstErr) set(err error) {
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
}

func (f *firstErr) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func copyKafka(servers []string, want int, delay time.Duration) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(servers...),
		kgo.ConsumerGroup(os.Getenv("GROUP")), kgo.ConsumeTopics(os.Getenv("INPUT")),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.AutoCommitInterval(100*time.Millisecond),
		kgo.ProducerLinger(0), kgo.DefaultProduceTopic(os.Getenv("OUTPUT")))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx := context.Background()
	var sendErr firstErr
	for n := 0; n < want; {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return err
		}
		for _, r := range fs.Records() {
			out := &kgo.Record{Key: r.Key, Value: r.Value}
			if slow {
				time.Sleep(delay)
				if err := cl.ProduceSync(ctx, out).FirstErr(); err != nil {
					return err
				}
			} else {
				cl.Produce(ctx, out, func(_ *kgo.Record, err error) {
					if err != nil {
						sendErr.set(err)
					}
				})
			}
			n++
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	if err := sendErr.get(); err != nil {
		return err
	}
	return cl.CommitUncommittedOffsets(ctx)
}

func copyPulsar(want int, delay time.Duration) error {
	cl, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL"), Logger: plog.DefaultNopLogger()})
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
	var sendErr firstErr
	for range want {
		m, err := cons.Receive(ctx)
		if err != nil {
			return err
		}
		out := &pulsar.ProducerMessage{Key: m.Key(), Payload: m.Payload()}
		if slow {
			time.Sleep(delay)
			if _, err := prod.Send(ctx, out); err != nil {
				return err
			}
		} else {
			prod.SendAsync(ctx, out, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
				if err != nil {
					sendErr.set(err)
				}
			})
		}
		if err := cons.Ack(m); err != nil {
			return err
		}
	}
	if err := prod.FlushWithCtx(ctx); err != nil {
		return err
	}
	return sendErr.get()
}
