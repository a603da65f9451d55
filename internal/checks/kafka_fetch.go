package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

func init() {
	register("kafka.fetched-from-time", "kafka", "the program began reading each partition of a topic at the offset for a time variable, not before it (seen in its fetch requests)",
		func(p fetchedParams) (Check, error) {
			if p.Topic == "" || p.Since == "" {
				return nil, errors.New("needs topic and since")
			}
			return p, nil
		})
}

// ---- kafka.fetched-from-time
//
// Two programs can write the same output: one that asks Kafka for the
// offsets of a time and reads from there, and one that reads the whole
// topic and drops what is too old. Only the program's own requests tell
// them apart, so this check reads what the grader's proxy saw: the offset
// each partition was first fetched from.

type fetchedParams struct {
	Topic string `yaml:"topic"`
	Since string `yaml:"since"` // a time variable
}

func (p fetchedParams) Vars() []string        { return []string{p.Topic, p.Since} }
func (p fetchedParams) Needs() string         { return "kafka" }
func (p fetchedParams) WatchesRequests() bool { return true }

func (p fetchedParams) Evaluate(ctx context.Context, env *Env) Outcome {
	if env.Requests == nil {
		return errored(errors.New("the grader did not see the program's requests (it ran without the proxy this check reads)"))
	}
	since, o := env.instant(p.Since)
	if o != nil {
		return *o
	}
	topic := env.Var(p.Topic)
	listed, err := kadm.NewClient(env.Kafka).ListOffsetsAfterMilli(ctx, since.UnixMilli(), topic)
	if err != nil {
		return errored(err)
	}
	want := map[int32]int64{}
	listed.Each(func(o kadm.ListedOffset) { want[o.Partition] = o.Offset })
	return judgeFetched(env.Requests.FirstFetches(topic), want, p.Topic, p.Since)
}

// judgeFetched compares where each partition was first fetched from with
// the offsets for the time.
func judgeFetched(first, want map[int32]int64, topic, since string) Outcome {
	if len(first) == 0 {
		return failed("Your program never fetched from %s.", topic)
	}
	parts := make([]int32, 0, len(first))
	for p := range first {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	var early, at []string
	var read int64
	for _, p := range parts {
		at = append(at, fmt.Sprintf("%d at %d", p, want[p]))
		if first[p] < want[p] {
			early = append(early, fmt.Sprintf("partition %d at offset %d", p, first[p]))
			read += want[p] - first[p]
		}
	}
	if len(early) > 0 {
		return failed("Your program began reading %s, where the offsets for %s are %s: it fetched %d records from before %s only to drop them. Ask Kafka for the offsets of the time (ListOffsets with %s in milliseconds; kadm's ListOffsetsAfterMilli) and start each partition there.",
			strings.Join(early, ", "), since, strings.Join(at, ", "), read, since, since)
	}
	return passed("Each partition was first fetched from the offset for %s or later (%s).", since, strings.Join(at, ", "))
}
