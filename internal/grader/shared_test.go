package grader_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/external"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
)

// Two learners grade the same exercise at the same time on one external
// cluster: their names are prefixed, neither sees the other's data, both pass.
func TestTwoLearnersShareOneExternalCluster(t *testing.T) {
	ctx := context.Background()
	own := sharedLocal(t, containers.Kafka)
	shared, err := external.New("external", own.Endpoints()).Start(ctx, containers.Kafka, nil)
	if err != nil {
		t.Fatal(err)
	}
	cat := loadCourse(t)
	for _, id := range []string{"kafka/keyed-producer", "kafka/consumer-group"} {
		ex := cat.Exercise(id)
		dir := repoRoot + "/" + ex.SolutionDir
		var wg sync.WaitGroup
		results := map[string]result.Result{}
		names := map[string]map[string]string{}
		var mu sync.Mutex
		for _, learner := range []string{"ada", "bob"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := grader.Run(ctx, grader.Request{Exercise: ex, Dir: dir, Cluster: shared, Provider: "external", Prefix: learner,
					Events: func(e grader.Event) {
						if e.Vars != nil {
							mu.Lock()
							names[learner] = e.Vars
							mu.Unlock()
						}
					}})
				mu.Lock()
				results[learner] = r
				mu.Unlock()
			}()
		}
		wg.Wait()
		for learner, r := range results {
			if r.Status != result.Pass {
				t.Errorf("%s: %s on a shared cluster:\n%s", id, learner, describe(r))
			}
			for v, name := range names[learner] {
				if !strings.HasPrefix(v, "INPUT") && !strings.HasPrefix(v, "ORDERS") && !strings.HasPrefix(name, learner+"-") {
					t.Errorf("%s: %s's %s is %q, without the learner prefix", id, learner, v, name)
				}
			}
		}
	}
}
