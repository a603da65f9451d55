// Command streamlab is the course: with no arguments it opens the terminal
// UI; its subcommands grade, list and reset exercises for scripts and CI.
// It is wiring only: every command opens a course session and calls it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, the same for every command that grades.
const (
	codePass  = 0 // every check passed
	codeFail  = 1 // some check failed: the program's doing
	codeError = 2 // the cluster or streamlab failed: not the learner's doing
	codeUsage = 3 // bad arguments, unknown exercise, no program or workspace: nothing was graded
)

const exitCodesHelp = `Exit codes:
  0  pass: every check passed
  1  fail: some check failed (your program's doing)
  2  error: the cluster or streamlab failed (not your program's doing)
  3  usage: bad arguments, an unknown exercise, a missing --dir folder or no
     workspace yet; nothing was graded`

// exitError carries an exit code up to main; what went wrong was printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func main() {
	// Ctrl-C cancels the context: the learner's program, the cluster and
	// every child process are stopped before streamlab exits.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var ee exitError
	switch {
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case err != nil:
		fmt.Fprintln(os.Stderr, "streamlab:", err)
		os.Exit(codeError)
	}
}

// run runs one command line. Whatever went wrong is printed to stderr and
// returned as an exitError; the session the command opened is closed,
// stopping every cluster it started, before run returns.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := &app{stdout: stdout, stderr: stderr}
	root := a.commands()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if cerr := a.close(ctx); cerr != nil && err == nil {
		err = failed(cerr)
	}
	return a.exit(cmd, err)
}
