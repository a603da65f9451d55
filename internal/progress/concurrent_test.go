package progress

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Stores opened separately stand for separate processes: each Record must
// land on what is on disk, not on the copy its store read at Open.
func TestConcurrentStoresLoseNoAttempts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progress.json")
	const n = 40
	stores := make([]*Store, n)
	for i := range stores {
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, s := range stores {
		wg.Go(func() {
			if err := s.Record("kafka/keyed-producer", "fail"); err != nil {
				errs <- err
			}
			if i == 7 {
				if err := s.Update("kafka/create-topic", func(e *Exercise) { e.HintsUsed = 2 }); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Get("kafka/keyed-producer").Attempts; got != n {
		t.Errorf("%d attempts recorded, want %d", got, n)
	}
	if got := again.Get("kafka/create-topic").HintsUsed; got != 2 {
		t.Errorf("hints used %d, want 2", got)
	}
}

const helperEnv = "STREAMLAB_PROGRESS_TEST_HELPER"

// Real processes, each recording several attempts at once: the test binary
// runs itself as the helper below.
func TestProcessesLoseNoAttempts(t *testing.T) {
	if spec := os.Getenv(helperEnv); spec != "" {
		recordAsHelper(t, spec)
		return
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "progress.json")
	start := filepath.Join(dir, "start")
	const procs, each = 8, 5
	var cmds []*exec.Cmd
	for i := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestProcessesLoseNoAttempts$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%s|%d|%d", helperEnv, path, start, each, i))
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("helper %d:\n%s", i, out.String())
			}
		})
	}
	// Every helper has opened the store and waits: start them together.
	if err := os.WriteFile(start, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper %d: %v", i, err)
		}
	}
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Get("kafka/keyed-producer").Attempts; got != procs*each {
		t.Errorf("%d attempts recorded, want %d", got, procs*each)
	}
	for i := range procs {
		if got := again.Get(fmt.Sprintf("helper/%d", i)).HintsUsed; got != each {
			t.Errorf("helper %d: hints %d, want %d", i, got, each)
		}
	}
}

func recordAsHelper(t *testing.T, spec string) {
	var path, start string
	var each, id int
	parts := splitN(spec, '|')
	path, start = parts[0], parts[1]
	each, _ = strconv.Atoi(parts[2])
	id, _ = strconv.Atoi(parts[3])
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(start); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never told to start")
		}
	}
	for range each {
		if err := s.Record("kafka/keyed-producer", "fail"); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(fmt.Sprintf("helper/%d", id), func(e *Exercise) { e.HintsUsed++ }); err != nil {
			t.Fatal(err)
		}
	}
}

func splitN(s string, sep byte) []string {
	var out []string
	for {
		i := 0
		for i < len(s) && s[i] != sep {
			i++
		}
		out = append(out, s[:i])
		if i == len(s) {
			return out
		}
		s = s[i+1:]
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b = append(b.b, p...)
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.b)
}

// Get shows what another store (another process) saved since.
func TestGetSeesOtherStoresUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progress.json")
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if a.Get("kafka/keyed-producer").Done {
		t.Fatal("done before anything was recorded")
	}
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Record("kafka/keyed-producer", "pass"); err != nil {
		t.Fatal(err)
	}
	if got := a.Get("kafka/keyed-producer"); !got.Done || got.Attempts != 1 {
		t.Fatalf("a sees %+v after b recorded a pass", got)
	}
	for i := range 3 {
		if err := b.Update("kafka/create-topic", func(e *Exercise) { e.HintsUsed = i + 1 }); err != nil {
			t.Fatal(err)
		}
		if got := a.Get("kafka/create-topic").HintsUsed; got != i+1 {
			t.Fatalf("a sees %d hints, b saved %d", got, i+1)
		}
	}
	// A's own write keeps b's.
	if err := a.Record("kafka/create-topic", "fail"); err != nil {
		t.Fatal(err)
	}
	if got := b.Get("kafka/create-topic"); got.HintsUsed != 3 || got.Attempts != 1 {
		t.Fatalf("b sees %+v", got)
	}
	// Progress removed by hand is gone for both.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if got := a.Get("kafka/keyed-producer"); got.Done {
		t.Fatalf("a still sees %+v after the file was removed", got)
	}
}

// Stores opening one unreadable file together set it aside once, and none
// moves away a file another has saved since.
func TestConcurrentOpensSetAsideOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "progress.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	warned := 0
	for range n {
		wg.Go(func() {
			s, err := Open(path)
			if err == nil {
				err = s.Record("a", "fail")
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if s.Warning != "" {
				warned++
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	var aside []string
	for _, name := range names(t, dir) {
		if strings.HasPrefix(name, "progress.json.corrupt-") {
			aside = append(aside, name)
		}
	}
	if len(aside) != 1 || warned != 1 {
		t.Errorf("set aside %v, %d warnings: want one of each", aside, warned)
	}
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Get("a").Attempts; got != n {
		t.Errorf("%d attempts, want %d", got, n)
	}
}
