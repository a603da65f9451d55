package serve

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/course"
)

// A kind the server runs no cluster of is course.ErrNoCluster to the
// learner's UI, with the text a check shows.
func TestChooseHasNoClusterOfAKindItDoesNotRun(t *testing.T) {
	s := &Server{opts: Options{Clusters: map[containers.Kind]Cluster{containers.Kafka: {}}}}
	_, err := s.choose("external", containers.Pulsar, auto.Options{})
	if !errors.Is(err, course.ErrNoCluster) || !strings.Contains(err.Error(), "runs no pulsar cluster (only kafka)") {
		t.Fatalf("choose(pulsar) = %v", err)
	}
}
