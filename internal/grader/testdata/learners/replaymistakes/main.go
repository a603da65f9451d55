// A replay from SINCE, with a mistake chosen by MISTAKE:
//
//   - everything: reads every partition from its start and copies it all
//   - after: reads from the start and keeps records stamped after SINCE,
//     dropping the one stamped exactly at it (> instead of >=)
//   - local-time: reads SINCE's clock time as local time, dropping its UTC
//     offset (run it with TZ=UTC: SINCE never comes in UTC)
//   - wall-clock: ignores SINCE and replays the last 24 hours by the clock
//   - filter: reads the whole topic and keeps what is stamped at or after
//     SINCE: the right output, read the slow way
//   - from-end: starts at the end offsets, as a consumer with no committed
//     offset and auto.offset.reset=latest does, and copies nothing
//   - new-timestamps: copies the right records, each stamped anew
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
	mistake := os.Getenv("MISTAKE")
	input, output := os.Getenv("INPUT_TOPIC"), os.Getenv("OUTPUT_TOPIC")
	since := parseSince(mistake, os.Getenv("SINCE"))
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")...))
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	ends, err := adm.ListEndOffsets(ctx, input)
	if err != nil {
		log.Fatal(err)
	}
	var starts kadm.ListedOffsets
	switch mistake {
	case "everything", "after", "filter":
		starts, err = adm.ListStartOffsets(ctx, input)
	case "from-end":
		starts = ends
	default:
		starts, err = adm.ListOffsetsAfterMilli(ctx, since.UnixMilli(), input)
	}
	if err != nil {
		log.Fatal(err)
	}

	from, stops := map[int32]kgo.Offset{}, map[int32]int64{}
	ends.Each(func(end kadm.ListedOffset) {
		if s, ok := starts.Lookup(input, end.Partition); ok && s.Offset >= 0 && s.Offset < end.Offset {
			from[end.Partition] = kgo.NewOffset().At(s.Offset)
			stops[end.Partition] = end.Offset
		}
	})
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{input: from})
	copied := 0
	for len(stops) > 0 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err(); err != nil {
			log.Fatal(err)
		}
		var out []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) {
			stop, ok := stops[r.Partition]
			if !ok || r.Offset >= stop {
				return
			}
			if r.Offset+1 >= stop {
				delete(stops, r.Partition)
			}
			if mistake == "after" && !r.Timestamp.After(since) {
				return
			}
			if mistake == "filter" && r.Timestamp.Before(since) {
				return
			}
			c := &kgo.Record{Topic: output, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
			if mistake == "new-timestamps" {
				c.Timestamp = time.Time{}
			}
			out = append(out, c)
		})
		if err := cl.ProduceSync(ctx, out...).FirstErr(); err != nil {
			log.Fatal(err)
		}
		copied += len(out)
	}
	log.Printf("%s: copied %d records", mistake, copied)
}

func parseSince(mistake, s string) time.Time {
	switch mistake {
	case "wall-clock":
		return time.Now().Add(-24 * time.Hour)
	case "local-time":
		// The clock time without its offset, read in this machine's zone.
		t, err := time.ParseInLocation("2006-01-02T15:04:05", s[:min(len(s), 19)], time.Local)
		if err != nil {
			log.Fatal(err)
		}
		return t
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		log.Fatal(err)
	}
	return t
}
