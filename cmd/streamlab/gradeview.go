package main

import (
	"context"
	"io"
	"os"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/term"

	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/tui/grading"
)

// gradeClass grades the submissions, showing the grade as it happens: a
// live view when stderr is a terminal, else (a pipe, a file, CI) a line
// per submission as it finishes. stdout is left to the summary table.
func (a *app) gradeClass(ctx context.Context, opts gradebook.Options, subs []gradebook.Submission) ([]gradebook.Entry, error) {
	if f, ok := liveTerminal(a.stderr); ok {
		progOpts := []tea.ProgramOption{tea.WithOutput(f)}
		if haveTerminal() != nil {
			// No keyboard to read (stdin redirected, no /dev/tty): the view
			// only draws, and ctrl+c is the terminal's SIGINT, which
			// cancels the command's context all the same.
			progOpts = append(progOpts, tea.WithInput(nil))
		}
		return grading.Grade(ctx, opts, subs, progOpts...)
	}
	p := &checkProgress{w: a.stderr}
	opts.Cluster, opts.Start = p.cluster, p.start
	opts.Done = grading.Lines(a.stderr, len(subs))
	return gradebook.Grade(ctx, opts, subs)
}

// liveTerminal is w when it is a terminal that can be redrawn in place.
func liveTerminal(w io.Writer) (*os.File, bool) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || os.Getenv("TERM") == "dumb" {
		return nil, false
	}
	return f, true
}
