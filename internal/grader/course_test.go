package grader_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/embedded"
	"github.com/streamlab/streamlab/containers/local"
	"github.com/streamlab/streamlab/containers/local/localtest"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/checks"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
)

// repoRoot is where exercises/ and solutions/ are on disk.
const repoRoot = "../.."

func loadCourse(t testing.TB) *catalogue.Catalogue {
	t.Helper()
	cat, err := catalogue.Load(streamlab.Content)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// clusters starts clusters of a provider on demand, one per kind, and
// stops them when the test ends.
type clusters struct {
	t       testing.TB
	p       containers.Provider
	started map[containers.Kind]containers.Cluster
	shared  bool // the package's local clusters (sharedLocal)
}

func newClusters(t testing.TB, p containers.Provider) *clusters {
	c := &clusters{t: t, p: p, started: map[containers.Kind]containers.Cluster{}}
	t.Cleanup(func() {
		for _, cl := range c.started {
			_ = cl.Stop(context.Background())
		}
	})
	return c
}

func (c *clusters) get(k containers.Kind) containers.Cluster {
	c.t.Helper()
	if c.shared {
		return sharedLocal(c.t, k)
	}
	if cl, ok := c.started[k]; ok {
		return cl
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cl, err := c.p.Start(ctx, k, nil)
	if err != nil {
		c.t.Fatalf("starting %s on %s: %v", k, c.p.Name(), err)
	}
	c.started[k] = cl
	return cl
}

// shared holds the local clusters of the tests that leave a cluster as
// they found it: started on first need, stopped by TestMain. A local
// Pulsar takes half a minute to start, and CI runs on two cores; tests
// that kill, restart or break a cluster start their own.
var shared struct {
	mu      sync.Mutex
	started map[containers.Kind]containers.Cluster
}

// sharedLocal is the package's local cluster of kind k.
func sharedLocal(t testing.TB, k containers.Kind) containers.Cluster {
	t.Helper()
	p := localProvider(t, k)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if cl, ok := shared.started[k]; ok {
		return cl
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cl, err := p.Start(ctx, k, nil)
	if err != nil {
		t.Fatalf("starting %s on %s: %v", k, p.Name(), err)
	}
	if shared.started == nil {
		shared.started = map[containers.Kind]containers.Cluster{}
	}
	shared.started[k] = cl
	return cl
}

// sharedClusters hands out the package's local clusters.
func sharedClusters(t testing.TB) *clusters {
	return &clusters{t: t, p: local.New(local.Options{}), shared: true}
}

// restartable is a local Kafka of the package's for the exercises that
// restart their broker: a restart of the shared cluster would break the
// suite running beside it. It serves one such exercise at a time.
var restartable struct {
	mu sync.Mutex
	cl containers.Cluster
}

// restartableLocal locks the restartable cluster, starting it on first
// need; the caller unlocks restartable.mu when its run is over.
func restartableLocal(t testing.TB) containers.Cluster {
	t.Helper()
	p := localProvider(t, containers.Kafka)
	restartable.mu.Lock()
	if restartable.cl == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cl, err := p.Start(ctx, containers.Kafka, nil)
		if err != nil {
			restartable.mu.Unlock()
			t.Fatalf("starting kafka on %s: %v", p.Name(), err)
		}
		restartable.cl = cl
	}
	return restartable.cl
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, cl := range shared.started {
		_ = cl.Stop(context.Background())
	}
	if restartable.cl != nil {
		_ = restartable.cl.Stop(context.Background())
	}
	os.Exit(code)
}

// localProvider is the local provider, or a skip where it cannot run
// (a failure under STREAMLAB_REQUIRE_LOCAL=1: see localtest).
func localProvider(t testing.TB, k containers.Kind) *local.Provider { return localtest.Provider(t, k) }

func grade(t *testing.T, cl containers.Cluster, ex *catalogue.Exercise, dir, run string, others ...containers.Cluster) result.Result {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join(repoRoot, dir))
	if err != nil {
		t.Fatal(err)
	}
	return grader.Run(context.Background(), grader.Request{Exercise: ex, Dir: abs, Run: run, Cluster: cl, Others: others, Provider: "test"})
}

// onKinds reports whether an exercise runs on exactly the given clusters:
// each test of the course starts those, and a bridge has a test of its
// own, with both.
func onKinds(ex *catalogue.Exercise, kinds []containers.Kind) bool {
	return len(ex.Kinds()) == len(kinds) && !slices.ContainsFunc(ex.Kinds(), func(k containers.Kind) bool { return !slices.Contains(kinds, k) })
}

// gradeOn grades ex on the clusters of cs it needs.
func gradeOn(t *testing.T, cs *clusters, ex *catalogue.Exercise, dir, run string) result.Result {
	t.Helper()
	if cs.shared && ex.RestartsBroker() && len(ex.Kinds()) == 1 {
		cl := restartableLocal(t)
		defer restartable.mu.Unlock()
		return grade(t, cl, ex, dir, run)
	}
	var others []containers.Cluster
	for _, k := range ex.Kinds()[1:] {
		others = append(others, cs.get(k))
	}
	return grade(t, cs.get(ex.Cluster), ex, dir, run, others...)
}

func describe(r result.Result) string {
	var b strings.Builder
	b.WriteString(string(r.Status) + " " + r.Message + "\n")
	for _, t := range r.Tests {
		b.WriteString("  " + string(t.Status) + " " + t.Name + ": " + t.Message + "\n")
	}
	if r.Output != "" {
		b.WriteString("program output:\n" + r.Output)
	}
	return b.String()
}

// The suites below run two at a time (t.Parallel; -parallel is the CPU
// count): most of a run is spent waiting on a cluster or a paced load,
// not computing. Exercises whose checks judge time (a latency objective,
// a lag limit, when a model version or a delayed message arrives) are
// kept out of them and graded one at a time by TestTimedExercises, so
// that another suite's work cannot decide their verdicts; exercises that
// restart the broker get a cluster of their own (restartableLocal).
var timedChecks = []string{"kafka.latency", "kafka.max-lag", "kafka.model-versions", "pulsar.latency", "pulsar.max-backlog", "pulsar.delayed-delivery"}

func timed(ex *catalogue.Exercise) bool {
	return slices.ContainsFunc(ex.Checks, func(c checks.Spec) bool { return slices.Contains(timedChecks, c.Type) })
}

func untimed(ex *catalogue.Exercise) bool { return !timed(ex) }

// suites are the cluster kinds the course's exercises run on.
var suites = [][]containers.Kind{{containers.Kafka}, {containers.Pulsar}, {containers.Kafka, containers.Pulsar}}

// TestTimedExercises grades the timed exercises' solutions, starters and
// submissions on the local clusters and on embedded Kafka, before the
// parallel suites start.
func TestTimedExercises(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		for _, kinds := range suites {
			testCourse(t, sharedClusters(t), timed, kinds...)
			testSubmissions(t, sharedClusters(t), timed, kinds...)
		}
	})
	t.Run("embedded", func(t *testing.T) {
		cs := newClusters(t, embedded.New())
		testCourse(t, cs, timed, containers.Kafka)
		if !testing.Short() {
			testSubmissions(t, cs, timed, containers.Kafka)
		}
	})
}

// The catalogue self-check: every solution passes, every starter fails —
// and fails, not errors: a starter's failure is the learner's to fix.
func testCourse(t *testing.T, cs *clusters, pick func(*catalogue.Exercise) bool, kinds ...containers.Kind) {
	cat := loadCourse(t)
	for _, ex := range cat.Exercises {
		if !onKinds(ex, kinds) || !pick(ex) {
			continue
		}
		t.Run(ex.ID+"/solution", func(t *testing.T) {
			r := gradeOn(t, cs, ex, ex.SolutionDir, "")
			if r.Status != result.Pass || r.Score != r.MaxScore {
				t.Fatalf("the solution does not pass:\n%s", describe(r))
			}
		})
		t.Run(ex.ID+"/starter", func(t *testing.T) {
			r := gradeOn(t, cs, ex, ex.Dir, "")
			if r.Status != result.Fail {
				t.Fatalf("the starter should fail its checks:\n%s", describe(r))
			}
			for _, test := range r.Tests {
				if test.Status == result.Fail && test.Message == "" {
					t.Errorf("check %q fails without saying why", test.Name)
				}
			}
		})
	}
}

func TestCourseOnEmbeddedKafka(t *testing.T) {
	t.Parallel()
	testCourse(t, newClusters(t, embedded.New()), untimed, containers.Kafka)
}

func TestCourseOnLocalKafka(t *testing.T) {
	t.Parallel()
	testCourse(t, sharedClusters(t), untimed, containers.Kafka)
}

func TestCourseOnLocalPulsar(t *testing.T) {
	t.Parallel()
	testCourse(t, sharedClusters(t), untimed, containers.Pulsar)
}

// Exercises on both clusters at once: a Kafka→Pulsar bridge.
func TestCourseOnLocalKafkaAndPulsar(t *testing.T) {
	t.Parallel()
	testCourse(t, sharedClusters(t), untimed, containers.Kafka, containers.Pulsar)
}
