// A consumer-group copier from INPUT_TOPIC to OUTPUT_TOPIC, written the
// ways learners write it, chosen by MISTAKE:
//
//   - commit-first: commits each batch's offsets, then writes the batch.
//   - latest: starts from the end of the topic when the group has no
//     offsets (auto.offset.reset=latest), and gives up after 5 s idle.
//   - plain: writes, then commits — correct at-least-once, and the
//     mistake of the exactly-once exercise.
//   - offsets-after-txn: writes each batch in a transaction, then commits
//     the offsets on their own after the transaction.
//   - txn: transactions with the offsets inside them, and the same
//     transactional id in every run — correct, for both exercises.
//   - fresh-txn-id: the same, but a new transactional id in every run.
//
// BATCH=n polls at most n records at a time and DELAY=d sleeps d after
// each batch, for a copier slow enough to be rebalanced mid-run.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// client is the plain copier's client, for BATCH.
var client *kgo.Client

var (
	input   = os.Getenv("INPUT_TOPIC")
	output  = os.Getenv("OUTPUT_TOPIC")
	group   = os.Getenv("GROUP")
	brokers = strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	mistake = os.Getenv("MISTAKE")
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if mistake == "txn" || mistake == "fresh-txn-id" {
		session(ctx, mistake == "fresh-txn-id")
		return
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(input),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
	}
	switch mistake {
	case "latest":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	case "offsets-after-txn":
		opts = append(opts, kgo.TransactionalID(group+"-copier"), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	case "commit-first", "plain":
	default:
		log.Fatalf("unknown MISTAKE %q", mistake)
	}
	var err error
	client, err = kgo.NewClient(opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	adm := kadm.NewClient(client)
	idle := time.Now()
	for !caughtUp(ctx, adm) {
		if mistake == "latest" && time.Since(idle) > 5*time.Second {
			log.Fatal("nothing to read")
		}
		out := poll(ctx, client.PollFetches)
		if len(out) == 0 {
			continue
		}
		idle = time.Now()
		time.Sleep(delay)
		switch mistake {
		case "commit-first":
			must(client.CommitUncommittedOffsets(ctx))
			must(client.ProduceSync(ctx, out...).FirstErr())
		case "offsets-after-txn":
			must(client.BeginTransaction())
			must(client.ProduceSync(ctx, out...).FirstErr())
			must(client.EndTransaction(ctx, kgo.TryCommit))
			must(client.CommitUncommittedOffsets(ctx))
		default:
			must(client.ProduceSync(ctx, out...).FirstErr())
			must(client.CommitUncommittedOffsets(ctx))
		}
	}
}

// session is the transactional copier. With a fresh transactional id in
// every run, the transaction a killed run left open is not aborted until
// it times out.
func session(ctx context.Context, fresh bool) {
	id := group + "-copier"
	if fresh {
		id = fmt.Sprintf("%s-%d", group, os.Getpid())
	}
	s, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(brokers...),
		kgo.TransactionalID(id),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(input),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	adm := kadm.NewClient(s.Client())
	for !caughtUp(ctx, adm) {
		out := poll(ctx, s.PollFetches)
		if len(out) == 0 {
			continue
		}
		must(s.Begin())
		err := s.ProduceSync(ctx, out...).FirstErr()
		_, err2 := s.End(ctx, kgo.TransactionEndTry(err == nil))
		must(err2)
	}
}

var delay, _ = time.ParseDuration(os.Getenv("DELAY"))

func poll(ctx context.Context, pollFetches func(context.Context) kgo.Fetches) []*kgo.Record {
	pollCtx, stop := context.WithTimeout(ctx, time.Second)
	defer stop()
	var fetches kgo.Fetches
	if n, _ := strconv.Atoi(os.Getenv("BATCH")); n > 0 && client != nil {
		fetches = client.PollRecords(pollCtx, n)
	} else {
		fetches = pollFetches(pollCtx)
	}
	if ctx.Err() != nil {
		log.Fatal(ctx.Err())
	}
	var out []*kgo.Record
	fetches.EachRecord(func(r *kgo.Record) {
		out = append(out, &kgo.Record{Topic: output, Key: r.Key, Value: r.Value})
	})
	return out
}

func caughtUp(ctx context.Context, adm *kadm.Client) bool {
	ends, err := adm.ListEndOffsets(ctx, input)
	must(err)
	committed, err := adm.FetchOffsetsForTopics(ctx, group, input)
	if err != nil {
		return false
	}
	done := true
	ends.Each(func(end kadm.ListedOffset) {
		c, ok := committed.Lookup(input, end.Partition)
		if end.Offset > 0 && (!ok || c.At < end.Offset) {
			done = false
		}
	})
	return done
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
