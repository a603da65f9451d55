package progress

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A write waits while another holds the lock, then goes ahead.
func TestWriteWaitsForTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progress.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := lock(path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Record("a", "pass") }()
	select {
	case err := <-done:
		t.Fatalf("wrote while the lock was held (err %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	if s.Get("a").Done {
		t.Fatal("Get shows a write that has not happened")
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if again, _ := Open(path); !again.Get("a").Done {
		t.Fatal("the write was lost")
	}
}

// A lock that is never released fails the write with a message, keeps the
// change for the session, and does not wedge later writes.
func TestStuckLockGivesUp(t *testing.T) {
	defer func(w time.Duration) { lockWait = w }(lockWait)
	lockWait = 50 * time.Millisecond
	path := filepath.Join(t.TempDir(), "progress.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := lock(path)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Record("a", "pass")
	if err == nil || !strings.Contains(err.Error(), "is one stuck?") || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v", err)
	}
	if !s.Get("a").Done {
		t.Fatal("the session forgot the pass it could not save")
	}
	unlock()
	lockWait = 10 * time.Second
	if err := s.Record("b", "pass"); err != nil {
		t.Fatal(err)
	}
}
