package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/classroom"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
)

func (a *app) checkCommand() *cobra.Command {
	var (
		req    course.CheckRequest
		format string
	)
	cmd := &cobra.Command{
		Use:   "check ID",
		Short: "Grade an exercise: run your program against a live cluster, then inspect the cluster",
		Long: `check runs your program for an exercise against a live Kafka or Pulsar
cluster, then inspects the cluster and says, check by check, whether it
looks the way a correct solution leaves it. Without --dir it grades your
workspace's copy of the exercise (` + "`streamlab init`" + ` creates the workspace).

Any language works: --dir is the folder of your program (anywhere), --run
the command that starts it. Your program receives KAFKA_BOOTSTRAP_SERVERS
(Kafka), PULSAR_SERVICE_URL and PULSAR_ADMIN_URL (Pulsar), and the
exercise's own variables (TOPIC, INPUT_FILE, GROUP, ...), new on every run.

stderr shows which cluster ran and the grader's stages; stdout has the
verdict as text, JSON (Exercism v3 shape, with score and max_score) or
JUnit XML.

` + exitCodesHelp,
		Example: `  streamlab check kafka/keyed-producer
  streamlab check keyed-producer --cluster embedded
  streamlab check kafka/keyed-producer --dir ~/my-producer --run "python3 produce.py"
  streamlab check kafka/consumer-group --format json > result.json`,
		Args:              exerciseArg,
		ValidArgsFunction: a.completeExercises,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(result.Formats, format) {
				return usage("unknown format %q (use %s)", format, strings.Join(result.Formats, ", "))
			}
			sess, err := a.open(sessionOptions{share: &classroom.PublisherOptions{}})
			if err != nil {
				return err
			}
			ex, err := sess.Exercise(args[0])
			if err != nil {
				return err
			}
			req.Exercise = ex
			if line, _ := a.sharingLine(cmd.Context(), sess); line != "" {
				fmt.Fprintln(a.stderr, line)
			}
			p := &checkProgress{w: a.stderr}
			req.Cluster, req.Start, req.Events = p.cluster, p.start, p.grader
			if req.Dir == "" && sess.Workspace().Exists() {
				fmt.Fprintf(a.stderr, "program: %s\n", sess.ExerciseDir(ex))
			}
			res, err := sess.Check(cmd.Context(), req)
			if err != nil {
				return err
			}
			if format == "text" {
				err = result.WriteText(a.stdout, res, textOptions(a.stdout))
			} else {
				err = result.Write(a.stdout, res, format)
			}
			if err != nil {
				return err
			}
			return exitError{res.Status.ExitCode()}
		}),
	}
	f := cmd.Flags()
	f.StringVar(&req.Dir, "dir", "", "the folder of your program (default: the exercise's folder in your workspace)")
	f.StringVar(&req.Run, "run", "", `the command that runs your program, in any language (default: the exercise's, "go run .")`)
	f.StringVar(&format, "format", "text", "text, json or junit")
	f.Uint64Var(&req.Seed, "seed", 0, "the input data's seed, to repeat a run exactly (default: a new one)")
	f.BoolVar(&req.Leave, "keep", false, "keep the run's topics and groups on the cluster, to inspect them")
	_ = cmd.MarkFlagDirname("dir")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletions(result.Formats...))
	return cmd
}

// checkProgress prints a check's progress to stderr, a line per step,
// each saying its thing once.
type checkProgress struct {
	w     io.Writer
	mu    sync.Mutex
	last  string
	stage grader.Stage
}

func (p *checkProgress) line(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	p.mu.Lock()
	defer p.mu.Unlock()
	if s != p.last {
		fmt.Fprintln(p.w, s)
		p.last = s
	}
}

func (p *checkProgress) cluster(c auto.Choice) {
	name := c.Provider.Name()
	// "embedded (chosen with --cluster)", not "... --cluster embedded".
	p.line("cluster: %s (%s)", name, c.Why)
}

func (p *checkProgress) start(e containers.Event) {
	if e.Stage != containers.StageFailed { // the verdict says why
		p.line("cluster: %s", course.EventText(e))
	}
}

func (p *checkProgress) grader(e grader.Event) {
	if e.Fault != "" {
		p.line("grader: %s", e.Fault)
		return
	}
	if e.Stage == "" || e.Line != "" || e.Test != nil || e.Vars != nil {
		return
	}
	p.mu.Lock()
	same := e.Stage == p.stage
	p.stage = e.Stage
	p.mu.Unlock()
	if !same {
		p.line("grader: %s", e.Stage)
	}
}
