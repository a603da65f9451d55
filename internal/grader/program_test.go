package grader_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/embedded"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
)

// A program is built to one stable path per folder, so an unchanged one
// is not linked again; an edit must still be built, every time, and two
// checks of one folder at once must each grade what they built.
func TestBuiltProgramsFollowEveryEdit(t *testing.T) {
	ex := loadCourse(t).Exercise("kafka/keyed-producer")
	cl := newClusters(t, embedded.New()).get(containers.Kafka)
	cache := t.TempDir()
	// The folder sits inside the repository's module, as a workspace's
	// exercise folder sits inside the workspace's.
	dir, err := os.MkdirTemp(filepath.Join(repoRoot, "internal", "grader", "testdata"), "program-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	write := func(from string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(repoRoot, from, "main.go"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := func() result.Status {
		return grader.Run(context.Background(), grader.Request{Exercise: ex, Dir: dir, Cluster: cl, ProgramCache: cache}).Status
	}
	for i, step := range []struct {
		from string
		want result.Status
	}{
		{ex.Dir, result.Fail}, {ex.SolutionDir, result.Pass}, {ex.SolutionDir, result.Pass}, {ex.Dir, result.Fail},
	} {
		write(step.from)
		if got := check(); got != step.want {
			t.Fatalf("step %d (%s): %s, want %s", i, step.from, got, step.want)
		}
	}
	builds, _ := os.ReadDir(cache)
	if len(builds) != 1 {
		t.Errorf("one folder was built into %d places", len(builds))
	}

	write(ex.SolutionDir)
	var wg sync.WaitGroup
	got := make([]result.Status, 3)
	for i := range got {
		wg.Go(func() { got[i] = check() })
	}
	wg.Wait()
	for i, s := range got {
		if s != result.Pass {
			t.Errorf("concurrent check %d of one folder: %s", i, s)
		}
	}
}
