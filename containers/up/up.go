// Package up keeps a cluster running between commands: `streamlab cluster
// up` starts a small background streamlab process that owns the clusters
// and records their endpoints in a state file; later checks and TUI
// sessions reuse them; `cluster down` stops exactly that process.
package up

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/streamlab/streamlab/containers"
)

// State is what the state file records.
type State struct {
	PID      int                                      `json:"pid"`
	Provider string                                   `json:"provider"`
	Started  time.Time                                `json:"started"`
	Clusters map[containers.Kind]containers.Endpoints `json:"clusters"`
}

// DefaultPath is cluster.json beside the progress file.
func DefaultPath(stateDir string) string { return filepath.Join(stateDir, "cluster.json") }

// Read returns the state of a running cluster, or nil when none is up. A
// state left by a process that is gone is stale: it is removed, and stale
// reports so.
func Read(path string) (st *State, stale bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil || s.PID <= 0 {
		os.Remove(path)
		return nil, true, nil
	}
	if !Alive(s.PID) {
		os.Remove(path)
		return nil, true, nil
	}
	return &s, false, nil
}

// Alive reports whether a process exists.
func Alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func write(path string, s State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Serve starts a cluster of each kind with p, records them at path, and
// keeps them until ctx ends; then it stops them and removes the record.
func Serve(ctx context.Context, p containers.Provider, kinds []containers.Kind, path string, progress func(containers.Event)) error {
	var started []containers.Cluster
	stopAll := func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, c := range started {
			_ = c.Stop(stopCtx)
		}
	}
	defer stopAll()
	st := State{PID: os.Getpid(), Provider: p.Name(), Started: time.Now().UTC(), Clusters: map[containers.Kind]containers.Endpoints{}}
	for _, k := range kinds {
		c, err := p.Start(ctx, k, progress)
		if err != nil {
			return fmt.Errorf("starting %s: %w", k, err)
		}
		started = append(started, c)
		st.Clusters[k] = c.Endpoints()
	}
	if err := write(path, st); err != nil {
		return fmt.Errorf("recording the cluster in %s: %w", path, err)
	}
	defer func() {
		// Remove the record only if it is still ours.
		if cur, _, _ := Read(path); cur != nil && cur.PID == os.Getpid() {
			os.Remove(path)
		}
	}()
	<-ctx.Done()
	return nil
}

// Stop ends the process recorded at path and waits for it to be gone; it
// returns false when nothing was up.
func Stop(path string, wait time.Duration) (bool, error) {
	st, _, err := Read(path)
	if err != nil || st == nil {
		return false, err
	}
	if err := syscall.Kill(st.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return true, fmt.Errorf("stopping cluster process %d: %w", st.PID, err)
	}
	deadline := time.Now().Add(wait)
	for Alive(st.PID) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if Alive(st.PID) {
		// Its own children die with its process group.
		_ = syscall.Kill(-st.PID, syscall.SIGKILL)
		_ = syscall.Kill(st.PID, syscall.SIGKILL)
	}
	os.Remove(path)
	return true, nil
}
