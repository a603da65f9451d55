package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/gradebook"
)

// gradeArgs: grade takes an exercise id, or none with --course.
func gradeArgs(course *bool) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if !*course {
			return exerciseArg(cmd, args)
		}
		if len(args) > 0 {
			return usage("grade --course grades the exercises the submissions hold and takes no exercise id: pick some with --exercises %s", strings.Join(args, ","))
		}
		return nil
	}
}

// gradeCourse grades every submission (a learner's workspace) of each
// exercise it holds, one exercise after another on the session's
// clusters, and adds them up.
func (a *app) gradeCourse(cmd *cobra.Command, src gradebook.Sources, exercises string, opts gradebook.Options) error {
	sess, err := a.open(sessionOptions{})
	if err != nil {
		return err
	}
	var chosen []*catalogue.Exercise
	for name := range strings.SplitSeq(exercises, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		ex, err := sess.Exercise(name)
		if err != nil {
			return err
		}
		chosen = append(chosen, ex)
	}
	if exercises != "" && len(chosen) == 0 {
		return usage("--exercises names no exercise: give ids separated by commas, e.g. kafka/create-topic,kafka/keyed-producer")
	}
	class, err := a.gather(cmd, src)
	if err != nil {
		return err
	}
	defer class.Close()
	if opts.Jobs == 0 {
		opts.Jobs = gradebook.DefaultJobs()
	}
	opts.Session = sess
	g, err := gradebook.GradeCourse(cmd.Context(), gradebook.CourseOptions{
		Options: opts, Catalogue: sess.Catalogue().Exercises, Exercises: chosen,
		Grade: a.gradeClass,
		Begin: func(ex *catalogue.Exercise, nth, of, subs int) {
			fmt.Fprintf(a.stderr, "grading %d submissions of %s (exercise %d of %d), %d at a time\n", subs, ex.ID, nth, of, opts.Jobs)
		},
		Note: func(n string) { fmt.Fprintln(a.stderr, "note:", n) },
	}, class.Submissions)
	if errors.Is(err, gradebook.ErrNothingToGrade) {
		return refuse("%v", err)
	}
	if err != nil {
		return err
	}
	var written error
	if opts.Out != "" {
		written = gradebook.WriteCourse(opts.Out, g)
	}
	// Any live view has drawn its last frame by now: the table goes under it.
	if err := gradebook.WriteCourseSummary(a.stdout, g); err != nil {
		return err
	}
	if written != nil {
		return fmt.Errorf("writing the course's results under %s: %w", opts.Out, written)
	}
	return exitError{g.ExitCode()}
}
