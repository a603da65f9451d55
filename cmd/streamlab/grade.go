package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/streamlab/streamlab/internal/gradebook"
)

func (a *app) gradeCommand() *cobra.Command {
	var (
		dir, list, out string
		repos          string
		jobs           int
		force          bool
		courseMode     bool
		exercises      string
	)
	cmd := &cobra.Command{
		Use:   "grade (ID | --course [--exercises IDS]) (--submissions DIR | --list FILE | --repos FILE)",
		Short: "Grade a class: every submission of an exercise, in parallel on one cluster",
		Long: `grade grades every submission of one exercise, as ` + "`streamlab check`" + ` would
grade each, several at once on one cluster (started once, or kept up, or
external). Every submission's topics, groups and namespaces carry a prefix
made of its name, so they never meet; a program that hangs, floods its
output or crashes costs only its own grade. Nothing is recorded in your
progress and no solution is revealed in your workspace.

--submissions DIR holds one folder per submission; the folder's name is the
submission's. --list FILE names the folders instead, one a line; a line may
also be a git repository's URL (https://, ssh://, git://, file:// or
user@host:path), after a name if you give it one: "Ada L https://...".
--repos FILE names repositories only, one a line, as a URL or a local
repository's path, after an optional name. A repository is cloned shallow
(add #BRANCH or #TAG to pick one) and graded as committed: what is not
committed and pushed is not graded. It is named after the repository (with
its owner when two names clash). Clones are kept under OUT/.clones with
--out (and replaced by the next grade), else removed when the grade ends. A
repository that cannot be cloned is that submission's error; the class is
graded all the same. --repos may be given with either of the others.

A submission runs with the command in its streamlab.yaml (run: COMMAND) if
it has one; else, for Go (its own go.mod, or inside a Go module), the
exercise's Go build; else, for Python, python3 main.py from PATH, whose
packages must be installed: a requirements.txt is checked (names, not
versions) and nothing is installed. Any other language (Java with Maven or
Gradle, Node, a shell script) needs a streamlab.yaml saying how it starts.

stdout has a table: submission, score, status, time. With --out DIR, each
submission gets DIR/NAME/check.json (as check --format json), junit.xml and
results.json (Gradescope's format), and the class DIR/gradebook.csv. A later
grade with the same --out skips a submission whose files, exercise, spec
and streamlab version have not changed since its last pass or fail; --force
grades it again.

--course grades a course instead of one exercise: each submission is a
learner's workspace (or a repository of one), with a folder per exercise as
the workspace lays them out (kafka/02-keyed-producer, or kafka/keyed-producer).
Every exercise some submission has a folder for is graded (--exercises
ID,ID picks some), one after another, each as above, of the submissions
with its folder; a cluster starts only when an exercise needs it. Each
exercise's results go under OUT/TRACK/SLUG/ (NAME/... and gradebook.csv);
OUT/gradebook.csv has a row per submission: each exercise's score (empty
when its folder is missing, which scores 0 but is no error), the total and
the maximum; OUT/NAME/results.json adds up its exercises for Gradescope,
each check a test named "EXERCISE: CHECK".

Exit codes:
  0  every submission was graded (pass or fail)
  2  some submission ended in an error (the cluster's or streamlab's, a
     folder with no program, a repository not cloned): its line says why
  3  usage: bad arguments, an unknown exercise, no submissions`,
		Example: `  streamlab grade kafka/keyed-producer --submissions ~/class/keyed --out ~/class/results
  streamlab grade keyed-producer --list submissions.txt --jobs 4 --cluster local
  streamlab grade kafka/keyed-producer --repos classroom-repos.txt --out ~/class/results
  streamlab grade kafka/consumer-group --submissions subs --out results --force
  streamlab grade --course --repos workspaces.txt --out ~/class/course
  streamlab grade --course --exercises create-topic,keyed-producer --submissions ~/class/workspaces`,
		Args:              gradeArgs(&courseMode),
		ValidArgsFunction: a.completeExercises,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if dir != "" && list != "" {
				return usage("give either --submissions DIR (a folder per submission) or --list FILE (a folder or a repository a line), not both")
			}
			if dir == "" && list == "" && repos == "" {
				return usage("give --submissions DIR (a folder per submission), --list FILE (a folder or a repository a line) or --repos FILE (a repository a line)")
			}
			if jobs < 0 {
				return usage("--jobs must be 1 or more (0 is one per CPU)")
			}
			if courseMode {
				return a.gradeCourse(cmd, gradebook.Sources{Dir: dir, List: list, Repos: repos, Out: out}, exercises,
					gradebook.Options{Jobs: jobs, Out: out, Force: force})
			}
			if exercises != "" {
				return usage("--exercises picks the exercises of a --course grade: add --course, or give one exercise id")
			}
			sess, ex, err := a.openExercise(args[0])
			if err != nil {
				return err
			}
			class, err := a.gather(cmd, gradebook.Sources{Dir: dir, List: list, Repos: repos, Out: out})
			if err != nil {
				return err
			}
			defer class.Close()
			subs := class.Submissions
			if jobs == 0 {
				jobs = gradebook.DefaultJobs()
			}
			fmt.Fprintf(a.stderr, "grading %d submissions of %s, %d at a time\n", len(subs), ex.ID, jobs)
			entries, err := a.gradeClass(cmd.Context(), gradebook.Options{
				Session: sess, Exercise: ex, Jobs: jobs, Out: out, Force: force,
			}, subs)
			if err != nil {
				return err
			}
			if out != "" {
				if err := gradebook.WriteGradebookFile(out, entries); err != nil {
					return err
				}
			}
			// A live view has drawn its last frame by now: the table goes under it.
			if err := gradebook.WriteSummary(a.stdout, entries); err != nil {
				return err
			}
			return exitError{gradebook.ExitCode(entries)}
		}),
	}
	f := cmd.Flags()
	f.StringVar(&dir, "submissions", "", "the folder holding one folder per submission")
	f.StringVar(&list, "list", "", "a file naming the submissions' folders (or git repositories' URLs), one a line")
	f.StringVar(&repos, "repos", "", "a file naming git repositories, one a line ([NAME] URL-or-PATH[#BRANCH]): each is cloned and graded as committed")
	f.StringVar(&out, "out", "", "where to write each submission's results and gradebook.csv (and find the last grade, to skip what did not change)")
	f.IntVar(&jobs, "jobs", 0, "how many submissions to grade at once (default: one per CPU)")
	f.BoolVar(&force, "force", false, "grade every submission again, even one unchanged since its last grade")
	f.BoolVar(&courseMode, "course", false, "grade a course: each submission is a learner's workspace, graded for every exercise it holds")
	f.StringVar(&exercises, "exercises", "", "with --course, the exercises to grade, separated by commas (default: every one a submission has)")
	_ = cmd.MarkFlagDirname("submissions")
	_ = cmd.MarkFlagFilename("list")
	_ = cmd.MarkFlagFilename("repos")
	_ = cmd.MarkFlagDirname("out")
	return cmd
}

// gather collects the class's submissions, cloning repositories, and tells
// stderr what it cloned and what it left out.
func (a *app) gather(cmd *cobra.Command, src gradebook.Sources) (*gradebook.Class, error) {
	src.Cloned = func(s gradebook.Submission) {
		if s.Problem != "" {
			fmt.Fprintf(a.stderr, "not cloned: %s: %s\n", s.Name, s.Problem)
			return
		}
		fmt.Fprintf(a.stderr, "cloned %s: %s at %.12s\n", s.Name, s.Source, s.Commit)
	}
	class, err := gradebook.Gather(cmd.Context(), src)
	if err != nil {
		return nil, refuse("%v", err)
	}
	for _, n := range class.Notes {
		fmt.Fprintln(a.stderr, "note:", n)
	}
	return class, nil
}
