package serve

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/local"
	"github.com/streamlab/streamlab/internal/catalogue"
)

// TestServeLoad is a workshop in miniature, timed: N learners
// (STREAMLAB_SERVE_LOAD=N, e.g. 40) connect over SSH to `streamlab serve`
// on a Kafka kept up by `streamlab cluster up --cluster local`, every
// other one with the reference solution in their workspace, and all press
// c at the same moment. It reports the median and 95th percentile time
// from the key press to the verdict on the learner's screen, and the
// server's peak memory (VmHWM), and fails if any learner gets a verdict
// not their own or an error, or if anything is left running or on the
// cluster. STREAMLAB_SERVE_MAX_CHECKS sets --max-checks.
func TestServeLoad(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("STREAMLAB_SERVE_LOAD"))
	if n <= 0 {
		t.Skip("set STREAMLAB_SERVE_LOAD=40 to time 40 learners checking at once")
	}
	if err := checkLocalKafka(); err != nil {
		t.Skipf("local Kafka not available (%v); run scripts/fetch-kafka", err)
	}
	cat, err := catalogue.Load(streamlab.Content)
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise(exerciseID)
	dir := t.TempDir()
	bin := filepath.Join(dir, "streamlab")
	build := exec.Command("go", "build", "-o", bin, "./cmd/streamlab")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building streamlab: %v\n%s", err, out)
	}
	env := append(os.Environ(), "STREAMLAB_STATE_DIR="+filepath.Join(dir, "state"), "STREAMLAB_CONFIG="+filepath.Join(dir, "no-config.yaml"))
	streamlabCmd := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		return cmd
	}

	// The instructor keeps a Kafka up for the workshop.
	up, err := streamlabCmd("cluster", "up", "--cluster", "local", "--kinds", "kafka").CombinedOutput()
	if err != nil {
		t.Fatalf("cluster up: %v\n%s", err, up)
	}
	t.Cleanup(func() {
		if out, err := streamlabCmd("cluster", "down").CombinedOutput(); err != nil {
			t.Errorf("cluster down: %v\n%s", err, out)
		}
	})
	m := regexp.MustCompile(`KAFKA_BOOTSTRAP_SERVERS=(\S+)`).FindSubmatch(up)
	if m == nil {
		t.Fatalf("cluster up did not say where Kafka is:\n%s", up)
	}
	kafka := keptCluster{strings.Split(string(m[1]), ",")}

	keys := make([]gossh.Signer, n)
	var allow strings.Builder
	for i := range keys {
		keys[i] = newKey(t)
		fmt.Fprintln(&allow, authorizedLine(keys[i], "", learnerID(i)))
	}
	allowFile := filepath.Join(dir, "allow")
	if err := os.WriteFile(allowFile, []byte(allow.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	args := []string{"serve", "--kinds", "kafka", "--ssh", "127.0.0.1:0", "--allow", allowFile, "--data", data, "--editor", "true"}
	if mc := os.Getenv("STREAMLAB_SERVE_MAX_CHECKS"); mc != "" {
		args = append(args, "--max-checks", mc)
	}
	server := streamlabCmd(args...)
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	server.Stderr = os.Stderr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = server.Process.Signal(syscall.SIGINT)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("serve exited with %v", err)
			}
		case <-time.After(2 * time.Minute):
			_ = server.Process.Kill()
			t.Error("serve did not stop within 2 minutes of Ctrl-C")
		}
	}
	t.Cleanup(stop)
	sc := bufio.NewScanner(stdout)
	addr := ""
	for sc.Scan() {
		t.Log(sc.Text())
		if m := regexp.MustCompile(`ssh -p (\d+) HOST`).FindStringSubmatch(sc.Text()); m != nil {
			addr = "127.0.0.1:" + m[1]
			break
		}
	}
	if addr == "" {
		t.Fatal("serve did not say where it listens")
	}
	go func() {
		for sc.Scan() {
		}
	}()

	// Everyone connects and opens the exercise; half of them solved it.
	learners := make([]*learner, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range learners {
		wg.Go(func() {
			l, err := dial(t, addr, learnerID(i), keys[i], nil, 100, 40)
			if err != nil {
				errs <- fmt.Errorf("%s: %w", learnerID(i), err)
				return
			}
			learners[i] = l
			if _, err := l.waitForErr(2*time.Minute, "Your course"); err != nil {
				errs <- err
				return
			}
			if i%2 == 0 {
				copySolution(t, data, learnerID(i), ex)
			}
			for range downsTo(t, cat, exerciseID) {
				l.press("j")
			}
			l.press("enter")
			if _, err := l.waitForErr(time.Minute, exerciseID, "c checks your program"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, l := range learners {
			if l != nil {
				l.close()
			}
		}
	})
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// All press c at once.
	took := make([]time.Duration, n)
	start := make(chan struct{})
	results := make(chan error, n)
	for i, l := range learners {
		want, notWant := "✗ not yet · 4/8 points", "✓ passed"
		if i%2 == 0 {
			want, notWant = "✓ passed · 8/8 points", "✗ not yet"
		}
		wg.Go(func() {
			<-start
			pressed := time.Now()
			l.send("c")
			deadline := pressed.Add(15 * time.Minute)
			for {
				scr := l.screen()
				switch {
				case strings.Contains(scr, want):
					took[i] = time.Since(pressed)
					if strings.Contains(scr, notWant) {
						results <- fmt.Errorf("%s sees %q, not theirs:\n%s", l.name, notWant, scr)
						return
					}
					results <- nil
					return
				case strings.Contains(scr, "could not grade") || strings.Contains(scr, notWant):
					results <- fmt.Errorf("%s got the wrong verdict:\n%s", l.name, scr)
					return
				case time.Now().After(deadline):
					results <- fmt.Errorf("%s got no verdict within 15 minutes:\n%s", l.name, scr)
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
	close(start)
	wg.Wait()
	close(results)
	failed := 0
	for err := range results {
		if err != nil {
			failed++
			t.Error(err)
		}
	}
	hwm := vmHWM(server.Process.Pid)
	sorted := slices.Clone(took)
	slices.Sort(sorted)
	t.Logf("%d learners pressed c at once (%d with the solution): key press to verdict median %s, p95 %s, max %s; %d wrong or missing verdicts; server peak memory (VmHWM) %s",
		n, (n+1)/2, sorted[n/2].Round(100*time.Millisecond), sorted[(n*95+99)/100-1].Round(100*time.Millisecond), sorted[n-1].Round(100*time.Millisecond), failed, hwm)

	// Everyone quits: their kept topics go with their sessions.
	for _, l := range learners {
		l.press("q")
	}
	for _, l := range learners {
		l.waitEnded(2 * time.Minute)
	}
	stop()
	if left := kafka.topics(t, "-sl-"+ex.Slug+"-"); len(left) > 0 {
		t.Errorf("%d topics of the run left on the cluster: %v", len(left), left)
	}
	if left := processesIn(data); len(left) > 0 {
		t.Errorf("processes still running in the data folder: %v", left)
	}
}

func learnerID(i int) string { return fmt.Sprintf("learner-%02d", i) }

// vmHWM is a process's peak resident memory, as Linux reports it.
func vmHWM(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// keptCluster is the Kafka `cluster up` keeps, seen from the test.
type keptCluster struct{ bootstrap []string }

func (k keptCluster) Kind() containers.Kind { return containers.Kafka }
func (k keptCluster) Endpoints() containers.Endpoints {
	return containers.Endpoints{KafkaBootstrap: k.bootstrap}
}
func (k keptCluster) Stop(context.Context) error { return nil }

func (k keptCluster) topics(t testing.TB, part string) []string { return topicsOf(t, k, part) }

func checkLocalKafka() error {
	return local.New(local.Options{}).Check(containers.Kafka)
}

// processesIn lists the processes whose working folder is in dir: a
// learner's program, a build or an editor left behind.
func processesIn(dir string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cwd, err := os.Readlink(filepath.Join(p, "cwd"))
		if err != nil || !strings.HasPrefix(cwd, dir) {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		out = append(out, filepath.Base(p)+": "+strings.ReplaceAll(string(cmd), "\x00", " "))
	}
	return out
}
