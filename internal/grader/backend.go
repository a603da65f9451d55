package grader

import (
	"context"

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
