package checks

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kadm"
)

func init() {
	register("kafka.transactional", "kafka", "the topic was written in transactions: its offsets hold transaction markers",
		func(p txnParams) (Check, error) {
			if p.Topic == "" {
				return nil, errors.New("needs topic")
			}
			return p, nil
		})
}

// ---- kafka.transactional
//
// A transaction ends with a marker record in every partition it wrote
// to: the marker takes an offset, and no reader ever receives it. So a
// topic written in transactions has more offsets than a read_committed
// reader gets records (aborted records widen the gap further); a topic
// written without them has none to spare. This is what the cluster shows
// of transactions without reading its internal topics.

type txnParams struct {
	Topic string `yaml:"topic"`
}

func (p txnParams) Vars() []string { return []string{p.Topic} }
func (p txnParams) Needs() string  { return "kafka" }

func (p txnParams) Evaluate(ctx context.Context, env *Env) Outcome {
	recs, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	topic := env.Var(p.Topic)
	adm := kadm.NewClient(env.Kafka)
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return errored(err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return errored(err)
	}
	var offsets int64
	ends.Each(func(e kadm.ListedOffset) {
		if s, ok := starts.Lookup(topic, e.Partition); ok {
			offsets += e.Offset - s.Offset
		}
	})
	return txnVerdict(topic, int64(len(recs)), offsets)
}

// txnVerdict judges a topic by its committed records and its offsets.
func txnVerdict(topic string, records, offsets int64) Outcome {
	switch spare := offsets - records; {
	case records == 0:
		return failed("%s holds no committed records: nothing was written, or every transaction was aborted or left open.", topic)
	case spare <= 0:
		return failed("%s holds %d records and no transaction markers: they were written outside transactions. A transactional producer (kgo.TransactionalID, BeginTransaction … EndTransaction) leaves a marker at each commit.", topic, records)
	default:
		return passed("%s holds %d committed records and %d offsets of transaction markers or aborted writes: it was written in transactions.", topic, records, spare)
	}
}
