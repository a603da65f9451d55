// Package embedded runs a Kafka-protocol cluster inside the streamlab
// process (franz-go's kfake). It starts in milliseconds and needs nothing
// installed, which makes it the provider of last resort; it is a stand-in,
// so the course's own tests also grade every exercise on real Kafka.
package embedded

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Provider starts in-process Kafka clusters.
type Provider struct{}

// New returns the embedded provider.
func New() *Provider { return &Provider{} }

func (*Provider) Name() string { return "embedded" }

// Start starts a one-broker in-process cluster on a free loopback port.
func (p *Provider) Start(ctx context.Context, k containers.Kind, progress func(containers.Event)) (containers.Cluster, error) {
	ev := containers.NewReporter(p.Name(), k, progress).Stage
	if k != containers.Kafka {
		err := fmt.Errorf("the embedded provider runs Kafka only; for %s use --cluster local (needs Java 17+ and scripts/fetch-%s) or --cluster docker", k, k)
		ev(containers.StageFailed, err.Error(), err)
		return nil, err
	}
	ev(containers.StageStarting, "starting in-process Kafka", nil)
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		// Like a real broker's default, so a learner's producer to a topic
		// that does not exist behaves as it would there.
		kfake.AllowAutoTopicCreation(),
	)
	if err != nil {
		ev(containers.StageFailed, err.Error(), err)
		return nil, fmt.Errorf("starting embedded Kafka: %w", err)
	}
	ev(containers.StageReady, "in-process Kafka ready", nil)
	// The addresses are read once: kfake cannot answer after it is closed.
	return &Cluster{c: c, addrs: c.ListenAddrs()}, nil
}

// Cluster is a running in-process cluster.
type Cluster struct {
	c     *kfake.Cluster
	addrs []string
	once  sync.Once
}

func (*Cluster) Kind() containers.Kind { return containers.Kafka }

func (c *Cluster) Endpoints() containers.Endpoints {
	return containers.Endpoints{KafkaBootstrap: c.addrs}
}

// Stop closes the cluster's listeners; its data goes with it.
func (c *Cluster) Stop(context.Context) error {
	c.once.Do(c.c.Close)
	return nil
}

// outage is how long RestartBroker keeps the broker from serving: about
// as long as a real broker takes to come back (12 to 18 s for a local
// one), since what an exercise teaches about a restart may depend on its
// length (a program that takes 5 s of silence for the end of its input).
const outage = 12 * time.Second

// CanRestartBroker returns nil: an embedded broker always has its
// stand-in for a restart (see RestartBroker).
func (c *Cluster) CanRestartBroker() error { return nil }

// RestartBroker is the nearest honest equivalent of a broker restart that
// an in-process broker has: it cannot stop and keep its data, so for a
// few seconds it refuses, with the retriable errors a broker that is
// starting up or moving leadership gives, every request that reads or
// writes a partition (NOT_LEADER_OR_FOLLOWER) and every group or
// transaction request (COORDINATOR_NOT_AVAILABLE); then it serves again.
// Clients see a broker that stopped serving and came back, and retry. What
// it does not do is cut connections or lose anything not yet flushed:
// real Kafka (--cluster local) does both.
func (c *Cluster) RestartBroker(ctx context.Context) error {
	coordinated := []kmsg.Key{kmsg.FindCoordinator, kmsg.JoinGroup, kmsg.SyncGroup, kmsg.Heartbeat, kmsg.LeaveGroup,
		kmsg.OffsetCommit, kmsg.OffsetFetch, kmsg.InitProducerID, kmsg.AddPartitionsToTxn, kmsg.AddOffsetsToTxn,
		kmsg.EndTxn, kmsg.TxnOffsetCommit, kmsg.ConsumerGroupHeartbeat}
	h := c.c.Fault(
		kfake.Fault{Keys: coordinated, Err: kerr.CoordinatorNotAvailable, TopLevel: true, Count: -1},
		kfake.Fault{Keys: []kmsg.Key{kmsg.Produce, kmsg.Fetch, kmsg.ListOffsets}, Err: kerr.NotLeaderForPartition, Count: -1},
	)
	defer h.Remove()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(outage):
		return nil
	}
}

// Kill stops the cluster abruptly, as a crashed broker would.
func (c *Cluster) Kill() error { c.once.Do(c.c.Close); return nil }
