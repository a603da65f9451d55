package runner

// On Linux the program runs under a supervisor: a copy of this binary,
// started through /proc/self/exe and caught by the init below, that makes
// itself a child subreaper and then starts sh -c. Orphans of the program
// are reparented to the nearest subreaper ancestor, so every process the
// program ever starts stays a descendant of the supervisor, whatever group
// or session it moves to; once the program's main process has exited (or
// streamlab asks), the supervisor kills them all and returns only when it has
// no child left.
//
// Why a process of its own rather than making streamlab the subreaper:
// streamlab has other children (a local cluster's broker JVMs) and may run
// two programs at once, and an orphan reparented to streamlab carries no
// sign of which program, if any, it came from; streamlab would also have to
// reap those orphans without wait4(-1), which would steal the exit status
// exec.Cmd waits for in other goroutines. The supervisor's only children are
// the program's, so everything it adopts is the program's and wait4(-1) is
// safe there. A cgroup would do as well but is rarely writable by a learner.
// The cost is a start of this binary per run (about 10 ms). A program that
// kills the supervisor itself (kill -9 $PPID, or kill -9 0, as sh shares its
// process group) is back to what a process-group kill reaches.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// supervisorArg0 and supervisorEnv mark the re-executed binary.
	supervisorArg0 = "streamlab-run-supervisor"
	supervisorEnv  = "STREAMLAB_RUN_SUPERVISOR"
	// sweepLimit bounds the supervisor's killing: a process stuck in the
	// kernel ignores SIGKILL until it comes back.
	sweepLimit = 5 * time.Second
	// hardKill is when streamlab stops waiting for a supervisor told to
	// kill, and kills it and the program's group itself.
	hardKill = sweepLimit + 5*time.Second
)

func init() {
	if (len(os.Args) == 2 || len(os.Args) == 3) && os.Args[0] == supervisorArg0 && os.Getenv(supervisorEnv) == "1" {
		os.Exit(supervise(os.Args[1], os.Args[2:]))
	}
}

// supervised is the streamlab side of a supervisor. Its stdin is the
// control pipe: 't' asks every process of the program to stop, 'k' (or the
// pipe closing, as when streamlab dies) kills them all. File descriptor 3
// carries back "ok" once sh has started (or "fail ERR"), then "exit N" or
// "signal N" for how sh ended. sh stays in the supervisor's process group,
// so that streamlab can still reach it should the program kill the
// supervisor.
type supervised struct {
	cmd    *exec.Cmd
	ctl    *os.File
	status *os.File
	lines  *bufio.Reader

	mu       sync.Mutex
	finished bool
	hard     *time.Timer
}

func start(shell, dir string, env []string, as *Account, out *os.File) (program, error) {
	s, err := startSupervised(shell, dir, env, as, out)
	if errors.Is(err, errNoSupervisor) {
		return startGroup(shell, dir, env, as, out)
	}
	return s, err
}

var errNoSupervisor = errors.New("cannot start the supervisor")

func startSupervised(shell, dir string, env []string, as *Account, out *os.File) (*supervised, error) {
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoSupervisor, err)
	}
	stR, stW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, fmt.Errorf("%w: %v", errNoSupervisor, err)
	}
	args := []string{supervisorArg0, shell}
	if as != nil {
		// The supervisor stays streamlab's user, so that it can stop
		// whatever the program starts; only sh takes the account's.
		procs, fileBytes := as.limits()
		args = append(args, fmt.Sprintf("%d:%d:%d:%d", as.UID, as.GID, procs, fileBytes))
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        args,
		Dir:         dir,
		Env:         append(env[:len(env):len(env)], supervisorEnv+"=1"),
		Stdin:       ctlR,
		Stdout:      out,
		Stderr:      out,
		ExtraFiles:  []*os.File{stW},
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	err = cmd.Start()
	ctlR.Close()
	stW.Close()
	if err != nil {
		ctlW.Close()
		stR.Close()
		return nil, fmt.Errorf("%w: %v", errNoSupervisor, err)
	}
	s := &supervised{cmd: cmd, ctl: ctlW, status: stR, lines: bufio.NewReader(stR)}
	// No line at all is a supervisor the program killed at once: wait
	// handles that like any run.
	if msg, ok := strings.CutPrefix(s.readLine(10*time.Second), "fail "); ok {
		_ = cmd.Wait()
		ctlW.Close()
		stR.Close()
		return nil, errors.New(msg)
	}
	return s, nil
}

// readLine reads one status line, or "" if none comes in time.
func (s *supervised) readLine(limit time.Duration) string {
	_ = s.status.SetReadDeadline(time.Now().Add(limit))
	line, _ := s.lines.ReadString('\n')
	return strings.TrimSuffix(line, "\n")
}

func (s *supervised) wait() int {
	_ = s.cmd.Wait() // the status line says how sh ended
	s.mu.Lock()
	s.finished = true
	if s.hard != nil {
		s.hard.Stop()
	}
	s.mu.Unlock()
	line := s.readLine(time.Second)
	if line == "ok" { // came after start stopped waiting for it
		line = s.readLine(time.Second)
	}
	s.ctl.Close()
	s.status.Close()
	if n, ok := strings.CutPrefix(line, "exit "); ok {
		if code, err := strconv.Atoi(n); err == nil {
			return code
		}
	}
	if line == "" {
		// The supervisor itself was killed (a program may kill its parent):
		// the process group is all that is still in reach.
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	}
	return -1 // a signal ended sh, or nothing says how it ended
}

func (s *supervised) terminate() { _, _ = s.ctl.Write([]byte{'t'}) }

func (s *supervised) pid() int { return s.cmd.Process.Pid }

func (s *supervised) kill() {
	_, _ = s.ctl.Write([]byte{'k'})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished || s.hard != nil {
		return
	}
	s.hard = time.AfterFunc(hardKill, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.finished {
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		}
	})
}

// supervise is the supervisor's whole life: it returns its exit code.
// as is empty, or holds "UID:GID:PROCS:FILEBYTES", the account sh runs as
// and its limits.
func supervise(shell string, as []string) int {
	os.Unsetenv(supervisorEnv)
	status := os.NewFile(3, "status")
	syscall.CloseOnExec(3)
	var sys *syscall.SysProcAttr
	if len(as) == 1 {
		var uid, gid uint32
		var procs, fileBytes uint64
		if _, err := fmt.Sscanf(as[0], "%d:%d:%d:%d", &uid, &gid, &procs, &fileBytes); err != nil {
			fmt.Fprintf(status, "fail the account %q: %v\n", as[0], err)
			return 127
		}
		// Limits are inherited across fork and exec; the supervisor, still
		// root, is not held by them, the account's processes are.
		for _, l := range []struct {
			res int
			max uint64
		}{{unix.RLIMIT_NPROC, procs}, {unix.RLIMIT_FSIZE, fileBytes}} {
			if err := unix.Setrlimit(l.res, &unix.Rlimit{Cur: l.max, Max: l.max}); err != nil {
				fmt.Fprintf(status, "fail limiting the account's programs: %v\n", err)
				return 127
			}
		}
		sys = &syscall.SysProcAttr{Credential: (&Account{UID: uid, GID: gid}).Credential()}
	}
	// The program may signal its process group, which the supervisor
	// shares, or its parent; only streamlab, through the control pipe,
	// stops the supervisor. Caught rather than ignored, so that sh starts
	// with the default handlers.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU)
	// On a kernel without subreapers (before 3.4), the sweep below still
	// reaches every descendant that has not been orphaned.
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	// Not dumpable, so the program cannot reach the supervisor's pipes
	// through /proc/PID/fd, nor ptrace it; sh's exec makes sh dumpable again.
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)

	null, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Fprintf(status, "fail %v\n", err)
		return 127
	}
	proc, err := os.StartProcess("/bin/sh", []string{"sh", "-c", shell}, &os.ProcAttr{
		Env:   os.Environ(),
		Files: []*os.File{null, os.Stdout, os.Stderr},
		Sys:   sys,
	})
	null.Close()
	if err != nil {
		fmt.Fprintf(status, "fail %v\n", err)
		return 127
	}
	main := proc.Pid
	_ = proc.Release() // reaped below, with the orphans
	fmt.Fprintln(status, "ok")

	ctl := make(chan byte, 1)
	go func() {
		b := make([]byte, 1)
		for {
			if _, err := os.Stdin.Read(b); err != nil {
				ctl <- 'k'
				return
			}
			ctl <- b[0]
		}
	}()
	exited := make(chan syscall.WaitStatus, 1)
	gone := make(chan struct{})
	go func() {
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, 0, nil)
			switch {
			case err == syscall.EINTR:
			case err != nil:
				// ECHILD: no child left, and so no descendant, as every
				// orphan would have been reparented here.
				close(gone)
				return
			case pid == main:
				exited <- ws
			}
		}
	}()

wait:
	for {
		select {
		case ws := <-exited:
			exited <- ws
			break wait
		case c := <-ctl:
			if c != 't' {
				break wait
			}
			signalAll(syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(sweepLimit)
sweep:
	for time.Now().Before(deadline) {
		signalAll(syscall.SIGKILL)
		select {
		case <-gone:
			break sweep
		case <-time.After(5 * time.Millisecond):
		}
	}
	select {
	case ws := <-exited:
		if ws.Signaled() {
			fmt.Fprintf(status, "signal %d\n", ws.Signal())
			return 128 + int(ws.Signal())
		}
		fmt.Fprintf(status, "exit %d\n", ws.ExitStatus())
		return ws.ExitStatus()
	default:
		fmt.Fprintf(status, "lost: sh did not end within %s of SIGKILL\n", sweepLimit)
		return 125
	}
}

// signalAll sends sig to every descendant of this process.
func signalAll(sig syscall.Signal) {
	self := os.Getpid()
	tree := descendants(self)
	for pid := range tree {
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			if err != unix.ESRCH { // no pidfds (Linux before 5.3, or a seccomp filter)
				_ = unix.Kill(pid, sig)
			}
			continue
		}
		// The pid may have been reaped and reused since the walk; the
		// pidfd holds whichever process has it now, so check that one is
		// still ours before signalling it.
		if ppid, ok := parentOf(pid); ok && (ppid == self || tree[ppid]) {
			_ = unix.PidfdSendSignal(fd, sig, nil, 0)
		}
		unix.Close(fd)
	}
}

// descendants walks /proc for the processes descending from root.
func descendants(root int) map[int]bool {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	tree := map[int]bool{}
	next := []int{root}
	for len(next) > 0 {
		pid := next[len(next)-1]
		next = next[:len(next)-1]
		for _, c := range children[pid] {
			if !tree[c] {
				tree[c] = true
				next = append(next, c)
			}
		}
	}
	return tree
}

// parentOf reads a process's parent from /proc/PID/stat.
func parentOf(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may itself hold spaces and ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}
