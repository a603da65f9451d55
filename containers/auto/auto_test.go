package auto

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/local"
)

// With no Docker engine and no jars, auto falls back to embedded for Kafka
// and says why; Pulsar has no fallback and the error names what to do.
func TestAutoFallsBackAndExplains(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))
	opts := Options{Local: local.Options{KafkaHome: t.TempDir()}}
	c, err := Choose("auto", containers.Kafka, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.Provider.Name() != "embedded" || !strings.Contains(c.Why, "Docker") {
		t.Fatalf("chose %s: %s", c.Provider.Name(), c.Why)
	}
	t.Setenv("STREAMLAB_PULSAR_HOME", t.TempDir())
	if _, err := Choose("auto", containers.Pulsar, opts); err == nil || !strings.Contains(err.Error(), "docker:") || !strings.Contains(err.Error(), "local:") {
		t.Fatalf("error %v does not say why each provider cannot run", err)
	}
	if _, err := Choose("docker", containers.Kafka, opts); err == nil || !strings.Contains(err.Error(), "--cluster local") {
		t.Fatalf("docker without an engine: %v", err)
	}
	if _, err := Choose("kubernetes", containers.Kafka, opts); err == nil || !strings.Contains(err.Error(), "auto, docker") {
		t.Fatalf("unknown provider: %v", err)
	}
}
