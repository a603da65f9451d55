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
	"github.com/streamlab/streamlab/internal/catalogue"
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

func TestMain(m *testing.M) {
	code := m.Run()
	for _, cl := range shared.started {
		_ = cl.Stop(context.Background())
	}
	os.Exit(code)
}

// localProvider returns the local provider, or skips when this machine
// cannot run it — unless STREAMLAB_REQUIRE_LOCAL=1 (CI), where a missing
// JVM or jar must fail loudly rather than pass by skipping.
func localProvider(t testing.TB, k containers.Kind) *local.Provider {
	t.Helper()
	p := local.New(local.Options{})
	if err := p.Check(k); err != nil {
		if os.Getenv("STREAMLAB_REQUIRE_LOCAL") == "1" {
			t.Fatalf("STREAMLAB_REQUIRE_LOCAL=1 but local %s cannot run: %v", k, err)
		}
		t.Skipf("local %s not available (%v); run scripts/fetch-%s", k, err, k)
	}
	return p
}

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

// The catalogue self-check: every solution passes, every starter fails —
// and fails, not errors: a starter's failure is the learner's to fix.
func testCourse(t *testing.T, cs *clusters, kinds ...containers.Kind) {
	cat := loadCourse(t)
	for _, ex := range cat.Exercises {
		if !onKinds(ex, kinds) {
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
	testCourse(t, newClusters(t, embedded.New()), containers.Kafka)
}

func TestCourseOnLocalKafka(t *testing.T) {
	testCourse(t, sharedClusters(t), containers.Kafka)
}

func TestCourseOnLocalPulsar(t *testing.T) {
	testCourse(t, sharedClusters(t), containers.Pulsar)
}

// Exercises on both clusters at once: a Kafka→Pulsar bridge.
func TestCourseOnLocalKafkaAndPulsar(t *testing.T) {
	testCourse(t, sharedClusters(t), containers.Kafka, containers.Pulsar)
}
