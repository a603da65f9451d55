// Command slowproducer is a learner program for the grader's fault tests:
// it writes a start marker to TOPIC, then TOTAL records one by one, DELAY
// apart, each acknowledged before the next, and exits. Every record names
// the instance (INSTANCE) and this start (the process id), so a test can
// tell the runs apart in the topic. With GROUP set, it also commits, for
// that group, offset n on TOPIC's partition 0 after its nth record, as a
// consumer that has handled n records would. IDEMPOTENCE=off turns the
// producer's idempotence off, as many clients have it by default; ACKS=0
// asks for no acknowledgements at all.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	total, _ := strconv.Atoi(os.Getenv("TOTAL"))
	delay, _ := time.ParseDuration(os.Getenv("DELAY"))
	topic, instance := os.Getenv("TOPIC"), os.Getenv("INSTANCE")
	opts := []kgo.Opt{
		kgo.SeedBrokers(strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")...),
		// After a lost connection the client refreshes its metadata before
		// retrying, no sooner than this after the last refresh (5 s by
		// default): kept short so that lost-acknowledgement tests are quick.
		kgo.MetadataMinAge(200 * time.Millisecond),
		// A broker restart takes seconds; by default the client fails a
		// record once its topic's metadata could not be loaded 4 times.
		kgo.UnknownTopicRetries(-1),
	}
	if os.Getenv("IDEMPOTENCE") == "off" || os.Getenv("ACKS") == "0" {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	if os.Getenv("ACKS") == "0" {
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer cl.Close()
	ctx := context.Background()
	// A broker that is restarting refuses connections for a while, and the
	// client may give a request up: it is tried again, for a minute.
	retried := func(what string, do func() error) {
		for tries := 0; ; tries++ {
			err := do()
			if err == nil {
				return
			}
			fmt.Fprintf(os.Stderr, "%s, try %d: %v\n", what, tries+1, err)
			if tries == 300 {
				os.Exit(1)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	send := func(key string, n int) {
		v := fmt.Sprintf("%s/%d/%s/%d", instance, os.Getpid(), os.Getenv("INSTANCES"), n)
		// Sending a record again may write it twice, which the tests allow.
		retried(fmt.Sprintf("record %d", n), func() error {
			return cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(key), Value: []byte(v)}).FirstErr()
		})
	}
	send("start", 0)
	fmt.Printf("instance %s started as %d\n", instance, os.Getpid())
	for n := 1; n <= total; n++ {
		time.Sleep(delay)
		send("record", n)
		if group := os.Getenv("GROUP"); group != "" {
			var o kadm.Offsets
			o.Add(kadm.Offset{Topic: topic, Partition: 0, At: int64(n), LeaderEpoch: -1})
			retried(fmt.Sprintf("commit %d", n), func() error { return kadm.NewClient(cl).CommitAllOffsets(ctx, group, o) })
		}
	}
	fmt.Printf("instance %s wrote %d records\n", instance, total)
}
