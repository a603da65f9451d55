package local

// Generic handling of child processes (JVMs) for the local provider. Nothing
// in this file knows about Kafka: the Kafka code in kafka.go and, later, the
// Pulsar code use the same pieces in the same order:
//
//	ports, err := FreePorts(2)                       // loopback ports to configure
//	dir, err := os.MkdirTemp("", "streamlab-x-*")    // config, data and log live here
//	p, err := StartProcess(ProcessSpec{              // own process group, log to file
//		Name: "pulsar", Path: java, Args: args,
//		Dir: dir, LogFile: filepath.Join(dir, "pulsar.log"),
//	})
//	err = WaitReady(ctx, p, 200*time.Millisecond, probe) // probe: a real protocol round-trip
//	...
//	err = p.Stop(ctx, grace)                         // SIGTERM the group, then SIGKILL
//	os.RemoveAll(dir)
//
// If the process exits while WaitReady polls, WaitReady fails at once with an
// *ExitError that carries the interesting lines of the process's log, so the
// learner sees "Address already in use" or "UnsupportedClassVersionError"
// instead of a time-out.
//
// Processes are started in their own process group (Setpgid) so that Stop and
// Kill reach everything the JVM may have started, and, on Linux, with
// Pdeathsig=SIGKILL so that a parent that dies without running Stop (a crash,
// kill -9) does not leave a broker running. Pdeathsig fires when the *thread*
// that forked the child exits, not the process; the Go runtime may end
// threads (when a goroutine that locked its thread exits), so all children
// are forked from one goroutine that locks its OS thread and never exits
// (see spawn). That thread lives as long as the parent process does.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ProcessSpec describes a child process to start with StartProcess.
type ProcessSpec struct {
	Name    string   // short name for messages ("kafka", "pulsar")
	Path    string   // executable, e.g. the java binary
	Args    []string // arguments, without the program name
	Dir     string   // working directory ("" = the parent's)
	Env     []string // environment; nil = the parent's
	LogFile string   // stdout and stderr are appended here; required
}

// Process is a running child process that leads its own process group.
// Its methods are safe for concurrent use.
type Process struct {
	name    string
	pid     int
	logFile string
	cmd     *exec.Cmd
	log     *os.File

	done    chan struct{} // closed once the process has exited and been reaped
	waitErr error         // cmd.Wait's result; read only after done is closed
}

// StartProcess starts spec's program in a new process group with its output
// going to spec.LogFile, and returns once it is running (not ready: see
// WaitReady). A goroutine reaps the process when it exits; Done is closed
// then.
func StartProcess(spec ProcessSpec) (*Process, error) {
	if spec.LogFile == "" {
		return nil, errors.New("local: ProcessSpec.LogFile is required")
	}
	name := spec.Name
	if name == "" {
		name = spec.Path
	}
	logf, err := os.OpenFile(spec.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("local: %s: open log file: %w", name, err)
	}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Dir = spec.Dir
	cmd.Env = spec.Env
	cmd.Stdin = nil // /dev/null
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(cmd.SysProcAttr, syscall.SIGKILL)

	if err := spawn(cmd); err != nil {
		logf.Close()
		return nil, fmt.Errorf("local: %s: start %s: %w", name, spec.Path, err)
	}
	p := &Process{
		name:    name,
		pid:     cmd.Process.Pid,
		logFile: spec.LogFile,
		cmd:     cmd,
		log:     logf,
		done:    make(chan struct{}),
	}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// setPdeathsig sets SysProcAttr.Pdeathsig where the platform has it (Linux,
// FreeBSD). Reflection keeps this file free of per-OS build tags.
func setPdeathsig(attr *syscall.SysProcAttr, sig syscall.Signal) {
	f := reflect.ValueOf(attr).Elem().FieldByName("Pdeathsig")
	if f.IsValid() && f.CanSet() && f.Type() == reflect.TypeOf(sig) {
		f.Set(reflect.ValueOf(sig))
	}
}

// spawner forks every child from one goroutine locked to its OS thread for
// the life of the parent, so that Pdeathsig (which is tied to the forking
// thread) fires only when the parent process itself dies.
var spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	errc chan error
}

func spawn(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: this thread must not exit
			for r := range spawner.reqs {
				r.errc <- r.cmd.Start()
			}
		}()
	})
	errc := make(chan error, 1)
	spawner.reqs <- spawnReq{cmd: cmd, errc: errc}
	return <-errc
}

// Name is the name given in the ProcessSpec.
func (p *Process) Name() string { return p.name }

// Pid is the process id, which is also its process group id.
func (p *Process) Pid() int { return p.pid }

// LogFile is the path of the file that receives the process's output.
func (p *Process) LogFile() string { return p.logFile }

// Done is closed once the process has exited (and been reaped).
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// ExitErr is the result of waiting for the process (nil for exit status 0,
// an *exec.ExitError otherwise). Only meaningful once Done is closed.
func (p *Process) ExitErr() error {
	<-p.done
	return p.waitErr
}

// signalGroup sends sig to the process group, unless the leader is already
// reaped (its pid, and so the group id, could then belong to someone else).
func (p *Process) signalGroup(sig syscall.Signal) error {
	if p.Exited() {
		return nil
	}
	err := syscall.Kill(-p.pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// killWait is how long Kill and Stop wait for the process after SIGKILL.
const killWait = 10 * time.Second

// Kill ends the process group at once with SIGKILL and waits until the
// process has exited. It is safe to call more than once.
func (p *Process) Kill() error {
	if err := p.signalGroup(syscall.SIGKILL); err != nil {
		return fmt.Errorf("local: kill %s (pid %d): %w", p.name, p.pid, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(killWait):
		return fmt.Errorf("local: %s (pid %d) still running %v after SIGKILL", p.name, p.pid, killWait)
	}
}

// Stop asks the process group to end with SIGTERM, waits up to grace (or
// until ctx is done, whichever is first), then sends SIGKILL and waits for
// the process to exit. It returns nil once the process is gone, whatever its
// exit status; it is safe to call more than once.
func (p *Process) Stop(ctx context.Context, grace time.Duration) error {
	if p.Exited() {
		return nil
	}
	if grace > 0 && ctx.Err() == nil {
		if err := p.signalGroup(syscall.SIGTERM); err != nil {
			return fmt.Errorf("local: stop %s (pid %d): %w", p.name, p.pid, err)
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.done:
			// The leader is gone; kill any member it left behind (the
			// group id stays taken while members remain, and a new group
			// with this id would need the pid space to wrap around first).
			syscall.Kill(-p.pid, syscall.SIGKILL)
			return nil
		case <-t.C:
		case <-ctx.Done():
		}
	}
	return p.Kill()
}

// ExitError reports that a process exited while it was expected to run,
// typically during start-up. Its message includes the log lines that say why.
type ExitError struct {
	Name    string
	Pid     int
	Err     error  // the wait result: *exec.ExitError or nil (exit status 0)
	LogFile string // may be gone by the time the error is read
	Log     string // LogSummary of the process's log
}

func (e *ExitError) Error() string {
	status := "exit status 0"
	if e.Err != nil {
		status = e.Err.Error()
	}
	msg := fmt.Sprintf("%s (pid %d) exited during start-up (%s)", e.Name, e.Pid, status)
	if e.Log != "" {
		msg += "; its log says:\n" + e.Log
	}
	return msg
}

func (e *ExitError) Unwrap() error { return e.Err }

// exitError builds the ExitError for an exited process.
func (p *Process) exitError() *ExitError {
	return &ExitError{Name: p.name, Pid: p.pid, Err: p.ExitErr(), LogFile: p.logFile, Log: p.LogSummary(10, 15)}
}

// Wait waits until the process exits or ctx is done. It returns nil for exit
// status 0, an *ExitError for any other status, and ctx.Err() if ctx ends
// first (the process is left running: call Kill or Stop).
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		if p.waitErr == nil {
			return nil
		}
		e := p.exitError()
		return e
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WaitReady calls probe every interval until it returns nil, and returns
// nil then. It returns an *ExitError as soon as the process exits, and
// ctx.Err() (wrapped with the last probe error) when ctx ends first. probe
// gets a context that ends with ctx; it should bound its own attempt.
func WaitReady(ctx context.Context, p *Process, interval time.Duration, probe func(context.Context) error) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last error
	for {
		if p.Exited() {
			return p.exitError()
		}
		if last = probe(ctx); last == nil {
			// A probe can succeed against a process that is already
			// dying; trust it only if the process is still there.
			if p.Exited() {
				return p.exitError()
			}
			return nil
		}
		select {
		case <-p.done:
			return p.exitError()
		case <-ctx.Done():
			return fmt.Errorf("%w (last check: %v)", ctx.Err(), last)
		case <-t.C:
		}
	}
}

// DialProbe returns a probe for WaitReady that succeeds once addr accepts a
// TCP connection. An open port is not readiness: use it as a cheap first
// step before a protocol-level check.
func DialProbe(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
}

// FreePorts returns n distinct TCP ports that are free on 127.0.0.1 at the
// time of the call. Another program may take one before the child binds it;
// callers should recognise a bind failure (see AddressInUse) and retry with
// new ports.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	lns := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("local: find a free port on 127.0.0.1: %w", err)
		}
		lns = append(lns, l) // held open so the next Listen gets another port
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// AddressInUse reports whether err is an *ExitError whose log shows that
// the process could not bind a port, the one start-up failure worth retrying
// with other ports.
func AddressInUse(err error) bool {
	var ee *ExitError
	if !errors.As(err, &ee) {
		return false
	}
	return strings.Contains(ee.Log, "Address already in use") || strings.Contains(ee.Log, "BindException")
}

// portsKeptTaken replaces a start-up log (tens of lines of a JVM's stack)
// with what happened and what to do, when every attempt lost its port.
func portsKeptTaken(err error, attempts int) error {
	var ee *ExitError
	errors.As(err, &ee)
	line := ""
	for _, l := range strings.Split(ee.Log, "\n") {
		if strings.Contains(l, "Address already in use") || strings.Contains(l, "BindException") {
			line = strings.TrimSpace(l)
			break
		}
	}
	return fmt.Errorf("%s lost a loopback port it was given %d times in a row (%s): another program is taking ports as they are handed out. "+
		"See which one with `ss -ltnp`, or start a cluster once with `streamlab cluster up` and reuse it, or use --cluster embedded (Kafka only) or docker",
		ee.Name, attempts, line)
}

// tailBytes is how much of the end of a log LogTail and LogSummary read.
const tailBytes = 256 << 10

// LogTail returns the last n lines of the process's log.
func (p *Process) LogTail(n int) string {
	return strings.Join(lastLines(allLines(readTail(p.logFile)), n), "\n")
}

// LogSummary returns what a person needs to see of a failed process's log:
// up to maxErrors distinct lines that look like errors (ERROR/FATAL lines,
// exceptions, JVM "Error:" lines), then the last tail lines, without
// repeating a line. Lines are cut at 500 characters.
func (p *Process) LogSummary(maxErrors, tail int) string {
	lines := allLines(readTail(p.logFile))
	last := lastLines(lines, tail)
	inLast := make(map[string]bool, len(last))
	for _, l := range last {
		inLast[l] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, l := range lines {
		if len(out) >= maxErrors {
			break
		}
		if looksLikeError(l) && !seen[l] && !inLast[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	if len(out) > 0 {
		out = append(out, "...")
	}
	out = append(out, last...)
	for i, l := range out {
		if len(l) > 500 {
			out[i] = l[:500] + "…"
		}
	}
	return strings.Join(out, "\n")
}

func looksLikeError(l string) bool {
	if strings.HasPrefix(strings.TrimSpace(l), "at ") { // stack frame
		return false
	}
	for _, s := range []string{" ERROR ", " FATAL ", "Exception:", "Exception ", "Error:", "Error ", "error:"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func readTail(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > tailBytes {
		f.Seek(st.Size()-tailBytes, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return b
}

func allLines(b []byte) []string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if l := strings.TrimRight(sc.Text(), "\r"); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func lastLines(lines []string, n int) []string {
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// ProcessGone reports whether no process with pid, and no member of the
// process group pid, exists any more (zombies count as gone only once
// reaped). Tests use it to prove that Stop leaves nothing behind.
func ProcessGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) && errors.Is(syscall.Kill(-pid, 0), syscall.ESRCH)
}

// itoa is strconv.Itoa, kept short for building command lines.
func itoa(i int) string { return strconv.Itoa(i) }
