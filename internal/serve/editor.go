package serve

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/streamlab/streamlab/internal/runner"
)

// Editors a server offers when the instructor names none, best first.
// Each runs without a way to a shell (a learner in the editor must not
// get a shell on the server) and keeps no history file shared by every
// learner (vim's viminfo would carry one learner's registers to the next).
var defaultEditors = [][]string{
	{"rvim", "-i", "NONE"},
	{"vim", "-Z", "-i", "NONE"},
	{"nano", "--restricted"},
	{"rnano"},
	{"vi"},
}

// ChooseEditor is the editor command line: the one given (the instructor's
// $EDITOR or --editor), else the first of defaultEditors on PATH.
func ChooseEditor(given string) ([]string, error) {
	if f := strings.Fields(given); len(f) > 0 {
		if _, err := exec.LookPath(f[0]); err != nil {
			return nil, fmt.Errorf("the editor %q is not on this machine's PATH: give another with --editor", f[0])
		}
		return f, nil
	}
	for _, e := range defaultEditors {
		if _, err := exec.LookPath(e[0]); err == nil {
			return e, nil
		}
	}
	return nil, fmt.Errorf("no editor found on this machine (looked for rvim, vim, nano, vi): install one, or give one with --editor")
}

// editorCommand is the command that edits file for a learner: on the
// server, in the learner's terminal (tty, the slave side of their SSH
// session's terminal), in a session of its own whose controlling terminal
// that is, so that the editor hears of window resizes and Ctrl-C. Its
// environment is made from scratch: the server's holds the workshop's
// secrets, and an editor can print its environment. When ctx ends (the
// learner's connection ended, or the server stops) the editor hears a
// hangup, as from a closed terminal, and is killed if it lingers. With
// an account (serve --users) the editor is the learner's: it runs as
// their user, at home in their home, so a command it offers can reach
// nothing of anyone else's.
func editorCommand(ctx context.Context, editor []string, file, home, term string, tty *os.File, as *runner.Account) *exec.Cmd {
	cmd := exec.CommandContext(ctx, editor[0], append(editor[1:], file)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGHUP) }
	cmd.WaitDelay = 5 * time.Second
	if as != nil {
		home = as.Home
	}
	cmd.Env = []string{"HOME=" + home, "TERM=" + term, "LANG=C.UTF-8"}
	if p := os.Getenv("PATH"); p != "" {
		cmd.Env = append(cmd.Env, "PATH="+p)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: as.Credential()}
	if tty != nil {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
		cmd.SysProcAttr.Setsid, cmd.SysProcAttr.Setctty = true, true
	}
	return cmd
}
