// Package localtest gives tests the local provider's real clusters. On a
// machine that cannot run them (no JVM, no jars) it skips the test —
// except under STREAMLAB_REQUIRE_LOCAL=1 (CI), where a test that would
// have graded on a real cluster must fail loudly instead of passing by
// skipping.
package localtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/local"
)

// Required reports whether a missing local cluster fails the test run.
func Required() bool { return os.Getenv("STREAMLAB_REQUIRE_LOCAL") == "1" }

// Unavailable skips t, or fails it when Required, saying what is missing
// and how to get it.
func Unavailable(t testing.TB, k containers.Kind, err error) {
	t.Helper()
	if Required() {
		t.Fatalf("STREAMLAB_REQUIRE_LOCAL=1 but local %s cannot run: %v", k, err)
	}
	t.Skipf("local %s not available (%v): install Java 17+ and run scripts/fetch-%s", k, err, k)
}

// Provider returns the local provider once it can run clusters of kind k.
func Provider(t testing.TB, k containers.Kind) *local.Provider {
	t.Helper()
	p := local.New(local.Options{})
	if err := p.Check(k); err != nil {
		Unavailable(t, k, err)
	}
	return p
}

// Start starts a local cluster of kind k for t alone, stopped when t ends.
func Start(t testing.TB, k containers.Kind) containers.Cluster {
	t.Helper()
	p := Provider(t, k)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cl, err := p.Start(ctx, k, nil)
	if err != nil {
		t.Fatalf("starting local %s: %v", k, err)
	}
	t.Cleanup(func() { _ = cl.Stop(context.Background()) })
	return cl
}
