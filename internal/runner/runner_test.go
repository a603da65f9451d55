package runner

import (
	"context"
	"os"
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
