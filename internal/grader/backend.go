package grader

import (
	"context"
	"errors"
	"fmt"

	"github.com/streamlab/streamlab/containers"

	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/checks"
)

// backend is what the grader needs of one kind of cluster: it names,
// creates, seeds and removes the run's resources and gives checks their
// clients. Every error it returns is the cluster's, never the learner's.
type backend interface {
	// Connect opens clients and waits until the cluster answers.
	Connect(ctx context.Context) error
	// Healthy asks the cluster one cheap question.
	Healthy(ctx context.Context) error
	// Name gives a variable its value for this run from a unique base
	// name; values holds the variables named before it (namespaces first).
	Name(v catalogue.Variable, base string, values map[string]string) string
	// Create makes a resource the spec says exists before the run.
	Create(ctx context.Context, v catalogue.Variable, value string) error
	// Seed publishes lines to a topic, keyed by key (may be empty).
	Seed(ctx context.Context, topic string, lines []string, keys []string) error
	// ProgramEnv is the connection part of the program's environment.
	ProgramEnv() []string
	// Fill gives checks their clients.
	Fill(env *checks.Env)
	// Remove deletes what the run created.
	Remove(ctx context.Context, created []catalogue.Variable, values map[string]string) error
	// RemoveByPrefix deletes every topic, group and namespace whose name
	// starts with prefix: what earlier runs of an exercise left behind.
	RemoveByPrefix(ctx context.Context, prefix string) (int, error)
	Close()
}

// newBackend picks the backend for a cluster's kind; nil if there is none.
func newBackend(c containers.Cluster) backend {
	switch c.Kind() {
	case containers.Kafka:
		return newKafkaBackend(c.Endpoints())
	case containers.Pulsar:
		return newPulsarBackend(c.Endpoints())
	}
	return nil
}

// backends is the backend of a run: one per cluster the exercise uses,
// each named resource handled by the backend of the cluster it lives on.
// An exercise on one cluster has one.
type backends struct {
	order []containers.Kind
	by    map[containers.Kind]backend
	// topics maps a topic's name for this run to its cluster, so that
	// seeds and loads, which name topics by value, reach the right one.
	topics map[string]containers.Kind
}

// newBackends opens a backend for each of the exercise's clusters, found
// among cls; the error says which cluster is missing.
func newBackends(kinds []containers.Kind, cls []containers.Cluster) (*backends, error) {
	bs := &backends{by: map[containers.Kind]backend{}, topics: map[string]containers.Kind{}}
	for _, k := range kinds {
		cl := clusterOf(cls, k)
		if cl == nil {
			return nil, fmt.Errorf("no %s cluster was started for this exercise", k)
		}
		b := newBackend(cl)
		if b == nil {
			return nil, fmt.Errorf("exercises on %s cannot be graded by this build yet", k)
		}
		bs.order = append(bs.order, k)
		bs.by[k] = b
	}
	return bs, nil
}

// of is the backend of cluster kind k (nil if the run has none).
func (bs *backends) of(k containers.Kind) backend { return bs.by[k] }

// forTopic is the backend of the cluster a topic of this run lives on.
func (bs *backends) forTopic(topic string) backend {
	if k, ok := bs.topics[topic]; ok {
		return bs.by[k]
	}
	return bs.by[bs.order[0]]
}

func (bs *backends) each(f func(backend) error) error {
	var errs []error
	for _, k := range bs.order {
		errs = append(errs, f(bs.by[k]))
	}
	return errors.Join(errs...)
}

func (bs *backends) Connect(ctx context.Context) error {
	for _, k := range bs.order {
		if err := bs.by[k].Connect(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (bs *backends) Healthy(ctx context.Context) error {
	for _, k := range bs.order {
		if err := bs.by[k].Healthy(ctx); err != nil {
			if len(bs.order) > 1 {
				return fmt.Errorf("%s: %w", k, err)
			}
			return err
		}
	}
	return nil
}

func (bs *backends) Name(v catalogue.Variable, base string, values map[string]string) string {
	name := bs.home(v).Name(v, base, values)
	if v.Kind == catalogue.KindTopic {
		bs.topics[name] = v.Cluster
	}
	return name
}

// home is the backend of the cluster v lives on.
func (bs *backends) home(v catalogue.Variable) backend {
	if b, ok := bs.by[v.Cluster]; ok {
		return b
	}
	return bs.by[bs.order[0]]
}

func (bs *backends) Create(ctx context.Context, v catalogue.Variable, value string) error {
	return bs.home(v).Create(ctx, v, value)
}

func (bs *backends) Seed(ctx context.Context, topic string, lines []string, keys []string) error {
	return bs.forTopic(topic).Seed(ctx, topic, lines, keys)
}

func (bs *backends) ProgramEnv() []string {
	var env []string
	for _, k := range bs.order {
		env = append(env, bs.by[k].ProgramEnv()...)
	}
	return env
}

func (bs *backends) Fill(env *checks.Env) {
	for _, k := range bs.order {
		bs.by[k].Fill(env)
	}
}

func (bs *backends) Remove(ctx context.Context, created []catalogue.Variable, values map[string]string) error {
	return bs.each(func(b backend) error {
		var mine []catalogue.Variable
		for _, v := range created {
			if bs.home(v) == b {
				mine = append(mine, v)
			}
		}
		return b.Remove(ctx, mine, values)
	})
}

func (bs *backends) RemoveByPrefix(ctx context.Context, prefix string) (int, error) {
	total := 0
	err := bs.each(func(b backend) error {
		n, err := b.RemoveByPrefix(ctx, prefix)
		total += n
		return err
	})
	return total, err
}

func (bs *backends) Close() { _ = bs.each(func(b backend) error { b.Close(); return nil }) }

// cluster is the run's cluster of kind k (nil if it has none).
func (g *run) cluster(k containers.Kind) containers.Cluster {
	return clusterOf(append([]containers.Cluster{g.req.Cluster}, g.req.Others...), k)
}

// clusterOf is the cluster of kind k among cls (nil if none is).
func clusterOf(cls []containers.Cluster, k containers.Kind) containers.Cluster {
	for _, c := range cls {
		if c != nil && c.Kind() == k {
			return c
		}
	}
	return nil
}
