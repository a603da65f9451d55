package up

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/embedded"
)

func TestServeRecordsAndRemoves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cluster.json")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, embedded.New(), []containers.Kind{containers.Kafka}, path, nil) }()
	var st *State
	for i := 0; i < 100 && st == nil; i++ {
		time.Sleep(20 * time.Millisecond)
		st, _, _ = Read(path)
	}
	if st == nil || st.PID != os.Getpid() || len(st.Clusters[containers.Kafka].KafkaBootstrap) == 0 {
		t.Fatalf("state %+v", st)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("state file left behind: %v", err)
	}
}

func TestStaleStateIsRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cluster.json")
	// A pid that cannot be running: beyond the kernel's maximum.
	os.WriteFile(path, []byte(`{"pid": 2147483646, "provider": "local"}`), 0o644)
	st, stale, err := Read(path)
	if err != nil || st != nil || !stale {
		t.Fatalf("st %v stale %v err %v", st, stale, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("stale state not removed")
	}
	if was, err := Stop(path, time.Second); was || err != nil {
		t.Fatalf("stop with nothing up: %v %v", was, err)
	}
}
