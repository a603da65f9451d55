// Command streamlab is the course: with no arguments it opens the terminal
// UI; its subcommands grade, list and reset exercises for scripts and CI.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `streamlab — a terminal course in real-time data systems

usage:
  streamlab [--cluster P]          open the course
  streamlab list [--format json]   the labs and exercises, with your progress
  streamlab check ID [flags]       grade an exercise against a live cluster
  streamlab hint ID                the next hint for an exercise
  streamlab reset ID               restore an exercise's starter code
  streamlab validate [DIR]         check course content (labs/, exercises/, solutions/)
  streamlab cluster up|down|status keep a cluster running for later checks

check flags:
  --dir D        folder with the program (default: the exercise's folder)
  --run CMD      command that runs the program, in any language (default: the spec's)
  --cluster P    auto, docker, local, embedded or external (default auto: a cluster kept
                 up by ` + "`cluster up`" + `, else docker, else local, else embedded)
  --learner NAME prefix for every topic, group and namespace (shared clusters)
  --kafka-bootstrap, --pulsar-url, --pulsar-admin-url   an external cluster;
                 credentials come from the config file or STREAMLAB_* variables
  --format F     text, json or junit (default text)
  --seed N       input data seed, to repeat a run exactly
  --keep         keep the run's topics for inspection

exit codes for check: 0 pass, 1 fail, 2 error (the cluster or streamlab, not your program)
`

// exitError carries an exit code up to main.
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
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	app := &app{stdout: stdout, stderr: stderr}
	if len(args) == 0 || (len(args) > 0 && len(args[0]) > 0 && args[0][0] == '-' && args[0] != "-h" && args[0] != "--help") {
		return app.ui(ctx, args)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "list":
		return app.list(rest)
	case "check":
		return app.check(ctx, rest)
	case "hint":
		return app.hint(rest)
	case "reset":
		return app.reset(ctx, rest)
	case "validate":
		return app.validate(rest)
	case "cluster":
		return app.cluster(ctx, rest)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// parse parses flags that may come before or after positional arguments
// (`check ID --dir D` as well as `check --dir D ID`).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%s: %w", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
