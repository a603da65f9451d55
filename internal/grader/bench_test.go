package grader_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/embedded"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
)

// The grader's own cost per run and per check: naming, input files, topic
// creation and seeding, the checks' reads, and cleanup — everything but
// building and running the learner's program, which is prebuilt here.
func benchOverhead(b *testing.B, p containers.Provider, id string) {
	ex := loadCourse(b).Exercise(id)
	bin := filepath.Join(b.TempDir(), "solution")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join(repoRoot, ex.SolutionDir)
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the solution: %v\n%s", err, out)
	}
	cl := newClusters(b, p).get(ex.Cluster)
	dir := b.TempDir()
	var overhead, checks time.Duration
	nChecks := 0
	b.ResetTimer()
	for range b.N {
		r := grader.Run(context.Background(), grader.Request{Exercise: ex, Dir: dir, Run: bin, Cluster: cl})
		if r.Status != result.Pass {
			b.Fatalf("the solution did not pass:\n%s", describe(r))
		}
		overhead += r.Timings.Overhead()
		checks += r.Timings.Checks
		nChecks += len(ex.Checks)
	}
	b.ReportMetric(float64(overhead.Milliseconds())/float64(b.N), "overhead-ms/run")
	b.ReportMetric(float64(checks.Microseconds())/1000/float64(nChecks), "ms/check")
}

func BenchmarkOverheadEmbedded(b *testing.B) {
	for _, id := range []string{"kafka/keyed-producer", "kafka/consumer-group"} {
		b.Run(id, func(b *testing.B) { benchOverhead(b, embedded.New(), id) })
	}
}

func BenchmarkOverheadLocal(b *testing.B) {
	p := localProvider(b, containers.Kafka)
	for _, id := range []string{"kafka/keyed-producer", "kafka/consumer-group"} {
		b.Run(id, func(b *testing.B) { benchOverhead(b, p, id) })
	}
}

func BenchmarkOverheadLocalPulsar(b *testing.B) {
	p := localProvider(b, containers.Pulsar)
	for _, id := range []string{"pulsar/produce-consume", "pulsar/shared-scale-out"} {
		b.Run(id, func(b *testing.B) { benchOverhead(b, p, id) })
	}
}

// A check on a cluster kept up (`cluster up`) against one that starts and
// stops its own real Kafka, as a plain `check --cluster local` does.
func BenchmarkCheckReusedVsOwnCluster(b *testing.B) {
	p := localProvider(b, containers.Kafka)
	ex := loadCourse(b).Exercise("kafka/create-topic")
	bin := filepath.Join(b.TempDir(), "solution")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join(repoRoot, ex.SolutionDir)
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the solution: %v\n%s", err, out)
	}
	check := func(b *testing.B, cl containers.Cluster) {
		r := grader.Run(context.Background(), grader.Request{Exercise: ex, Dir: b.TempDir(), Run: bin, Cluster: cl})
		if r.Status != result.Pass {
			b.Fatalf("the solution did not pass:\n%s", describe(r))
		}
	}
	b.Run("reused", func(b *testing.B) {
		cl := newClusters(b, p).get(containers.Kafka)
		b.ResetTimer()
		for range b.N {
			check(b, cl)
		}
	})
	b.Run("own", func(b *testing.B) {
		ctx := context.Background()
		for range b.N {
			cl, err := p.Start(ctx, containers.Kafka, nil)
			if err != nil {
				b.Fatal(err)
			}
			check(b, cl)
			if err := cl.Stop(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
