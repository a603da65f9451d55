package grading

import (
	"context"
	"fmt"
	"io"

	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
)

// Feed points a grade's callbacks at send, as the view's messages: the
// cluster's provider and start-up, each submission's grader events and
// each finished entry. Program output is left out: the view does not
// show it, and a chatty program prints thousands of lines.
func Feed(opts *gradebook.Options, send func(tea.Msg)) {
	opts.Cluster = func(c auto.Choice) {
		if c.Provider != nil {
			send(ClusterMsg{Provider: fmt.Sprintf("%s (%s)", c.Provider.Name(), c.Why)})
		}
	}
	opts.Start = func(e containers.Event) {
		if e.Stage != containers.StageFailed { // the grade's error says why
			send(ClusterMsg{Status: course.EventText(e)})
		}
	}
	opts.Events = func(s gradebook.Submission, e grader.Event) {
		if e.Line == "" {
			send(EventMsg{Name: s.Name, Event: e})
		}
	}
	opts.Done = func(e gradebook.Entry) { send(DoneMsg{Entry: e}) }
}

// Grade grades the class as gradebook.Grade does, with the live view on
// the terminal the program options name (tea.WithOutput(os.Stderr)). The
// view is fed by the grade's callbacks (opts' own are replaced); ctrl+c
// in it cancels the grade. Grade returns once the grade is over, every
// program it ran stopped, and the view has drawn its last frame, so that
// what the caller prints next is not drawn over.
func Grade(ctx context.Context, opts gradebook.Options, subs []gradebook.Submission, progOpts ...tea.ProgramOption) ([]gradebook.Entry, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = gradebook.DefaultJobs()
	}
	m := New(Options{
		Exercise: opts.Exercise.ID, Submissions: subs, Jobs: jobs, Checks: len(opts.Exercise.Checks),
		Context: ctx, Cancel: cancel,
	})
	// A signal cancels the grade's context (main does that), and the view
	// ends when the grade does: bubbletea ending on its own at a SIGINT
	// would leave the grade running unseen.
	p := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithoutSignalHandler()}, progOpts...)...)
	Feed(&opts, p.Send)

	type graded struct {
		entries []gradebook.Entry
		err     error
	}
	end := make(chan graded, 1)
	go func() {
		entries, err := gradebook.Grade(ctx, opts, subs)
		p.Send(FinishedMsg{Err: err}) // a no-op once the view has ended
		end <- graded{entries, err}
	}()
	_, viewErr := p.Run()
	if viewErr != nil {
		cancel() // a grade nobody can watch or cancel is stopped
	}
	g := <-end
	if viewErr != nil {
		return nil, fmt.Errorf("the live view of the grade failed (%w), so the grade was stopped; with stderr redirected (2>grade.log) it prints plain lines instead", viewErr)
	}
	return g.entries, g.err
}

// Lines is the grade's progress where there is no terminal: a line per
// submission as it finishes, and an error's reason under it. It is a
// gradebook Done callback (one call at a time), counting to total.
func Lines(w io.Writer, total int) func(gradebook.Entry) {
	done := 0
	return func(e gradebook.Entry) {
		done++
		how := fmt.Sprintf("%.1fs", e.Elapsed.Seconds())
		if e.Skipped {
			how = "skipped (unchanged)"
		}
		fmt.Fprintf(w, "[%d/%d] %s: %s %d/%d (%s)\n", done, total, e.Submission.Name, e.Result.Status, e.Result.Score, e.Result.MaxScore, how)
		if e.Result.Status == result.Error && !e.Skipped {
			fmt.Fprintf(w, "  %s\n", e.Result.Message)
		}
	}
}
