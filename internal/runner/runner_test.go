package runner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunCapturesOutputAndExitCode(t *testing.T) {
	var lines []string
	res, err := Run(context.Background(), Command{
		Shell: `echo one; echo two >&2; exit 3`, Dir: t.TempDir(), Timeout: 10 * time.Second,
		Line: func(s string) { lines = append(lines, s) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || res.Success() {
		t.Fatalf("exit code %d, want 3", res.ExitCode)
	}
	if !strings.Contains(res.Output, "one") || !strings.Contains(res.Output, "two") {
		t.Fatalf("output %q lacks a line", res.Output)
	}
	if len(lines) != 2 {
		t.Fatalf("lines %q, want two", lines)
	}
}

func TestRunPassesEnvironmentAndFolder(t *testing.T) {
	dir := t.TempDir()
	res, err := Run(context.Background(), Command{
		Shell: `printf '%s %s' "$TOPIC" "$(pwd)"`, Dir: dir, Env: []string{"TOPIC=orders-1"}, Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != "orders-1 "+dir {
		t.Fatalf("output %q", res.Output)
	}
}

// A program that hangs, with a child that would outlive its shell, is
// stopped at the limit and leaves no process behind.
func TestRunTimeoutKillsWholeGroup(t *testing.T) {
	dir := t.TempDir()
	res, err := Run(context.Background(), Command{
		Shell: `sleep 300 & echo $! > child.pid; sleep 300`, Dir: dir, Timeout: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.Success() {
		t.Fatalf("result %+v, want timed out", res)
	}
	assertGone(t, dir+"/child.pid")
}

func TestRunCancelKillsWholeGroup(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			if _, err := os.Stat(dir + "/child.pid"); err == nil {
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	res, err := Run(ctx, Command{Shell: `trap '' TERM; sleep 300 & echo $! > child.pid; wait`, Dir: dir, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Canceled {
		t.Fatalf("result %+v, want cancelled", res)
	}
	assertGone(t, dir+"/child.pid")
}

func TestRunStopsFloodAndCapsOutput(t *testing.T) {
	res, err := Run(context.Background(), Command{
		Shell: `yes streamlab`, Dir: t.TempDir(), Timeout: time.Minute, KeepBytes: 1000, MaxBytes: 1 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Flooded || !res.Truncated {
		t.Fatalf("result flooded=%v truncated=%v, want both", res.Flooded, res.Truncated)
	}
	if len(res.Output) > 1200 {
		t.Fatalf("kept %d bytes, want about 1000", len(res.Output))
	}
	if !strings.Contains(res.Output, "bytes of output left out") {
		t.Fatalf("no truncation marker in %q", res.Output)
	}
}

func TestCaptureKeepsShortOutputWhole(t *testing.T) {
	for _, n := range []int{0, 10, 499, 500, 700, 999, 1000} {
		c := &capture{keep: 1000, max: 1 << 20, flood: make(chan struct{})}
		want := strings.Repeat("x", n/2) + strings.Repeat("y", n-n/2)
		c.Write([]byte(want))
		got, trunc := c.String()
		if got != want || trunc {
			t.Fatalf("n=%d: got %d bytes (truncated %v), want the whole %d", n, len(got), trunc, n)
		}
	}
}

func TestRunMissingFolderIsAnError(t *testing.T) {
	if _, err := Run(context.Background(), Command{Shell: "true", Dir: "/nonexistent/streamlab"}); err == nil {
		t.Fatal("want an error for a missing folder")
	}
}

func assertGone(t *testing.T, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("child pid file: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("child %d still running", pid)
}

// A child that moves to its own session and keeps the output open must not
// hold Run past the main process's exit, nor outlive the run.
func TestRunDetachedChildHoldingOutputIsKilled(t *testing.T) {
	needsSubreaper(t)
	res := runBounded(t, context.Background(), Command{
		Shell: detached("sleep 1004", "") + `echo started; exit 0`, Dir: t.TempDir(), Timeout: 20 * time.Second,
	}, 10*time.Second)
	if res.ExitCode != 0 || res.TimedOut || !strings.Contains(res.Output, "started") {
		t.Fatalf("result %+v, want a clean exit with its output", res)
	}
	assertNoProcess(t, "sleep", "1004")
}

func TestRunDetachedSilentChildIsKilled(t *testing.T) {
	needsSubreaper(t)
	res := runBounded(t, context.Background(), Command{
		Shell: detached("sleep 1004", ">/dev/null 2>&1") + `echo started; exit 0`, Dir: t.TempDir(), Timeout: 20 * time.Second,
	}, 10*time.Second)
	if !res.Success() {
		t.Fatalf("result %+v, want a clean exit", res)
	}
	assertNoProcess(t, "sleep", "1004")
}

// Cancelling stops the program even when a descendant left the group and
// the session and holds the output open.
func TestRunCancelKillsDescendantsInOtherSessions(t *testing.T) {
	needsSubreaper(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := runBounded(t, ctx, Command{
		Shell: detached("sleep 1004", "") + `echo started; exec sleep 1005`, Dir: t.TempDir(), Timeout: time.Minute,
		Line: func(s string) {
			if s == "started" {
				cancel()
			}
		},
	}, 10*time.Second)
	if !res.Canceled {
		t.Fatalf("result %+v, want cancelled", res)
	}
	assertNoProcess(t, "sleep", "1004")
	assertNoProcess(t, "sleep", "1005")
}

// timeout(1) puts the program in a process group of its own: the flood stop
// must reach it all the same, well before timeout's own limit.
func TestRunFloodStopsProcessesInOtherGroups(t *testing.T) {
	needsSubreaper(t)
	res := runBounded(t, context.Background(), Command{
		Shell: `timeout 30 yes streamlab-1002`, Dir: t.TempDir(), Timeout: time.Minute, KeepBytes: 1000, MaxBytes: 1 << 20,
	}, 20*time.Second)
	if !res.Flooded {
		t.Fatalf("result %+v, want flooded", res)
	}
	if res.Duration > 10*time.Second {
		t.Fatalf("run lasted %s: the flood was not stopped", res.Duration)
	}
	assertNoProcess(t, "yes", "streamlab-1002")
}

// A main process that exits at once ends the run, however long a
// background child would have kept the output open.
func TestRunBackgroundChildDoesNotMakeATimeout(t *testing.T) {
	res := runBounded(t, context.Background(), Command{
		Shell: `sleep 1001 & echo hi`, Dir: t.TempDir(), Timeout: 20 * time.Second,
	}, 30*time.Second)
	if !res.Success() || res.Output != "hi\n" {
		t.Fatalf("result %+v, want a clean exit that printed hi", res)
	}
	if res.Duration > 5*time.Second {
		t.Fatalf("run lasted %s after the program exited at once", res.Duration)
	}
	assertNoProcess(t, "sleep", "1001")
}

// Only the learner's processes are stopped: the caller's other children
// (a local cluster's brokers) are left alone.
func TestRunLeavesCallersOtherChildrenAlone(t *testing.T) {
	needsSubreaper(t)
	broker := exec.Command("sleep", "1009")
	if err := broker.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = broker.Process.Kill(); _ = broker.Wait() }()
	res := runBounded(t, context.Background(), Command{
		Shell: `(sleep 1003 &); ` + detached("sleep 1004", ">/dev/null 2>&1") + `echo hi`, Dir: t.TempDir(), Timeout: 20 * time.Second,
	}, 10*time.Second)
	if !res.Success() {
		t.Fatalf("result %+v, want a clean exit", res)
	}
	assertNoProcess(t, "sleep", "1003")
	assertNoProcess(t, "sleep", "1004")
	if err := broker.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the caller's own child was stopped: %v", err)
	}
}

func TestRunReportsHowTheProgramEnded(t *testing.T) {
	for _, c := range []struct {
		shell string
		want  int
	}{{"exit 0", 0}, {"exit 7", 7}, {"kill -9 $$", -1}, {"streamlab-no-such-command", 127}} {
		res := runBounded(t, context.Background(), Command{Shell: c.shell, Dir: t.TempDir(), Timeout: 10 * time.Second}, 10*time.Second)
		if res.ExitCode != c.want || res.TimedOut || res.Canceled || res.Flooded {
			t.Errorf("%q: result %+v, want exit code %d", c.shell, res, c.want)
		}
	}
}

func TestRunGivesAnOrdinaryEnvironment(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("LC_ALL", "C.UTF-8")
	t.Setenv("STREAMLAB_STATE_DIR", "/tmp/streamlab-state")
	t.Setenv("STREAMLAB_PULSAR_TOKEN", "secret-token")
	t.Setenv("STREAMLAB_KAFKA_SASL_PASSWORD", "secret-password")
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	res, err := Run(context.Background(), Command{
		Shell: `env`, Dir: t.TempDir(), Timeout: 10 * time.Second,
		Env: []string{"TOPIC=orders-1", "STREAMLAB_PROGRAM=/tmp/program"},
	})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, l := range strings.Split(res.Output, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			env[k] = v
		}
	}
	for k, v := range env {
		if strings.HasPrefix(k, "STREAMLAB_") && k != "STREAMLAB_PROGRAM" || strings.Contains(v, "secret") {
			t.Errorf("the program sees streamlab's own %s=%s", k, v)
		}
	}
	if _, ok := env["TESTCONTAINERS_RYUK_DISABLED"]; ok {
		t.Error("the program sees a variable that is not on the allow-list")
	}
	want := map[string]string{"HOME": home, "PATH": os.Getenv("PATH"), "GOFLAGS": "-mod=mod", "LC_ALL": "C.UTF-8",
		"TOPIC": "orders-1", "STREAMLAB_PROGRAM": "/tmp/program"}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s=%q, want %q", k, env[k], v)
		}
	}
}

// detached is shell that starts cmd in a session of its own, with the
// redirections, and waits until it has moved there (so that no race lets
// the old process-group kill catch it).
func detached(cmd, redirect string) string {
	return fmt.Sprintf(`setsid sh -c 'echo > moved; exec %s' %s & while [ ! -e moved ]; do sleep 0.01; done; `, cmd, redirect)
}

// markers are the processes the trials start, to kill should a trial fail.
var markers = [][]string{{"sleep", "1001"}, {"sleep", "1003"}, {"sleep", "1004"}, {"sleep", "1005"}, {"sleep", "1006"}, {"sleep", "1007"}, {"sleep", "1008"}, {"yes", "streamlab-1002"}}

// needsSubreaper skips a trial of processes that leave the program's
// process group where only the group can be reached.
func needsSubreaper(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux stops processes that leave the program's process group")
	}
}

// runBounded runs c, failing the test rather than hanging when Run does
// not return within limit.
func runBounded(t *testing.T, ctx context.Context, c Command, limit time.Duration) Result {
	t.Helper()
	type ran struct {
		res Result
		err error
	}
	ch := make(chan ran, 1)
	go func() {
		res, err := Run(ctx, c)
		ch <- ran{res, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		assertNoZombies(t)
		return r.res
	case <-time.After(limit):
		for _, argv := range markers {
			for _, pid := range processesRunning(argv) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		t.Fatalf("Run did not return within %s", limit)
		return Result{}
	}
}

// assertNoProcess fails when a process whose arguments are argv is still
// running once the run is over (after a short wait for signals to land),
// and kills it so that a failing test leaves nothing behind.
func assertNoProcess(t *testing.T, argv ...string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		pids := processesRunning(argv)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Fatalf("%q is still running (pids %v)", strings.Join(argv, " "), pids)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func processesRunning(argv []string) []int {
	want := strings.Join(argv, "\x00") + "\x00"
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var pids []int
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil || string(b) != want {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		pids = append(pids, pid)
	}
	return pids
}

// assertNoZombies fails when the test process has a child that exited and
// was never waited for: whatever Run started, it reaps.
func assertNoZombies(t *testing.T) {
	t.Helper()
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[0] == "Z" && f[1] == strconv.Itoa(os.Getpid()) {
			t.Errorf("zombie child left: %s", s)
		}
	}
}

// Kill ends a started program at once, with SIGKILL and no grace period,
// and with it every process it started, in its own group or not.
func TestStartKillStopsTheWholeTree(t *testing.T) {
	dir := t.TempDir()
	shell := `trap '' TERM; sleep 1006 & ` + detached("sleep 1007", "</dev/null >/dev/null 2>&1") + `echo started; sleep 1008`
	if runtime.GOOS != "linux" {
		shell = `trap '' TERM; sleep 1006 & echo started; sleep 1008`
	}
	started := make(chan struct{}, 1)
	p, err := Start(context.Background(), Command{Shell: shell, Dir: dir, Timeout: time.Minute,
		Line: func(s string) {
			if s == "started" {
				started <- struct{}{}
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		p.Kill()
		t.Fatal("the program did not start")
	}
	t0 := time.Now()
	p.Kill()
	p.Kill() // a second kill is harmless
	res, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !res.Killed || res.ExitCode != -1 || res.Success() || res.TimedOut || res.Canceled {
		t.Fatalf("result %+v, want killed", res)
	}
	// SIGTERM is ignored above: only a kill without grace ends it this soon.
	if d := time.Since(t0); d > grace {
		t.Fatalf("the kill took %s, as long as a polite stop", d)
	}
	if !strings.Contains(res.Describe(time.Minute), "killed by the grader") {
		t.Fatalf("described as %q", res.Describe(time.Minute))
	}
	for _, n := range []string{"1006", "1007", "1008"} {
		assertNoProcess(t, "sleep", n)
	}
	assertNoZombies(t)
}

// A program that ends on its own, started with Start, reads as Run's would.
func TestStartWaitWithoutKill(t *testing.T) {
	p, err := Start(context.Background(), Command{Shell: `echo "$INSTANCE"; exit 4`, Dir: t.TempDir(), Env: []string{"INSTANCE=1"}, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if res.Killed || res.ExitCode != 4 || res.Output != "1\n" {
		t.Fatalf("result %+v", res)
	}
	if _, err := Start(context.Background(), Command{Shell: "true", Dir: filepath.Join(t.TempDir(), "gone")}); err == nil {
		t.Fatal("started in a missing folder")
	}
}

// The time Kill takes to end a running program with a child: what a
// grader's fault adds, besides the trigger's polling and the restart.
func BenchmarkKill(b *testing.B) {
	for range b.N {
		b.StopTimer()
		started := make(chan struct{}, 1)
		p, err := Start(context.Background(), Command{Shell: `sleep 1009 & echo started; sleep 1009`, Dir: b.TempDir(), Timeout: time.Minute,
			Line: func(string) { started <- struct{}{} }})
		if err != nil {
			b.Fatal(err)
		}
		<-started
		b.StartTimer()
		p.Kill()
		if res, _ := p.Wait(); !res.Killed {
			b.Fatalf("result %+v", res)
		}
	}
}
