// Package inspect shows a learner what a run left on the cluster: for
// Kafka, each topic's partitions with their end offsets and the keys found
// in them, and each consumer group's committed offsets and lag; for
// Pulsar, each topic's message counts and its subscriptions with their
// type, consumers and backlog. It only reads: it never produces, commits,
// joins a group, subscribes or creates a topic, so looking can never
// change what the grader sees.
package inspect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Target names what to look at: the resources of one run.
type Target struct {
	Topics        []string
	Groups        []string // Kafka consumer groups
	Subscriptions []string // Pulsar subscriptions the exercise names
}

// Empty reports whether there is nothing to look at.
func (t Target) Empty() bool {
	return len(t.Topics)+len(t.Groups)+len(t.Subscriptions) == 0
}

// Snapshot is the state of a target at one moment.
type Snapshot struct {
	Kind          containers.Kind
	Taken         time.Time
	Topics        []Topic
	Groups        []Group
	Subscriptions []Subscription // Pulsar only
}

// Topic is one topic and its partitions.
type Topic struct {
	Name       string
	Exists     bool
	Partitions []Partition // Kafka
	Err        string      // why the topic could not be read, if it could not

	// Pulsar: messages published to the topic since the broker loaded it,
	// what its subscriptions delivered (not the grader's replay reader),
	// and the producers connected now.
	MsgIn, MsgOut int64
	Producers     int
	// Partitioned is the number of partitions of a partitioned Pulsar
	// topic; 0 for a plain one.
	Partitioned int
}

// Records is how many records the topic holds now (end minus start, over
// all partitions).
func (t Topic) Records() int64 {
	var n int64
	for _, p := range t.Partitions {
		n += p.Records()
	}
	return n
}

// MaxEnd is the largest end offset among the partitions, for scaling bars.
func (t Topic) MaxEnd() int64 {
	var n int64
	for _, p := range t.Partitions {
		n = max(n, p.End)
	}
	return n
}

// Partition is one partition of a topic.
type Partition struct {
	ID    int32
	Start int64 // log start offset: older records were deleted by retention
	End   int64 // the offset the next record will get
	// Keys is the number of distinct keys among the Sampled records read
	// from this partition; Unkeyed counts sampled records without a key.
	Keys    int
	Unkeyed int64
	Sampled int64
	// KeysCapped is set when there were more distinct keys than the
	// inspector keeps count of, so Keys is a lower bound.
	KeysCapped bool
	// Examples holds a few of the keys, most frequent first.
	Examples []string
}

// Records is how many records the partition holds now.
func (p Partition) Records() int64 { return max(p.End-p.Start, 0) }

// Complete reports whether every record in the partition was sampled.
func (p Partition) Complete() bool { return p.Sampled >= p.Records() && !p.KeysCapped }

// Group is one consumer group and how far it has got.
type Group struct {
	Name    string
	Exists  bool
	State   string // Stable, Empty, PreparingRebalance, ... as the broker says
	Members int
	Lag     []Lag // by topic, then partition
	Err     string
}

// TotalLag is the sum of the known per-partition lags.
func (g Group) TotalLag() int64 {
	var n int64
	for _, l := range g.Lag {
		if l.Lag > 0 {
			n += l.Lag
		}
	}
	return n
}

// Lag is a group's position in one partition.
type Lag struct {
	Topic     string
	Partition int32
	Committed int64 // -1: nothing committed
	End       int64
	Lag       int64 // End - Committed; End when nothing is committed
}

// Subscription is a Pulsar subscription on a topic.
type Subscription struct {
	Topic string // "" when no topic has it
	Name  string
	// Exists is false for a subscription the exercise names that none of
	// its topics has (yet).
	Exists bool
	// Expected marks the exercise's own subscriptions; the others were
	// made by the program under other names, or are readers'.
	Expected  bool
	Type      string // Exclusive, Shared, Failover, Key_Shared
	Durable   bool   // false for a reader's subscription, gone when it closes
	Consumers int    // connected now
	Backlog   int64  // messages not yet acknowledged
	Unacked   int64  // delivered to a consumer, not yet acknowledged
	MsgOut    int64  // delivered since the broker loaded the topic
}

// Inspector reads the state of a target. Implementations are safe for one
// caller at a time and keep what they learnt between calls, so that
// polling costs little once a run has finished.
type Inspector interface {
	Inspect(ctx context.Context, t Target) (Snapshot, error)
	Close()
}

// ErrUnsupported is returned by New for clusters no inspector reads yet.
var ErrUnsupported = errors.New("no inspector for this kind of cluster yet")

// New returns the inspector for a running cluster. kafkaOpts are added to
// a Kafka inspector's connection (TLS, SASL for an external cluster); a
// Pulsar inspector takes its token and TLS settings from the endpoints.
func New(cl containers.Cluster, kafkaOpts ...kgo.Opt) (Inspector, error) {
	switch cl.Kind() {
	case containers.Kafka:
		return NewKafka(cl.Endpoints(), kafkaOpts...)
	case containers.Pulsar:
		return NewPulsar(cl.Endpoints())
	}
	return nil, fmt.Errorf("%s: %w", cl.Kind(), ErrUnsupported)
}
