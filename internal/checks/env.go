package checks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/streamlab/streamlab/internal/datagen"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Env is what checks see of one run: the names chosen for it, its input
// data and clients for the cluster. The grader fills it in.
type Env struct {
	Vars   map[string]string          // spec variable -> value for this run
	Inputs map[string][]datagen.Order // input-file variable -> its orders
	Models map[string]datagen.Model   // model-file variable -> its model (its last version)
	// ModelVersions are, by model-file variable, the versions it holds,
	// oldest first.
	ModelVersions map[string][]datagen.Model

	Kafka     *kgo.Client // nil for a Pulsar exercise
	KafkaOpts []kgo.Opt   // how Kafka was reached (brokers, TLS, SASL), for readers of their own

	Pulsar *PulsarClients // nil for a Kafka exercise

	// Requests is what the grader saw of the program's own Kafka requests,
	// through the proxy it ran behind; nil when it ran without one.
	Requests Requests
	// Loads is what the grader published while the program ran; nil when
	// the spec has no load.
	Loads Loads

	mu       sync.Mutex
	topics   map[string][]Record // read caches, cleared by Fresh
	messages map[string][]Message
	memo     map[any]any // what checks carry from one evaluation to the next
}

// Requests answers for what a program asked of Kafka.
type Requests interface {
	// FirstFetches are, by partition, the offset each partition of topic
	// was first fetched from (the lowest, over the program's instances and
	// their runs).
	FirstFetches(topic string) map[int32]int64
}

// RequestWatcher is a check that judges the program's requests: the
// grader runs the program behind a proxy when a spec has one.
type RequestWatcher interface {
	WatchesRequests() bool
}

// View returns an Env with the same run and clients and a read cache of its
// own, for a check polled alongside others.
func (e *Env) View() *Env {
	return &Env{Vars: e.Vars, Inputs: e.Inputs, Models: e.Models, ModelVersions: e.ModelVersions, Kafka: e.Kafka, KafkaOpts: e.KafkaOpts, Pulsar: e.Pulsar, Requests: e.Requests, Loads: e.Loads}
}

// Fresh drops what earlier evaluations read, so a re-evaluation sees the
// cluster as it is now.
func (e *Env) Fresh() {
	e.mu.Lock()
	e.topics, e.messages = nil, nil
	e.mu.Unlock()
}

// remember replaces what is kept under key (nil at first) with what update
// makes of it, and returns that. It lasts as long as the Env: one run, or
// one check's polls when the Env is a View.
func (e *Env) remember(key any, update func(old any) any) any {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.memo == nil {
		e.memo = map[any]any{}
	}
	e.memo[key] = update(e.memo[key])
	return e.memo[key]
}

// Var returns the run's value of a spec variable.
func (e *Env) Var(name string) string { return e.Vars[name] }

// Input returns the orders generated for an input variable.
func (e *Env) Input(name string) []datagen.Order { return e.Inputs[name] }

// Model returns the model generated for a model-file variable.
func (e *Env) Model(name string) (datagen.Model, bool) {
	m, ok := e.Models[name]
	return m, ok
}

// Record is one Kafka record as a check sees it.
type Record struct {
	Partition int32
	Offset    int64
	Key       []byte // nil when the record has no key
	Value     []byte
	Headers   map[string]string
	Timestamp time.Time // the record's CreateTime, or LogAppendTime if the topic says so
}

// idleRead is how long a topic read waits for more records before it takes
// what it has as the whole topic.
const idleRead = 2 * time.Second

// errNoTopic is a learner-visible absence, not an infrastructure fault.
var errNoTopic = errors.New("topic does not exist")

func (e *Env) admin() *kadm.Client { return kadm.NewClient(e.Kafka) }

// ReadTopic returns every record of topic from its start to the end offsets
// it has now, by partition then offset.
func (e *Env) ReadTopic(ctx context.Context, topic string) ([]Record, error) {
	e.mu.Lock()
	if recs, ok := e.topics[topic]; ok {
		e.mu.Unlock()
		return recs, nil
	}
	e.mu.Unlock()

	recs, err := readTopic(ctx, e.Kafka, e.KafkaOpts, topic)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if e.topics == nil {
		e.topics = map[string][]Record{}
	}
	e.topics[topic] = recs
	e.mu.Unlock()
	return recs, nil
}

func readTopic(ctx context.Context, cl *kgo.Client, opts []kgo.Opt, topic string) ([]Record, error) {
	adm := kadm.NewClient(cl)
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("listing offsets of %s: %w", topic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("listing offsets of %s: %w", topic, err)
	}
	if err := ends.Error(); err != nil {
		if errors.Is(err, kerr.UnknownTopicOrPartition) {
			return nil, errNoTopic
		}
		return nil, fmt.Errorf("listing offsets of %s: %w", topic, err)
	}
	if len(ends[topic]) == 0 {
		return nil, errNoTopic
	}
	want := map[int32]kgo.Offset{}
	remaining := map[int32]int64{} // partition -> end offset still to reach
	for p, end := range ends[topic] {
		start := starts[topic][p].Offset
		if end.Offset > start {
			want[p] = kgo.NewOffset().At(start)
			remaining[p] = end.Offset
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	// A client of its own, so that the grader's reads never join a group or
	// move anything the learner's program owns.
	reader, err := kgo.NewClient(append(slices.Clone(opts),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: want}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)...)
	if err != nil {
		return nil, err
	}
	defer reader.Close()

	var out []Record
	for len(remaining) > 0 {
		// Transaction markers take offsets without yielding records, so a
		// partition can stop short of its end offset: a quiet spell ends the read.
		pollCtx, cancel := context.WithTimeout(ctx, idleRead)
		fs := reader.PollFetches(pollCtx)
		cancel()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", topic, err)
		}
		n := 0
		for _, fe := range fs.Errors() {
			if errors.Is(fe.Err, context.DeadlineExceeded) {
				continue
			}
			return nil, fmt.Errorf("reading %s partition %d: %w", topic, fe.Partition, fe.Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			end, ok := remaining[r.Partition]
			if !ok || r.Offset >= end {
				return
			}
			n++
			rec := Record{Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
			if len(r.Headers) > 0 {
				rec.Headers = map[string]string{}
				for _, h := range r.Headers {
					rec.Headers[h.Key] = string(h.Value)
				}
			}
			out = append(out, rec)
			if r.Offset+1 >= end {
				delete(remaining, r.Partition)
			}
		})
		if n == 0 && pollCtx.Err() != nil {
			break
		}
	}
	sortRecords(out)
	return out, nil
}

func sortRecords(rs []Record) {
	slices.SortFunc(rs, func(a, b Record) int {
		if c := cmp.Compare(a.Partition, b.Partition); c != 0 {
			return c
		}
		return cmp.Compare(a.Offset, b.Offset)
	})
}
