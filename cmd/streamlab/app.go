package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/classroom"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/workspace"
)

// app is one command line's run: its writers, the flags every command
// shares, and the course session the command opened.
type app struct {
	stdout, stderr io.Writer
	flags          sharedFlags

	sessions []*course.Session
	sharing  []*classroom.Publisher  // closed after the sessions
	warned   map[*course.Session]int // warnings already printed
}

// sharedFlags choose the cluster and the workspace. Secrets are never
// flags (they would show in `ps`): they come from the config file or the
// environment.
type sharedFlags struct {
	cluster, learner, workspace   string
	class                         string
	kafka, pulsarURL, pulsarAdmin string
}

func (a *app) addSharedFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&a.flags.cluster, "cluster", "", "where the cluster comes from: "+strings.Join(auto.Names, ", ")+" (default auto; env STREAMLAB_CLUSTER)")
	f.StringVar(&a.flags.learner, "learner", "", "your name on a shared cluster: it prefixes every topic, group and namespace")
	f.StringVar(&a.flags.class, "class", "", "share your checks with this class on the shared cluster, for the instructor's class view (env STREAMLAB_CLASS)")
	f.StringVar(&a.flags.workspace, "workspace", "", "your workspace folder (default ~/streamlab-workspace; env STREAMLAB_WORKSPACE)")
	f.StringVar(&a.flags.kafka, "kafka-bootstrap", "", "an external Kafka cluster's bootstrap servers, host:port[,host:port]")
	f.StringVar(&a.flags.pulsarURL, "pulsar-url", "", "an external Pulsar cluster's service URL, pulsar://host:port")
	f.StringVar(&a.flags.pulsarAdmin, "pulsar-admin-url", "", "an external Pulsar cluster's admin URL, http://host:port")
	_ = cmd.RegisterFlagCompletionFunc("cluster", fixedCompletions(auto.Names...))
	_ = cmd.MarkPersistentFlagDirname("workspace")
}

// config merges the config file, the environment and the flags.
func (a *app) config() (config.Config, error) {
	cfg, err := config.Load(config.DefaultPath())
	if err != nil {
		return cfg, refuse("%v", err) // names the file and the fix
	}
	f := a.flags
	if f.cluster != "" {
		cfg.Cluster = f.cluster
	}
	if f.learner != "" {
		if err := cfg.SetLearner(f.learner); err != nil {
			return cfg, usage("%v", err)
		}
	}
	if f.class != "" {
		if err := cfg.SetClass(f.class); err != nil {
			return cfg, usage("%v", err)
		}
	}
	if f.workspace != "" {
		cfg.Workspace = f.workspace
	}
	if f.kafka != "" {
		cfg.Kafka.Bootstrap = strings.Split(f.kafka, ",")
	}
	if f.pulsarURL != "" {
		cfg.Pulsar.ServiceURL = f.pulsarURL
	}
	if f.pulsarAdmin != "" {
		cfg.Pulsar.AdminURL = f.pulsarAdmin
	}
	return cfg, nil
}

// sessionOptions are what a command may change in how its session opens.
type sessionOptions struct {
	workspace string // overrides the configured workspace
	logger    *slog.Logger
	dockerLog io.Writer
	keepRuns  bool
	quiet     bool // the warnings are shown by the caller (the TUI)
	// share publishes the learner's checks to their class (--class),
	// told through the hook; nil when there is no class.
	share *classroom.PublisherOptions
}

// open opens the course session a command works with. run closes it.
func (a *app) open(o sessionOptions) (*course.Session, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	if o.workspace != "" {
		cfg.Workspace = o.workspace
	}
	opts := course.Options{
		Content: streamlab.Content, Module: workspace.ModuleFrom(streamlab.GoMod, streamlab.GoSum),
		Config: cfg, Logger: o.logger, DockerLog: o.dockerLog, KeepRuns: o.keepRuns,
	}
	if o.share != nil && cfg.Class != "" {
		if cfg.Learner == "" {
			return nil, refuse("--class %s needs your name, as the class view lists learners by name: add --learner NAME (or learner: in the config file)", cfg.Class)
		}
		po := *o.share
		po.Class, po.Logger = cfg.Class, o.logger
		pub, err := classroom.Attach(&opts, po)
		if err != nil {
			return nil, usage("%v", err)
		}
		a.sharing = append(a.sharing, pub)
	}
	sess, err := course.Open(opts)
	if err != nil {
		return nil, err
	}
	a.sessions = append(a.sessions, sess)
	if a.warned == nil {
		a.warned = map[*course.Session]int{}
	}
	if o.quiet {
		a.warned[sess] = -1
	}
	a.warn()
	return sess, nil
}

// openExercise opens a session and finds the exercise named on the
// command line (an id, or a slug only one exercise has).
func (a *app) openExercise(name string) (*course.Session, *catalogue.Exercise, error) {
	sess, err := a.open(sessionOptions{})
	if err != nil {
		return nil, nil, err
	}
	ex, err := sess.Exercise(name)
	return sess, ex, err
}

// warn prints the sessions' warnings not printed yet.
func (a *app) warn() {
	for _, s := range a.sessions {
		if a.warned[s] < 0 {
			continue
		}
		ws := s.Warnings()
		for _, w := range ws[a.warned[s]:] {
			fmt.Fprintln(a.stderr, "warning:", w)
		}
		a.warned[s] = len(ws)
	}
}

// close stops whatever the command's sessions started. A cancelled
// command (Ctrl-C) still gets its cleanup time.
func (a *app) close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var errs []error
	for _, s := range a.sessions {
		errs = append(errs, s.Close(ctx))
	}
	for _, p := range a.sharing {
		// Not sharing a check is worth a warning, never a failed command.
		if err := p.Close(ctx); err != nil {
			fmt.Fprintln(a.stderr, "warning:", err)
		}
	}
	a.warn()
	a.sessions, a.sharing = nil, nil
	return errors.Join(errs...)
}

// usageError is a command line streamlab cannot act on: exit 3. Unless
// it says what to do itself, the command's --help is pointed at.
type usageError struct {
	msg      string
	selfHelp bool
}

func (e usageError) Error() string { return e.msg }

func usage(format string, args ...any) error { return usageError{msg: fmt.Sprintf(format, args...)} }

// refuse is a request that cannot be granted as it stands, saying what to do.
func refuse(format string, args ...any) error {
	return usageError{msg: fmt.Sprintf(format, args...), selfHelp: true}
}

// ranError is an error from a command's own work (exit 2 unless it says
// it is a usage problem), as opposed to one from parsing its arguments.
type ranError struct{ err error }

func (e *ranError) Error() string { return e.err.Error() }
func (e *ranError) Unwrap() error { return e.err }

func failed(err error) error {
	if err == nil {
		return nil
	}
	return &ranError{err}
}

// runE marks the errors of a command's work as such.
func runE(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error { return failed(fn(cmd, args)) }
}

// exit prints what went wrong and turns it into an exit code.
func (a *app) exit(cmd *cobra.Command, err error) error {
	if err == nil {
		return nil
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee
	}
	var (
		ue      usageError
		cu      *course.UsageError
		unknown *course.UnknownExercise
		re      *ranError
	)
	switch {
	case errors.As(err, &cu), errors.As(err, &unknown), errors.As(err, &ue) && ue.selfHelp:
		// Says what to do in its own words.
		fmt.Fprintln(a.stderr, "streamlab:", err)
		return exitError{codeUsage}
	case errors.As(err, &ue), !errors.As(err, &re):
		// Ours, or cobra's: a flag or an argument it could not parse.
		fmt.Fprintln(a.stderr, "streamlab:", err)
		if cmd != nil {
			fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return exitError{codeUsage}
	}
	fmt.Fprintln(a.stderr, "streamlab:", err)
	return exitError{codeError}
}

// commands is the command tree.
func (a *app) commands() *cobra.Command {
	root := &cobra.Command{
		Use:   "streamlab",
		Short: "A terminal course in real-time data systems (Kafka and Pulsar)",
		Long: `streamlab is a course in real-time data systems: lessons on Apache Kafka and
Apache Pulsar, exercises you solve in code, and a grader that runs your
program against a live cluster and inspects the cluster to say, check by
check, what is right.

With no command it opens the course in the terminal. You work in a
workspace of your own (` + "`streamlab init`" + ` creates it); the commands grade,
hint, reset and reveal from the command line, for scripts and CI.

Credentials for an external cluster never go on the command line: put them
in the config file ($STREAMLAB_CONFIG, default ~/.config/streamlab/config.yaml,
chmod 600) or in STREAMLAB_KAFKA_SASL_*, STREAMLAB_PULSAR_TOKEN.

` + exitCodesHelp,
		Example: `  streamlab                                  # open the course
  streamlab init                             # create your workspace
  streamlab check kafka/keyed-producer       # grade your program
  streamlab --cluster local                  # the course on real Kafka and Pulsar JVMs`,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE:          runE(a.ui),
	}
	// No Args: with subcommands, cobra reports an unknown word with
	// suggestions.
	// Before the completion command is made: it keeps the writer it sees.
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	a.addSharedFlags(root)
	root.AddCommand(
		a.initCommand(), a.listCommand(), a.checkCommand(), a.gradeCommand(), a.hintCommand(),
		a.resetCommand(), a.solutionCommand(), a.validateCommand(), a.clusterCommand(),
		a.classCommand(),
		a.versionCommand(), a.serveCommand(),
	)
	// Flag descriptions wrap to the terminal, as the verdict does.
	width := textOptions(a.stdout).Width
	tmpl := root.UsageTemplate()
	for _, set := range []string{".LocalFlags", ".InheritedFlags"} {
		tmpl = strings.ReplaceAll(tmpl, "{{"+set+".FlagUsages", fmt.Sprintf("{{(%s.FlagUsagesWrapped %d)", set, width))
	}
	root.SetUsageTemplate(tmpl)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  streamlab help check\n  streamlab check --help"
		case "completion":
			c.Example = `  streamlab completion bash > ~/.local/share/bash-completion/completions/streamlab
  streamlab completion zsh > "${fpath[1]}/_streamlab"
  streamlab completion fish > ~/.config/fish/completions/streamlab.fish`
			for _, sh := range c.Commands() {
				sh.Example = "  streamlab completion " + sh.Name() + " --help   # where to put the script"
				if sh.Name() == "bash" {
					sh.Example = "  source <(streamlab completion bash)"
				}
			}
		}
	}
	return root
}

// exerciseArg takes exactly one exercise id.
func exerciseArg(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return usage("%s needs an exercise id, e.g. kafka/keyed-producer (`streamlab list` shows them)", cmd.Name())
	case len(args) > 1:
		return usage("%s takes one exercise id, got %d arguments: %s", cmd.Name(), len(args), strings.Join(args, " "))
	}
	return nil
}

// completeExercises offers the exercise ids (with their titles) that start
// with what was typed, by id or by slug.
func (a *app) completeExercises(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	// Completion must work whatever the config says: the catalogue is
	// the same for every configuration.
	sess, err := course.Open(course.Options{Content: streamlab.Content})
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	defer sess.Close(cmd.Context())
	var out []cobra.Completion
	for _, ex := range sess.Catalogue().Exercises {
		if strings.HasPrefix(ex.ID, toComplete) || strings.HasPrefix(ex.Slug, toComplete) {
			out = append(out, cobra.CompletionWithDesc(ex.ID, ex.Title))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func fixedCompletions(values ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
}
