package serve

import (
	"context"
	"testing"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/course"
)

// Every learner's checks run on the server's shared clusters, so every
// learner's session guards its programs (grader.Request.Guard): one
// learner's program cannot delete or write into another's topics.
func TestEveryLearnersChecksAreGuarded(t *testing.T) {
	var guarded bool
	ts := startServer(t, Options{Passcode: "open-sesame", Clusters: map[containers.Kind]Cluster{containers.Kafka: {}},
		Session: func(_ string, o *course.Options) { guarded = o.Guard }})
	cs, err := ts.srv.open("ada", nil, ts.srv.log)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close(context.Background())
	if !guarded {
		t.Error("a learner's session does not guard their programs")
	}
}
