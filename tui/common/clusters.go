package common

import (
	"time"

	"github.com/streamlab/streamlab/containers"
)

// ClusterState is where a cluster is in its life.
type ClusterState int

const (
	ClusterIdle ClusterState = iota // not started: it starts on first need
	ClusterStarting
	ClusterReady
	ClusterFailed
)

func (s ClusterState) String() string {
	switch s {
	case ClusterStarting:
		return "starting"
	case ClusterReady:
		return "ready"
	case ClusterFailed:
		return "failed"
	}
	return "not started"
}

// ClusterStatus is what the UI knows of one kind's cluster.
type ClusterStatus struct {
	Kind     containers.Kind
	State    ClusterState
	Provider string
	Why      string
	// KeptUp marks a cluster kept up by `streamlab cluster up`, which
	// streamlab reuses instead of starting one.
	KeptUp  bool
	Started time.Time     // when the start began
	Took    time.Duration // start-up time, once ready or failed
	Events  []containers.Event
	Err     error
	// NoCluster marks a kind the session has no cluster of at all (a
	// workshop's server that runs none): its checks cannot run.
	NoCluster bool
}

// Elapsed is how long the start has taken, so far or in all.
func (s ClusterStatus) Elapsed(now time.Time) time.Duration {
	if s.State == ClusterStarting {
		return now.Sub(s.Started)
	}
	return s.Took
}

// Clusters holds the status of each kind. The root model changes it in
// Update; screens only read it.
type Clusters struct {
	byKind map[containers.Kind]*ClusterStatus
}

// Kinds is the order kinds are listed in.
var Kinds = []containers.Kind{containers.Kafka, containers.Pulsar}

// NewClusters returns an empty board.
func NewClusters() *Clusters {
	return &Clusters{byKind: map[containers.Kind]*ClusterStatus{}}
}

// Get returns the status of kind k.
func (c *Clusters) Get(k containers.Kind) ClusterStatus {
	if s := c.byKind[k]; s != nil {
		return *s
	}
	return ClusterStatus{Kind: k}
}

// Set replaces the status of its kind.
func (c *Clusters) Set(s ClusterStatus) { c.byKind[s.Kind] = &s }

// Any reports whether any cluster has been asked for.
func (c *Clusters) Any() bool { return len(c.byKind) > 0 }
