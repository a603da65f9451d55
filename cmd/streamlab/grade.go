package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/result"
)

func (a *app) gradeCommand() *cobra.Command {
	var (
		dir, list, out string
		jobs           int
		force          bool
	)
	cmd := &cobra.Command{
		Use:   "grade ID (--submissions DIR | --list FILE)",
		Short: "Grade a class: every submission of an exercise, in parallel on one cluster",
		Long: `grade grades every submission of one exercise, as ` + "`streamlab check`" + ` would
grade each, several at once on one cluster (started once, or kept up, or
external). Every submission's topics, groups and namespaces carry a prefix
made of its name, so they never meet; a program that hangs, floods its
output or crashes costs only its own grade. Nothing is recorded in your
progress and no solution is revealed in your workspace.

--submissions DIR holds one folder per submission; the folder's name is the
submission's. --list FILE names the folders instead, one a line. A
submission runs with the command in its streamlab.yaml (run: COMMAND) if it
has one, else the exercise's Go build if it is a Go program (its own go.mod,
or inside a Go module), else python3 main.py.

stdout has a table: submission, score, status, time. With --out DIR, each
submission gets DIR/NAME/check.json (as check --format json), junit.xml and
results.json (Gradescope's format), and the class DIR/gradebook.csv. A later
grade with the same --out skips a submission whose files, exercise and spec
have not changed since its last pass or fail; --force grades it again.

Exit codes:
  0  every submission was graded (pass or fail)
  2  some submission ended in an error (the cluster's or streamlab's, or a
     folder with no program): its line says why
  3  usage: bad arguments, an unknown exercise, no submissions`,
		Example: `  streamlab grade kafka/keyed-producer --submissions ~/class/keyed --out ~/class/results
  streamlab grade keyed-producer --list submissions.txt --jobs 4 --cluster local
  streamlab grade kafka/consumer-group --submissions subs --out results --force`,
		Args:              exerciseArg,
		ValidArgsFunction: a.completeExercises,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if (dir == "") == (list == "") {
				return usage("give either --submissions DIR (a folder per submission) or --list FILE (a folder a line)")
			}
			if jobs < 0 {
				return usage("--jobs must be 1 or more (0 is one per CPU)")
			}
			sess, ex, err := a.openExercise(args[0])
			if err != nil {
				return err
			}
			var subs []gradebook.Submission
			if dir != "" {
				var notes []string
				var skip []string
				if out != "" {
					skip = append(skip, out)
				}
				subs, notes, err = gradebook.Discover(dir, skip...)
				for _, n := range notes {
					fmt.Fprintln(a.stderr, "note:", n)
				}
			} else {
				subs, err = gradebook.FromList(list)
			}
			if err != nil {
				return refuse("%v", err)
			}
			if jobs == 0 {
				jobs = gradebook.DefaultJobs()
			}
			fmt.Fprintf(a.stderr, "grading %d submissions of %s, %d at a time\n", len(subs), ex.ID, jobs)
			p := &checkProgress{w: a.stderr}
			done := 0
			entries, err := gradebook.Grade(cmd.Context(), gradebook.Options{
				Session: sess, Exercise: ex, Jobs: jobs, Out: out, Force: force,
				Cluster: p.cluster, Start: p.start,
				Done: func(e gradebook.Entry) {
					done++
					how := fmt.Sprintf("%.1fs", e.Elapsed.Seconds())
					if e.Skipped {
						how = "skipped (unchanged)"
					}
					fmt.Fprintf(a.stderr, "[%d/%d] %s: %s %d/%d (%s)\n", done, len(subs), e.Submission.Name, e.Result.Status, e.Result.Score, e.Result.MaxScore, how)
					if e.Result.Status == result.Error && !e.Skipped {
						fmt.Fprintf(a.stderr, "  %s\n", e.Result.Message)
					}
				},
			}, subs)
			if err != nil {
				return err
			}
			if out != "" {
				if err := gradebook.WriteGradebookFile(out, entries); err != nil {
					return err
				}
			}
			// Plain lines on a terminal too, for now: a live view of the
			// grades under way would go to a terminal's stdout only.
			if err := gradebook.WriteSummary(a.stdout, entries); err != nil {
				return err
			}
			return exitError{gradebook.ExitCode(entries)}
		}),
	}
	f := cmd.Flags()
	f.StringVar(&dir, "submissions", "", "the folder holding one folder per submission")
	f.StringVar(&list, "list", "", "a file naming the submissions' folders, one a line")
	f.StringVar(&out, "out", "", "where to write each submission's results and gradebook.csv (and find the last grade, to skip what did not change)")
	f.IntVar(&jobs, "jobs", 0, "how many submissions to grade at once (default: one per CPU)")
	f.BoolVar(&force, "force", false, "grade every submission again, even one unchanged since its last grade")
	_ = cmd.MarkFlagDirname("submissions")
	_ = cmd.MarkFlagDirname("out")
	return cmd
}
