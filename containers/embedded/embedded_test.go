package embedded

import (
	"context"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/containers"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestStartServesKafkaAndStops(t *testing.T) {
	ctx := context.Background()
	var stages []containers.Stage
	cl, err := New().Start(ctx, containers.Kafka, func(e containers.Event) { stages = append(stages, e.Stage) })
	if err != nil {
		t.Fatal(err)
	}
	if stages[len(stages)-1] != containers.StageReady {
		t.Fatalf("stages %v do not end ready", stages)
	}
	c, err := kgo.NewClient(kgo.SeedBrokers(cl.Endpoints().KafkaBootstrap...))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if err := cl.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cl.Stop(ctx); err != nil {
		t.Fatalf("second stop: %v", err)
	}
	if len(cl.Endpoints().KafkaBootstrap) == 0 {
		t.Fatal("a stopped cluster forgot its address")
	}
}

func TestPulsarIsRefusedWithARemedy(t *testing.T) {
	_, err := New().Start(context.Background(), containers.Pulsar, nil)
	if err == nil {
		t.Fatal("embedded started Pulsar")
	}
	if want := "--cluster local"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name the remedy %q", err, want)
	}
}

func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		cl, err := New().Start(ctx, containers.Kafka, nil)
		if err != nil {
			b.Fatal(err)
		}
		_ = cl.Stop(ctx)
	}
}
