package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers/local"
)

// `cluster up`, two checks that reuse it, `cluster down` — with the real
// binary, as a user runs it. Uses real Kafka when it can run here.
func TestClusterUpIsReusedAndDownLeavesNothing(t *testing.T) {
	provider := "embedded"
	if local.New(local.Options{}).Check("kafka") == nil {
		provider = "local"
	} else if os.Getenv("STREAMLAB_REQUIRE_LOCAL") == "1" {
		t.Fatal("STREAMLAB_REQUIRE_LOCAL=1 but local Kafka cannot run")
	}
	bin := filepath.Join(t.TempDir(), "streamlab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	state := t.TempDir()
	sl := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "STREAMLAB_STATE_DIR="+state, "STREAMLAB_CONFIG="+filepath.Join(state, "none.yaml"))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { sl("cluster", "down") })

	out, err := sl("cluster", "up", "--cluster", provider, "--kinds", "kafka")
	if err != nil {
		t.Fatalf("cluster up: %v\n%s", err, out)
	}
	pid := statePID(t, state)
	if out, err := sl("cluster", "up", "--cluster", provider, "--kinds", "kafka"); err != nil || !strings.Contains(out, "already up") {
		t.Fatalf("a second up should find the first: %v\n%s", err, out)
	}
	if out, err := sl("cluster", "status"); err != nil || !strings.Contains(out, "answers") || !strings.Contains(out, strconv.Itoa(pid)) {
		t.Fatalf("cluster status: %v\n%s", err, out)
	}
	for i := range 2 {
		out, err = sl("check", "kafka/create-topic", "--dir", "../../solutions/kafka/01-create-topic")
		if err != nil || !strings.Contains(out, "kept up") || !strings.Contains(out, "PASS") {
			t.Fatalf("check %d did not pass on the kept-up cluster: %v\n%s", i+1, err, out)
		}
	}
	// Two learners at once on that cluster as an external one, through the
	// flags a workshop uses: prefixed names, no interference, both pass.
	bootstrap := stateBootstrap(t, state)
	var wg sync.WaitGroup
	outs := map[string]string{}
	var mu sync.Mutex
	for _, learner := range []string{"ada", "bob"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := sl("check", "kafka/keyed-producer", "--dir", "../../solutions/kafka/02-keyed-producer",
				"--cluster", "external", "--kafka-bootstrap", bootstrap, "--learner", learner, "--keep")
			if err != nil {
				out += "\n" + err.Error()
			}
			mu.Lock()
			outs[learner] = out
			mu.Unlock()
		}()
	}
	wg.Wait()
	for learner, out := range outs {
		if !strings.Contains(out, "PASS kafka/keyed-producer") || !strings.Contains(out, "cluster: external") {
			t.Fatalf("%s on the external cluster:\n%s", learner, out)
		}
	}

	if out, err = sl("cluster", "down"); err != nil || !strings.Contains(out, "stopped") {
		t.Fatalf("cluster down: %v\n%s", err, out)
	}
	if syscall.Kill(pid, 0) == nil {
		t.Fatalf("cluster process %d still runs after down", pid)
	}
	if out, _ = sl("cluster", "down"); !strings.Contains(out, "no cluster is up") {
		t.Fatalf("a second down should be a no-op: %s", out)
	}
}

func stateBootstrap(t *testing.T, dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "cluster.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Clusters map[string]struct{ KafkaBootstrap []string }
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return strings.Join(st.Clusters["kafka"].KafkaBootstrap, ",")
}

func statePID(t *testing.T, dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "cluster.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, `"pid": `)
	j := strings.Index(s[i+7:], ",")
	pid, err := strconv.Atoi(s[i+7 : i+7+j])
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) && syscall.Kill(pid, 0) != nil {
		time.Sleep(10 * time.Millisecond)
	}
	return pid
}
