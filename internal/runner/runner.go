// Package runner runs a learner's program with a time limit and a cap on the
// output kept, so that a program that hangs, forks or floods its output is
// stopped whole and nothing it started is left running, whatever process
// group or session its descendants move to (see supervise_linux.go).
package runner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Command is one program run.
type Command struct {
	Shell   string   // run with sh -c, so any language or tool works
	Dir     string   // working folder
	Env     []string // added to an ordinary environment (see programEnviron)
	Timeout time.Duration
	// KeepBytes is how much output to keep for the report: the first and
	// last halves, with a marker where the middle was dropped.
	KeepBytes int
	// MaxBytes stops a program that writes more than this in all.
	MaxBytes int64
	// Line, if set, receives each line of output as it is written.
	Line func(string)
	// As, when set, runs the program as that user instead of streamlab's
	// own (see Account); streamlab must be root.
	As *Account
}

// Result is how the run ended.
type Result struct {
	ExitCode  int // -1 when the program was stopped or could not start
	TimedOut  bool
	Flooded   bool // stopped for writing more than MaxBytes
	Canceled  bool
	Killed    bool // stopped by Process.Kill
	Output    string
	Truncated bool
	Duration  time.Duration
}

// Success reports whether the program ran to a clean exit.
func (r Result) Success() bool {
	return r.ExitCode == 0 && !r.TimedOut && !r.Flooded && !r.Canceled && !r.Killed
}

// Describe says how the run ended, in a learner's words.
func (r Result) Describe(limit time.Duration) string {
	switch {
	case r.Canceled:
		return "stopped: the check was cancelled"
	case r.Killed:
		return fmt.Sprintf("killed by the grader after %s", r.Duration.Round(10*time.Millisecond))
	case r.TimedOut:
		return fmt.Sprintf("stopped after the time limit of %s: does the program exit once its work is done?", limit)
	case r.Flooded:
		return "stopped for writing too much output"
	case r.ExitCode != 0:
		return fmt.Sprintf("exited with status %d", r.ExitCode)
	}
	return fmt.Sprintf("exited cleanly after %s", r.Duration.Round(10*time.Millisecond))
}

const (
	// grace is how long a stopped program has between SIGTERM and SIGKILL.
	grace = 2 * time.Second
	// drain is how long output may keep coming once the program has ended.
	drain = 500 * time.Millisecond
)

// program is a started program, run the way the platform allows.
type program interface {
	// wait blocks until the program's main process has ended and the
	// processes it started are stopped, as far as the platform reaches,
	// and returns its exit code (-1 when a signal ended it).
	wait() int
	// terminate asks every process of the program to stop.
	terminate()
	// kill stops every process of the program for certain.
	kill()
	// pid is the process every other process of the program descends
	// from.
	pid() int
}

// Run starts the command and waits for it. The error is for failures to
// start at all (no shell, no folder); a program that fails is a Result.
func Run(ctx context.Context, c Command) (Result, error) {
	p, err := Start(ctx, c)
	if err != nil {
		return Result{ExitCode: -1}, err
	}
	return p.Wait()
}

// Process is a started program. Wait must be called once, to collect it;
// Kill may be called any time, from any goroutine.
type Process struct {
	c       Command
	ctx     context.Context
	p       program
	r       *os.File
	out     *capture
	copied  chan struct{}
	done    chan int
	began   time.Time
	killReq chan struct{}
	once    sync.Once
}

// Start starts the command without waiting for it. The error is for
// failures to start at all (no shell, no folder).
func Start(ctx context.Context, c Command) (*Process, error) {
	if c.KeepBytes <= 0 {
		c.KeepBytes = 64 << 10
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 32 << 20
	}
	if _, err := os.Stat(c.Dir); err != nil {
		return nil, fmt.Errorf("program folder: %w", err)
	}
	// The runner owns the pipe, rather than exec.Cmd, so that waiting for
	// the program and waiting for its output are separate: a descendant
	// that keeps the output open cannot hold Wait up.
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("output pipe for %q: %w", c.Shell, err)
	}
	out := &capture{keep: c.KeepBytes, max: c.MaxBytes, line: c.Line, flood: make(chan struct{})}

	began := time.Now()
	env := programEnviron(c.Env)
	if c.As != nil {
		env = c.As.environ(env)
	}
	p, err := start(c.Shell, c.Dir, env, c.As, w)
	w.Close()
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("starting %q: %w", c.Shell, err)
	}
	pr := &Process{c: c, ctx: ctx, p: p, r: r, out: out, began: began,
		copied: make(chan struct{}), done: make(chan int, 1), killReq: make(chan struct{})}
	go func() {
		_, _ = io.Copy(out, r)
		close(pr.copied)
	}()
	go func() { pr.done <- p.wait() }()
	return pr, nil
}

// Pid is the process every process of the program descends from (on
// Linux, its supervisor; elsewhere, its shell).
func (pr *Process) Pid() int { return pr.p.pid() }

// Kill stops every process of the program at once, with SIGKILL and no
// grace: a crash, as a fault injected by the grader. Wait then reports
// Killed.
func (pr *Process) Kill() {
	pr.once.Do(func() {
		close(pr.killReq)
		pr.p.kill()
	})
}

// Wait waits for the program to end (or stops it at its time limit, on a
// flood or when ctx ends) and returns how it ended.
func (pr *Process) Wait() (Result, error) {
	defer pr.r.Close()
	c, p, done, out := pr.c, pr.p, pr.done, pr.out
	var timeout <-chan time.Time
	if c.Timeout > 0 {
		t := time.NewTimer(c.Timeout - time.Since(pr.began))
		defer t.Stop()
		timeout = t.C
	}
	res := Result{}
	select {
	case res.ExitCode = <-done:
	case <-pr.killReq:
		res.Killed = true
		res.ExitCode = <-done
	case <-timeout:
		res.TimedOut = true
		res.ExitCode = stop(p, done)
	case <-out.flood:
		res.Flooded = true
		res.ExitCode = stop(p, done)
	case <-pr.ctx.Done():
		res.Canceled = true
		res.ExitCode = stop(p, done)
	}
	// A kill that came as the program ended on its own still counts as
	// the grader's: the program did not get to finish on its terms.
	select {
	case <-pr.killReq:
		res.Killed = true
	default:
	}
	// Output a process still holds open (one out of reach, or one handed
	// the pipe) gets a short window, then is cut off.
	select {
	case <-pr.copied:
	case <-time.After(drain):
		pr.r.Close()
		<-pr.copied
	}

	res.Duration = time.Since(pr.began)
	res.Output, res.Truncated = out.String()
	if res.TimedOut || res.Flooded || res.Canceled || res.Killed {
		res.ExitCode = -1
	}
	return res, nil
}

// stop ends the whole program: politely, then for certain.
func stop(p program, done <-chan int) int {
	p.terminate()
	select {
	case code := <-done:
		return code
	case <-time.After(grace):
	}
	p.kill()
	return <-done
}

// The program gets an ordinary environment rather than streamlab's own:
// streamlab's variables hold credentials (STREAMLAB_KAFKA_SASL_PASSWORD,
// STREAMLAB_PULSAR_TOKEN) and point at the progress file a program could
// rewrite to forge a pass. An allow-list, because a deny-list would miss
// whatever streamlab, or a library in it, reads next. What the program
// needs to reach the cluster comes in Command.Env.
var (
	keepNames = setOf(
		"PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "COLORTERM", "NO_COLOR",
		"LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP",
		"XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR",
		"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
		"SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
		// Go (go help environment): named one by one, as a GO prefix
		// would also pass GOOGLE_APPLICATION_CREDENTIALS.
		"GOROOT", "GOPATH", "GOBIN", "GOCACHE", "GOCACHEPROG", "GOMODCACHE", "GOENV", "GOFLAGS",
		"GOPROXY", "GONOPROXY", "GOPRIVATE", "GONOSUMDB", "GOSUMDB", "GOINSECURE", "GOVCS", "GOAUTH",
		"GOTOOLCHAIN", "GOTELEMETRY", "GOTELEMETRYDIR", "GOTMPDIR", "GOWORK", "GO111MODULE",
		"GOOS", "GOARCH", "GOAMD64", "GOARM", "GOARM64", "GO386", "GOMIPS", "GOMIPS64", "GOPPC64",
		"GORISCV64", "GOWASM", "GOEXPERIMENT", "GOFIPS140", "GODEBUG", "GOGC", "GOMEMLIMIT",
		"GOMAXPROCS", "GOTRACEBACK", "GCCGO", "CC", "CXX", "AR", "PKG_CONFIG", "PKG_CONFIG_PATH",
		"LD_LIBRARY_PATH", "LIBRARY_PATH", "CPATH", "DYLD_LIBRARY_PATH", "DYLD_FALLBACK_LIBRARY_PATH",
		"JAVA_HOME", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "MAVEN_OPTS", "M2_HOME", "GRADLE_USER_HOME",
		"VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV",
		"NODE_PATH", "NODE_OPTIONS", "CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN",
	)
	keepPrefixes = []string{"LC_", "CGO_", "PYTHON", "PIP_", "UV_"}
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// programEnviron is the program's environment: the allowed part of
// streamlab's own, then extra.
func programEnviron(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if keepVariable(name) {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func keepVariable(name string) bool {
	if strings.HasPrefix(name, "STREAMLAB_") {
		return false
	}
	if keepNames[name] {
		return true
	}
	for _, p := range keepPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// capture keeps the head and tail of the output, passes whole lines to a
// callback, and signals once when the output passes its maximum.
type capture struct {
	mu      sync.Mutex
	keep    int
	max     int64
	total   int64
	head    bytes.Buffer
	tail    []byte // ring of the last keep/2 bytes
	partial []byte
	line    func(string)
	flood   chan struct{}
	flooded bool
}

var _ io.Writer = (*capture)(nil)

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total += int64(len(p))
	if c.total > c.max && !c.flooded {
		c.flooded = true
		close(c.flood)
	}
	half := c.keep / 2
	if room := half - c.head.Len(); room > 0 {
		c.head.Write(p[:min(room, len(p))])
	}
	c.tail = append(c.tail, p...)
	if len(c.tail) > half {
		c.tail = c.tail[len(c.tail)-half:]
	}
	if c.line != nil && !c.flooded {
		c.partial = append(c.partial, p...)
		for {
			i := bytes.IndexByte(c.partial, '\n')
			if i < 0 {
				break
			}
			c.line(string(c.partial[:i]))
			c.partial = c.partial[i+1:]
		}
		if len(c.partial) > 4096 { // a line that never ends is still shown
			c.line(string(c.partial))
			c.partial = c.partial[:0]
		}
	}
	return len(p), nil
}

// String returns the kept output and whether some was dropped.
func (c *capture) String() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.total <= int64(c.head.Len()) {
		return c.head.String(), false
	}
	if c.total <= int64(c.keep/2*2) && c.total <= int64(c.head.Len()+len(c.tail)) {
		// Head and tail overlap: the whole output is the tail plus the head's start.
		overlap := int64(c.head.Len()+len(c.tail)) - c.total
		return c.head.String() + string(c.tail[overlap:]), false
	}
	dropped := c.total - int64(c.head.Len()+len(c.tail))
	return fmt.Sprintf("%s\n... [%d bytes of output left out] ...\n%s", c.head.String(), dropped, c.tail), true
}
