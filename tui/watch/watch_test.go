package watch

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func waitChange(t *testing.T, w *Watcher) Change {
	t.Helper()
	select {
	case c := <-w.C:
		return c
	case <-time.After(5 * time.Second):
		t.Fatalf("no change reported (%s)", w.Mode)
	}
	return Change{}
}

func testSaves(t *testing.T, opts Options) {
	dir := t.TempDir()
	file := filepath.Join(dir, "main.go")
	if err := os.WriteFile(file, []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := New(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	time.Sleep(50 * time.Millisecond)
	// A burst, as an editor saving with a swap file makes: one change.
	for i := range 3 {
		if err := os.WriteFile(file, []byte("package main\n// "+string(rune('a'+i))+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(dir, ".main.go.swp"), []byte{byte(i)}, 0o644)
	}
	c := waitChange(t, w)
	if len(c.Files) != 1 || c.Files[0] != "main.go" {
		t.Fatalf("want one change to main.go, got %v", c.Files)
	}
	select {
	case c := <-w.C:
		t.Fatalf("a burst of saves came out as more than one change: %v", c)
	case <-time.After(3 * opts.Debounce):
	}
	w.Close()
	for range w.C {
	}
}

func TestFSNotify(t *testing.T) {
	testSaves(t, Options{Debounce: 100 * time.Millisecond})
}

func TestPolling(t *testing.T) {
	testSaves(t, Options{Debounce: 100 * time.Millisecond, Poll: 50 * time.Millisecond, ForcePoll: true})
}

func TestMissingFolder(t *testing.T) {
	if _, err := New(filepath.Join(t.TempDir(), "nope"), Options{}); err == nil {
		t.Fatal("want an error for a folder that does not exist")
	}
}
