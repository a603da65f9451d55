// Copy orders from one topic to another as a consumer group, each batch in
// one transaction with the offsets it consumed: a read_committed reader
// sees every order exactly once, whenever the program is killed.
package main

import (
	"context"
	"log"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	input, output, group := os.Getenv("INPUT_TOPIC"), os.Getenv("OUTPUT_TOPIC"), os.Getenv("GROUP")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	session, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(brokers...),
		// The same id in every run: starting again fences the killed run
		// and aborts the transaction it left open.
		kgo.TransactionalID(group+"-copier"),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(input),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Wait for offsets another transaction is still committing.
		kgo.RequireStableFetchOffsets(),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer session.Close()
	adm := kadm.NewClient(session.Client())

	copied := 0
	for !caughtUp(ctx, adm, group, input) {
		pollCtx, stop := context.WithTimeout(ctx, time.Second)
		fetches := session.PollFetches(pollCtx)
		stop()
		if ctx.Err() != nil {
			log.Fatal(ctx.Err())
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if pollCtx.Err() == nil {
				log.Fatalf("reading %s/%d: %v", topic, p, err)
			}
		})
		var out []*kgo.Record
		fetches.EachRecord(func(r *kgo.Record) {
			out = append(out, &kgo.Record{Topic: output, Key: r.Key, Value: r.Value})
		})
		if len(out) == 0 {
			continue
		}
		if err := session.Begin(); err != nil {
			log.Fatal(err)
		}
		written := session.ProduceSync(ctx, out...).FirstErr()
		// End commits the records and the offsets they came from together;
		// after a failed write it aborts both, and the batch is read again.
		committed, err := session.End(ctx, kgo.TransactionEndTry(written == nil))
		if err != nil {
			log.Fatal(err)
		}
		if committed {
			copied += len(out)
		}
	}
	log.Printf("copied %d orders", copied)
}

// caughtUp reports whether the group has committed the end offset of
// every partition of topic.
func caughtUp(ctx context.Context, adm *kadm.Client, group, topic string) bool {
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		log.Fatal(err)
	}
	committed, err := adm.FetchOffsetsForTopics(ctx, group, topic)
	if err != nil {
		return false
	}
	done := true
	ends.Each(func(end kadm.ListedOffset) {
		c, ok := committed.Lookup(topic, end.Partition)
		if end.Offset > 0 && (!ok || c.At < end.Offset) {
			done = false
		}
	})
	return done
}
