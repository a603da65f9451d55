// Package runner runs a learner's program: in its own process group, with a
// time limit and a cap on the output kept, so that a program that hangs,
// forks or floods its output is stopped whole and nothing is left running.
package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Command is one program run.
type Command struct {
	Shell   string   // run with sh -c, so any language or tool works
	Dir     string   // working folder
	Env     []string // added to the inherited environment
	Timeout time.Duration
	// KeepBytes is how much output to keep for the report: the first and
	// last halves, with a marker where the middle was dropped.
	KeepBytes int
	// MaxBytes stops a program that writes more than this in all.
	MaxBytes int64
	// Line, if set, receives each line of output as it is written.
	Line func(string)
}

// Result is how the run ended.
type Result struct {
	ExitCode  int // -1 when the program was stopped or could not start
	TimedOut  bool
	Flooded   bool // stopped for writing more than MaxBytes
	Canceled  bool
	Output    string
	Truncated bool
	Duration  time.Duration
}

// Success reports whether the program ran to a clean exit.
func (r Result) Success() bool {
	return r.ExitCode == 0 && !r.TimedOut && !r.Flooded && !r.Canceled
}

// Describe says how the run ended, in a learner's words.
func (r Result) Describe(limit time.Duration) string {
	switch {
	case r.Canceled:
		return "stopped: the check was cancelled"
	case r.TimedOut:
		return fmt.Sprintf("stopped after the time limit of %s: does the program exit once its work is done?", limit)
	case r.Flooded:
		return "stopped for writing too much output"
	case r.ExitCode != 0:
		return fmt.Sprintf("exited with status %d", r.ExitCode)
	}
	return fmt.Sprintf("exited cleanly after %s", r.Duration.Round(10*time.Millisecond))
}

// grace is how long a stopped program has between SIGTERM and SIGKILL.
const grace = 2 * time.Second

// Run starts the command and waits for it. The error is for failures to
// start at all (no shell, no folder); a program that fails is a Result.
func Run(ctx context.Context, c Command) (Result, error) {
	if c.KeepBytes <= 0 {
		c.KeepBytes = 64 << 10
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 32 << 20
	}
	if _, err := os.Stat(c.Dir); err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("program folder: %w", err)
	}
	cmd := exec.Command("/bin/sh", "-c", c.Shell)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &capture{keep: c.KeepBytes, max: c.MaxBytes, line: c.Line, flood: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Stdin = nil

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("starting %q: %w", c.Shell, err)
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var timeout <-chan time.Time
	if c.Timeout > 0 {
		t := time.NewTimer(c.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	res := Result{}
	var waitErr error
	select {
	case waitErr = <-done:
	case <-timeout:
		res.TimedOut = true
		waitErr = stop(pgid, done)
	case <-out.flood:
		res.Flooded = true
		waitErr = stop(pgid, done)
	case <-ctx.Done():
		res.Canceled = true
		waitErr = stop(pgid, done)
	}
	// The shell may have exited while children it started live on in the
	// group: they are the program's too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)

	res.Duration = time.Since(start)
	res.Output, res.Truncated = out.String()
	res.ExitCode = 0
	var ee *exec.ExitError
	switch {
	case errors.As(waitErr, &ee):
		res.ExitCode = ee.ExitCode()
	case waitErr != nil:
		res.ExitCode = -1
	}
	if res.TimedOut || res.Flooded || res.Canceled {
		res.ExitCode = -1
	}
	return res, nil
}

// stop ends the whole process group: politely, then for certain.
func stop(pgid int, done <-chan error) error {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case err := <-done:
		return err
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return <-done
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
