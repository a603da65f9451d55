package inspect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Bounds on what one Inspect call reads, so that polling a big topic stays
// cheap: keys are sampled, not counted exhaustively.
const (
	// DefaultMaxKeys is how many distinct keys are counted per partition.
	DefaultMaxKeys = 1000
	// DefaultMaxRead is how many records are read per partition per call;
	// later calls continue where earlier ones stopped.
	DefaultMaxRead = 2000
	// readBudget bounds the time one call spends reading records.
	readBudget = 2 * time.Second
	// idleRead is how long a read waits for more records before it takes
	// the rest of a partition to be control markers (transaction commits),
	// which take offsets but carry no record.
	idleRead = 400 * time.Millisecond
	examples = 3
)

// Kafka inspects Kafka topics and consumer groups. Its client never joins
// a group or commits, and does not ask brokers to create topics.
type Kafka struct {
	opts    []kgo.Opt
	cl      *kgo.Client
	adm     *kadm.Client
	MaxKeys int
	MaxRead int64
	parts   map[topicPartition]*keySample
}

type topicPartition struct {
	topic string
	part  int32
}

// keySample is what earlier calls learnt about one partition's keys.
type keySample struct {
	from    int64 // the start offset sampling began at
	next    int64 // next offset to read
	counts  map[string]int64
	unkeyed int64
	sampled int64
	capped  bool
}

// NewKafka returns an inspector for the cluster at ep. extra options (TLS,
// SASL) are added to the connection's.
func NewKafka(ep containers.Endpoints, extra ...kgo.Opt) (*Kafka, error) {
	if len(ep.KafkaBootstrap) == 0 {
		return nil, errors.New("inspect: the cluster has no Kafka bootstrap servers")
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(ep.KafkaBootstrap...),
		kgo.RequestRetries(2),
		kgo.RetryTimeout(5 * time.Second),
		kgo.DialTimeout(3 * time.Second),
	}, extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("inspect: connecting to Kafka at %s: %w", strings.Join(ep.KafkaBootstrap, ","), err)
	}
	return &Kafka{
		opts: opts, cl: cl, adm: kadm.NewClient(cl),
		MaxKeys: DefaultMaxKeys, MaxRead: DefaultMaxRead,
		parts: map[topicPartition]*keySample{},
	}, nil
}

// Close closes the inspector's connections.
func (k *Kafka) Close() { k.cl.Close() }

// Inspect reads the target's topics and groups. A topic or group that does
// not exist (yet) is reported as such, not as an error; the error is for a
// cluster that does not answer.
func (k *Kafka) Inspect(ctx context.Context, t Target) (Snapshot, error) {
	snap := Snapshot{Kind: containers.Kafka, Taken: time.Now()}
	if len(t.Topics) > 0 {
		topics, err := k.topics(ctx, t.Topics)
		if err != nil {
			return snap, err
		}
		snap.Topics = topics
	}
	if len(t.Groups) > 0 {
		groups, err := k.groups(ctx, t.Groups)
		if err != nil {
			return snap, err
		}
		snap.Groups = groups
	}
	return snap, nil
}

func (k *Kafka) topics(ctx context.Context, names []string) ([]Topic, error) {
	starts, err := k.adm.ListStartOffsets(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("inspect: listing start offsets: %w", err)
	}
	ends, err := k.adm.ListEndOffsets(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("inspect: listing end offsets: %w", err)
	}
	out := make([]Topic, 0, len(names))
	for _, name := range names {
		t := Topic{Name: name}
		for id, end := range ends[name] {
			if end.Err != nil {
				if !errors.Is(end.Err, kerr.UnknownTopicOrPartition) {
					t.Err = end.Err.Error()
				}
				continue
			}
			start := end.Offset
			if s, ok := starts.Lookup(name, id); ok && s.Err == nil {
				start = s.Offset
			}
			t.Partitions = append(t.Partitions, Partition{ID: id, Start: start, End: end.Offset})
		}
		t.Exists = len(t.Partitions) > 0
		slices.SortFunc(t.Partitions, func(a, b Partition) int { return cmp.Compare(a.ID, b.ID) })
		out = append(out, t)
	}
	k.sample(ctx, out)
	for i := range out {
		for j := range out[i].Partitions {
			p := &out[i].Partitions[j]
			if s := k.parts[topicPartition{out[i].Name, p.ID}]; s != nil {
				p.Keys, p.Unkeyed, p.Sampled, p.KeysCapped = len(s.counts), s.unkeyed, s.sampled, s.capped
				p.Examples = topKeys(s.counts, examples)
			}
		}
	}
	return out, nil
}

// sample reads the records added since the last call (bounded) and counts
// their keys. A failed read leaves the counts as they were: keys are a
// picture for the learner, not a verdict.
func (k *Kafka) sample(ctx context.Context, topics []Topic) {
	want := map[string]map[int32]kgo.Offset{}
	until := map[topicPartition]int64{}
	for _, t := range topics {
		for _, p := range t.Partitions {
			tp := topicPartition{t.Name, p.ID}
			s := k.parts[tp]
			// A partition that shrank was deleted and made again; one whose
			// start moved past what was read lost records to retention.
			if s == nil || p.End < s.next || p.Start > s.next {
				s = &keySample{from: p.Start, next: p.Start, counts: map[string]int64{}}
				k.parts[tp] = s
			}
			if s.next >= p.End {
				continue
			}
			if want[t.Name] == nil {
				want[t.Name] = map[int32]kgo.Offset{}
			}
			want[t.Name][p.ID] = kgo.NewOffset().At(s.next)
			until[tp] = min(p.End, s.next+k.MaxRead)
		}
	}
	if len(want) == 0 {
		return
	}
	// A reader of its own for exactly these partitions: no group, no
	// commits. Uncommitted reads show every record in the log, as the
	// end offsets count them.
	reader, err := kgo.NewClient(append(slices.Clone(k.opts),
		kgo.ConsumePartitions(want),
		kgo.FetchIsolationLevel(kgo.ReadUncommitted()),
	)...)
	if err != nil {
		return
	}
	defer reader.Close()
	ctx, cancel := context.WithTimeout(ctx, readBudget)
	defer cancel()
	for len(until) > 0 && ctx.Err() == nil {
		pollCtx, stop := context.WithTimeout(ctx, idleRead)
		fs := reader.PollFetches(pollCtx)
		idle := pollCtx.Err() != nil
		stop()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			tp := topicPartition{r.Topic, r.Partition}
			end, ok := until[tp]
			s := k.parts[tp]
			if !ok || s == nil || r.Offset < s.next || r.Offset >= end {
				return
			}
			n++
			s.add(r.Key, k.MaxKeys)
			s.next = r.Offset + 1
			if s.next >= end {
				delete(until, tp)
			}
		})
		if n == 0 && idle {
			if ctx.Err() == nil {
				// Nothing more arrived: what is left are control markers.
				for tp, end := range until {
					k.parts[tp].next = end
				}
			}
			return
		}
	}
}

func (s *keySample) add(key []byte, maxKeys int) {
	s.sampled++
	if key == nil {
		s.unkeyed++
		return
	}
	if _, ok := s.counts[string(key)]; !ok && len(s.counts) >= maxKeys {
		s.capped = true
		return
	}
	s.counts[string(key)]++
}

// topKeys returns up to n keys, most frequent first.
func topKeys(counts map[string]int64, n int) []string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys
}

func (k *Kafka) groups(ctx context.Context, names []string) ([]Group, error) {
	lags, err := k.adm.Lag(ctx, names...)
	if err != nil && len(lags) == 0 {
		return nil, fmt.Errorf("inspect: describing groups: %w", err)
	}
	out := make([]Group, 0, len(names))
	for _, name := range names {
		g := Group{Name: name}
		l, ok := lags[name]
		switch {
		case !ok:
			g.Err = "the broker did not describe this group"
		case l.DescribeErr != nil:
			if !errors.Is(l.DescribeErr, kerr.GroupIDNotFound) {
				g.Err = l.DescribeErr.Error()
			}
		default:
			g.State, g.Members = l.State, len(l.Members)
			g.Exists = l.State != "Dead" && l.State != ""
			if l.FetchErr != nil && !errors.Is(l.FetchErr, kerr.GroupIDNotFound) {
				g.Err = l.FetchErr.Error()
			}
			for _, m := range l.Lag.Sorted() {
				committed := m.Commit.At
				if committed < 0 {
					committed = -1
				}
				lag := m.Lag
				if committed < 0 && m.End.Err == nil {
					lag = m.End.Offset
				}
				g.Lag = append(g.Lag, Lag{Topic: m.Topic, Partition: m.Partition, Committed: committed, End: m.End.Offset, Lag: lag})
			}
			if len(g.Lag) > 0 {
				g.Exists = true
			}
		}
		out = append(out, g)
	}
	return out, nil
}
