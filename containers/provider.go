// Package containers holds the cluster providers: the ways streamlab gets a
// live Kafka or Pulsar to grade against. Every provider sits behind Provider,
// reports its start-up through Events, and owns everything it started so that
// Stop (or a cancelled context) leaves nothing running.
package containers

import (
	"context"
	"time"
)

// Kind names a streaming system an exercise needs.
type Kind string

const (
	Kafka  Kind = "kafka"
	Pulsar Kind = "pulsar"
)

// Endpoints is how programs and checks reach a cluster. Only the fields of the
// cluster's Kind are set.
type Endpoints struct {
	KafkaBootstrap   []string // host:port
	PulsarServiceURL string   // pulsar://host:port
	PulsarAdminURL   string   // http://host:port
}

// Stage is a step of a provider's start-up, shown to the learner as progress.
type Stage string

const (
	StagePreparing Stage = "preparing" // finding jars, images, free ports
	StagePulling   Stage = "pulling"   // docker image pull
	StageStarting  Stage = "starting"  // process or container launched
	StageWaiting   Stage = "waiting"   // waiting for the cluster to answer
	StageReady     Stage = "ready"
	StageFailed    Stage = "failed"
	StageStopped   Stage = "stopped"
)

// Event is one progress report from a provider.
type Event struct {
	Provider string
	Kind     Kind
	Stage    Stage
	Message  string
	Elapsed  time.Duration // since Start was called
	Err      error         // set with StageFailed
}

// Cluster is a running cluster of one Kind.
type Cluster interface {
	Kind() Kind
	Endpoints() Endpoints
	// Stop shuts the cluster down and removes what the provider created for
	// it. It is safe to call more than once.
	Stop(ctx context.Context) error
}

// Provider starts clusters.
type Provider interface {
	Name() string
	// Start brings up a cluster of kind k and returns once it answers.
	// progress may be nil. On error nothing the call started is left running.
	Start(ctx context.Context, k Kind, progress func(Event)) (Cluster, error)
}

// Report calls progress if it is set; providers use it so that a nil
// callback needs no special case at each call site.
func Report(progress func(Event), e Event) {
	if progress != nil {
		progress(e)
	}
}
