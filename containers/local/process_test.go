package local

import (
	"bufio"
	"context"
	"errors"
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

func startSh(t *testing.T, script string) *Process {
	t.Helper()
	p, err := StartProcess(ProcessSpec{Name: "sh", Path: "/bin/sh", Args: []string{"-c", script}, LogFile: filepath.Join(t.TempDir(), "out.log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill() })
	return p
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ProcessGone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process group %d still exists", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStopKillsWholeGroup(t *testing.T) {
	// The shell starts a background child in its group; Stop must end both.
	p := startSh(t, "sleep 60 & echo started; wait")
	waitLog(t, p, "started")
	if ProcessGone(p.Pid()) {
		t.Fatal("process gone before Stop")
	}
	start := time.Now()
	if err := p.Stop(context.Background(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Stop of a process that obeys SIGTERM took %v", d)
	}
	waitGone(t, p.Pid())
	if err := p.Stop(context.Background(), time.Second); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestStopForcesAfterGrace(t *testing.T) {
	p := startSh(t, `trap "" TERM; echo started; while :; do sleep 0.05; done`)
	waitLog(t, p, "started")
	start := time.Now()
	if err := p.Stop(context.Background(), 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 5*time.Second {
		t.Errorf("Stop took %v, want about the 300ms grace", d)
	}
	waitGone(t, p.Pid())
	var ee *exec.ExitError
	if !errors.As(p.ExitErr(), &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("exit = %v, want killed by SIGKILL", p.ExitErr())
	}
}

func TestStopHonoursContext(t *testing.T) {
	p := startSh(t, `trap "" TERM; echo started; while :; do sleep 0.05; done`)
	waitLog(t, p, "started")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	p.Stop(ctx, time.Minute)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop ignored ctx: took %v", d)
	}
	waitGone(t, p.Pid())
}

func TestWaitReadyFailsWhenProcessExits(t *testing.T) {
	p := startSh(t, `echo "[x] INFO starting"; echo "[x] ERROR Something broke: java.net.BindException: Address already in use" ; i=0; while [ $i -lt 40 ]; do echo "line $i"; i=$((i+1)); done; exit 3`)
	start := time.Now()
	err := WaitReady(context.Background(), p, 50*time.Millisecond, func(context.Context) error { return errors.New("not yet") })
	if time.Since(start) > 5*time.Second {
		t.Errorf("WaitReady took %v to notice the exit", time.Since(start))
	}
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want *ExitError", err)
	}
	wantErr(t, err, "exited during start-up", "exit status 3", "Address already in use", "line 39")
	if strings.Contains(err.Error(), "line 10\n") {
		t.Errorf("error carries the whole log:\n%v", err)
	}
	if !AddressInUse(err) {
		t.Error("AddressInUse = false")
	}
}

func TestWaitReadyHonoursContext(t *testing.T) {
	p := startSh(t, "sleep 60")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := WaitReady(ctx, p, 20*time.Millisecond, func(context.Context) error { return errors.New("port closed") })
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "port closed") {
		t.Errorf("err = %v, want deadline exceeded with the last probe error", err)
	}
}

func TestWaitReadySucceeds(t *testing.T) {
	p := startSh(t, "sleep 60")
	n := 0
	err := WaitReady(context.Background(), p, 10*time.Millisecond, func(context.Context) error {
		if n++; n < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Errorf("WaitReady = %v after %d probes", err, n)
	}
}

func TestFreePorts(t *testing.T) {
	ports, err := FreePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Errorf("bad or repeated port in %v", ports)
		}
		seen[p] = true
	}
}

func TestStartProcessErrors(t *testing.T) {
	_, err := StartProcess(ProcessSpec{Name: "x", Path: "/bin/true"})
	wantErr(t, err, "LogFile is required")
	_, err = StartProcess(ProcessSpec{Name: "x", Path: "/nonexistent/java", LogFile: filepath.Join(t.TempDir(), "l")})
	wantErr(t, err, "/nonexistent/java")
}

func waitLog(t *testing.T, p *Process, s string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.LogTail(50), s) {
		if time.Now().After(deadline) {
			t.Fatalf("%q not in log after 5s; log:\n%s", s, p.LogTail(50))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHelperParent is not a test: TestParentDeathKillsChild runs the test
// binary with STREAMLAB_HELPER=parent, and then this starts a child the
// way the provider starts a JVM, prints its pid, and waits to be killed.
func TestHelperParent(t *testing.T) {
	if os.Getenv("STREAMLAB_HELPER") != "parent" {
		t.Skip("helper process for TestParentDeathKillsChild")
	}
	// Exercise the thread caveat: goroutines that lock their thread and
	// exit make the runtime end those threads; the child must survive it.
	for i := 0; i < 4; i++ {
		done := make(chan struct{})
		go func() { runtime.LockOSThread(); close(done) }()
		<-done
	}
	p, err := StartProcess(ProcessSpec{Name: "sleep", Path: "/bin/sleep", Args: []string{"120"}, LogFile: filepath.Join(os.TempDir(), fmt.Sprintf("streamlab-helper-%d.log", os.Getpid()))})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	os.Remove(p.LogFile())
	for i := 0; i < 4; i++ {
		done := make(chan struct{})
		go func() { runtime.LockOSThread(); close(done) }()
		<-done
	}
	fmt.Printf("CHILD %d\n", p.Pid())
	time.Sleep(2 * time.Minute)
}

// TestParentDeathKillsChild proves that a parent killed with SIGKILL (no
// chance to run Stop) does not leak its child on Linux.
func TestParentDeathKillsChild(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Pdeathsig is Linux-only")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperParent$", "-test.v")
	cmd.Env = append(os.Environ(), "STREAMLAB_HELPER=parent")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	child := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if s, ok := strings.CutPrefix(sc.Text(), "CHILD "); ok {
			child, _ = strconv.Atoi(s)
			break
		}
	}
	if child == 0 {
		t.Fatal("helper did not report its child")
	}
	// The helper's extra threads have come and gone: the child must live.
	time.Sleep(200 * time.Millisecond)
	if ProcessGone(child) {
		t.Fatal("child died while its parent was alive (Pdeathsig fired on a thread exit)")
	}
	cmd.Process.Kill()
	cmd.Wait()
	waitGone(t, child)
}

func TestLogSummary(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "l")
	var b strings.Builder
	b.WriteString("[t] INFO a\n[t] ERROR Exiting Kafka due to fatal exception (kafka.Kafka$)\n")
	b.WriteString("java.lang.IllegalStateException: bad\n\tat kafka.Foo(Foo.java:1)\n")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "[t] INFO shutdown %d\n", i)
	}
	os.WriteFile(log, []byte(b.String()), 0o644)
	p := &Process{logFile: log}
	s := p.LogSummary(5, 3)
	want := "[t] ERROR Exiting Kafka due to fatal exception (kafka.Kafka$)\njava.lang.IllegalStateException: bad\n...\n[t] INFO shutdown 27\n[t] INFO shutdown 28\n[t] INFO shutdown 29"
	if s != want {
		t.Errorf("LogSummary =\n%s\nwant\n%s", s, want)
	}
	if got := p.LogTail(1); got != "[t] INFO shutdown 29" {
		t.Errorf("LogTail(1) = %q", got)
	}
}

// A start that lost its port on every attempt says so in one message with
// a remedy, instead of the JVM's log.
func TestPortsKeptTakenNamesARemedy(t *testing.T) {
	var log []string
	for i := range 30 {
		log = append(log, fmt.Sprintf("\tat org.apache.kafka.network.SocketServer.line%d", i))
	}
	log[12] = "java.net.BindException: Address already in use"
	err := &ExitError{Name: "kafka", Pid: 42, Log: strings.Join(log, "\n")}
	if !AddressInUse(err) {
		t.Fatal("not recognised as a taken port")
	}
	msg := portsKeptTaken(err, 3).Error()
	if strings.Count(msg, "\n") > 0 || strings.Contains(msg, "SocketServer") {
		t.Errorf("the message still carries the log:\n%s", msg)
	}
	for _, want := range []string{"3 times", "BindException: Address already in use", "ss -ltnp", "streamlab cluster up", "--cluster embedded"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
}
