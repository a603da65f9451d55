package grader

import (
	"testing"

	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/proxy"
)

// What a guarded run's program may change: what the run gave it, names
// made from those, and names in its learner's space for the exercise;
// nobody else's, and not Kafka's own topics.
func TestWhatAGuardedRunOwns(t *testing.T) {
	ex := &catalogue.Exercise{Slug: "retention", Spec: catalogue.Spec{Variables: []catalogue.Variable{
		{Name: "TOPIC", Kind: catalogue.KindTopic}, {Name: "GROUP", Kind: catalogue.KindGroup},
		{Name: "NAMESPACE", Kind: catalogue.KindNamespace}, {Name: "INPUT_FILE", Kind: catalogue.KindFile},
	}}}
	g := &run{req: Request{Exercise: ex, Prefix: "ada"}, values: map[string]string{
		"TOPIC":      "ada-sl-retention-topic-1a2b3c4d",
		"GROUP":      "ada-sl-retention-group-1a2b3c4d",
		"NAMESPACE":  "public/ada-sl-retention-namespace-1a2b3c4d",
		"INPUT_FILE": "/tmp/streamlab-run-1/input_file.jsonl",
	}}
	for _, tc := range []struct {
		typ  proxy.ResourceType
		name string
		own  bool
	}{
		{proxy.Topic, "ada-sl-retention-topic-1a2b3c4d", true},
		{proxy.Topic, "ada-sl-retention-scratch", true}, // in its space
		{proxy.Group, "ada-sl-retention-group-1a2b3c4d-0", true},
		{proxy.TransactionalID, "ada-sl-retention-group-1a2b3c4d-copier", true},
		{proxy.TransactionalID, "orders-copier", true}, // chosen by the program
		{proxy.TransactionalID, "bob-sl-retention-group-5e6f7a8b-copier", false},
		{proxy.Topic, "bob-sl-retention-topic-5e6f7a8b", false},
		{proxy.Topic, "ada-2-sl-retention-topic-5e6f7a8b", false},    // a learner whose name starts like ada's
		{proxy.Topic, "ada-sl-keyed-producer-topic-5e6f7a8b", false}, // ada's run of another exercise
		{proxy.Topic, "orders", false},
		{proxy.Topic, "__consumer_offsets", false},
		{proxy.Topic, "/tmp/streamlab-run-1/input_file.jsonl", false}, // a file is no topic
		{proxy.Group, "bob-sl-retention-group-5e6f7a8b", false},
		{proxy.Namespace, "public/ada-sl-retention-namespace-1a2b3c4d", true},
		{proxy.Namespace, "public/default", false},
		{proxy.Namespace, "public/bob-sl-retention-namespace-5e6f7a8b", false},
		{proxy.Namespace, "other/ada-sl-retention-x", false},
		{proxy.Topic, "persistent://public/ada-sl-retention-namespace-1a2b3c4d/anything", true},
		{proxy.Topic, "persistent://public/default/ada-sl-retention-topic-9-partition-0", true},
		{proxy.Topic, "persistent://public/default/bob-sl-retention-topic-5e6f7a8b", false},
		{proxy.Topic, "persistent://public/bob-sl-retention-namespace-5e6f7a8b/ada-sl-retention-x", false},
		{proxy.Tenant, "public", false},
	} {
		if got := g.owns(proxy.Resource{Type: tc.typ, Name: tc.name}); got != tc.own {
			t.Errorf("%s %s: owned %v, want %v", tc.typ, tc.name, got, tc.own)
		}
	}
}
