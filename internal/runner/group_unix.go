//go:build unix

package runner

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// group runs the program as a process group of its own and stops it by
// signalling that group. It reaches every process that stays in the group,
// but not one that moves to a group or session of its own.
type group struct {
	cmd *exec.Cmd
}

func startGroup(shell, dir string, env []string, as *Account, out *os.File) (program, error) {
	cmd := exec.Command("/bin/sh", "-c", shell)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: as.Credential()}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &group{cmd: cmd}, nil
}

func (g *group) wait() int {
	err := g.cmd.Wait()
	// The shell may have exited while children it started live on in the
	// group: they are the program's too.
	_ = syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL)
	return exitCode(err)
}

func (g *group) terminate() { _ = syscall.Kill(-g.cmd.Process.Pid, syscall.SIGTERM) }

func (g *group) kill() { _ = syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL) }

func (g *group) pid() int { return g.cmd.Process.Pid }

// exitCode is the exit code exec.Cmd.Wait's error stands for.
func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}

// Credential is the account's, for a process that starts as it: its user,
// its group and no supplementary groups (streamlab's must not come along).
// nil, for no account, leaves the process streamlab's.
func (a *Account) Credential() *syscall.Credential {
	if a == nil {
		return nil
	}
	return &syscall.Credential{Uid: a.UID, Gid: a.GID, Groups: []uint32{}}
}
