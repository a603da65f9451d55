package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/classroom"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/serve"
	"github.com/streamlab/streamlab/internal/workspace"
	"github.com/streamlab/streamlab/tui/watch"
)

// serveFlags are `streamlab serve`'s own flags.
type serveFlags struct {
	addr, data, allow, passcodeFile, kinds, editor string
	maxChecks                                      int
	users                                          bool
}

func (a *app) serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "The course over SSH: learners run `ssh -p 2222 HOST` and get the terminal UI",
		Long: `serve lets learners take the course with nothing installed: they connect
with ssh and get the same terminal UI as ` + "`streamlab`" + `, sized to their terminal.
Every learner has a workspace, progress and name prefix of their own, kept
in the data folder (--data), and gets them back when they reconnect. Their
checks run on the clusters serve starts or finds once (--cluster; a cluster
kept up by ` + "`streamlab cluster up`" + ` is reused), at most --max-checks at a time;
the others wait in line, and learners see their place.

A learner is known by their SSH key: list the keys in an allow-list
(--allow, authorized_keys format; the comment, or a name="ada" option,
names the learner), or let learners register their own key once with the
workshop's passcode (--passcode-file, or STREAMLAB_SERVE_PASSCODE). Any
other key is refused before the course opens.

e opens the learner's file in an editor on this machine (--editor, else
$EDITOR, else rvim, vim -Z, nano --restricted or vi, whichever is here).

--users (as root) makes a Unix user for every learner on their first
visit (streamlab-NAME) and runs their builds, programs and editor as it:
one learner's program can then neither read nor change another's
workspace, nor anyone's progress. The data folder must be one other users
may pass through, such as /srv/streamlab.`,
		Example: `  streamlab cluster up --cluster local --kinds kafka
  streamlab serve --kinds kafka --allow class-keys.txt
  STREAMLAB_SERVE_PASSCODE=kafka-rocks streamlab serve --ssh :2222
  sudo streamlab serve --users --data /srv/streamlab --allow class-keys.txt
  ssh -p 2222 localhost                      # a learner`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error { return a.serve(cmd.Context(), f) }),
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "ssh", ":2222", "the address to listen on for SSH, [host]:port")
	fl.StringVar(&f.data, "data", "", "the server's folder: host key, registered keys, every learner's workspace and progress (default STATE/serve)")
	fl.StringVar(&f.allow, "allow", "", "the learners' public keys, authorized_keys format (name=\"ada\" or the comment names each)")
	fl.StringVar(&f.passcodeFile, "passcode-file", "", "a file holding the workshop's passcode, with which new keys register (or STREAMLAB_SERVE_PASSCODE)")
	fl.StringVar(&f.kinds, "kinds", "kafka,pulsar", "the clusters to start or find: kafka, pulsar or kafka,pulsar")
	fl.StringVar(&f.editor, "editor", "", "the editor e runs, with its arguments (default $EDITOR, else rvim, vim -Z, nano --restricted or vi)")
	fl.IntVar(&f.maxChecks, "max-checks", defaultMaxChecks(), "how many checks run at once; the others wait in line")
	fl.BoolVar(&f.users, "users", false, "give every learner a Unix user of their own and run their programs and editor as it (needs root)")
	_ = cmd.RegisterFlagCompletionFunc("kinds", fixedCompletions("kafka,pulsar", "kafka", "pulsar"))
	_ = cmd.MarkFlagDirname("data")
	_ = cmd.MarkFlagFilename("allow")
	_ = cmd.MarkFlagFilename("passcode-file")
	return cmd
}

// defaultMaxChecks is one check per CPU, and at least two: most of a
// check is waiting on the cluster and the program, not computing.
func defaultMaxChecks() int { return max(2, runtime.NumCPU()) }

func (a *app) serve(ctx context.Context, f serveFlags) error {
	kinds, err := parseKinds(f.kinds)
	if err != nil {
		return err
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	class := cfg.Class // --class, STREAMLAB_CLASS or class: in the config file
	if class != "" && !slices.Contains(kinds, containers.Kafka) {
		return refuse("--class %s: the class's checks live on a Kafka topic, and --kinds %s starts no Kafka cluster", class, f.kinds)
	}
	if f.maxChecks < 1 {
		return usage("--max-checks %d: at least one check must be able to run", f.maxChecks)
	}
	passcode, err := readPasscode(f.passcodeFile)
	if err != nil {
		return err
	}
	if f.allow == "" && passcode == "" {
		return refuse("nobody could log in: give --allow FILE (the learners' public keys), or a passcode with --passcode-file FILE or STREAMLAB_SERVE_PASSCODE, with which learners register their own key")
	}
	if f.allow != "" {
		// Read now, before any cluster starts for nothing.
		if _, _, err := serve.ReadKeys(f.allow); err != nil {
			return refuse("--allow: %v", err)
		}
	}
	editor, err := serve.ChooseEditor(firstNonEmpty(f.editor, os.Getenv("VISUAL"), os.Getenv("EDITOR")))
	if err != nil {
		return refuse("%v", err)
	}
	if os.Geteuid() == 0 && !f.users {
		fmt.Fprintln(a.stderr, "warning: serve runs as root, so every learner's program and editor runs as root too: add --users to run each learner's as a user of their own, or run serve as an ordinary user made for the workshop (README: Workshops over SSH)")
	}
	data := f.data
	if data == "" {
		data = filepath.Join(course.StateDir(), "serve")
	}
	if data, err = filepath.Abs(data); err != nil {
		return err
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fmt.Errorf("the data folder: %w", err)
	}
	logger, logFile, closeLog := openLog(filepath.Join(data, "serve.log"))
	defer closeLog()

	// The server's own session starts or finds the clusters, once, and
	// stops what it started when serve ends (run closes it).
	sess, err := a.open(sessionOptions{logger: logger, dockerLog: logFile})
	if err != nil {
		return err
	}
	clusters := map[containers.Kind]serve.Cluster{}
	for _, k := range kinds {
		cl, choice, err := sess.StartCluster(ctx, k, func(e containers.Event) {
			fmt.Fprintf(a.stderr, "%s: %s\n", e.Kind, course.EventText(e))
		})
		if err != nil {
			return fmt.Errorf("starting the %s cluster: %w", k, err)
		}
		fmt.Fprintf(a.stderr, "%s: %s (%s)\n", k, choice.Provider.Name(), choice.Why)
		clusters[k] = serve.Cluster{Cluster: cl, Provider: choice.Provider.Name()}
	}

	// Every learner's checks go to the class's topic on the workshop's own
	// Kafka, through one publisher for the whole room.
	var pub *classroom.Publisher
	var shared string // the line that says where the class's checks go
	if class != "" {
		kc := clusters[containers.Kafka]
		place := classroom.PlaceAt(kc.Provider, kc.Cluster.Endpoints())
		pub, err = classroom.NewPublisher(classroom.PublisherOptions{
			Class: class, Place: &place, Logger: logger,
			Warn: func(w string) { logger.Warn("class", "warning", w) },
		})
		if err != nil {
			return usage("%v", err)
		}
		defer func() {
			closing, cancel := context.WithTimeout(context.WithoutCancel(ctx), classroom.DefaultTimeout)
			defer cancel()
			_ = pub.Close(closing)
		}()
		shared = fmt.Sprintf("  learners' checks are shared with class %s on %s: watch them with `streamlab class %s --cluster external --kafka-bootstrap %s`\n",
			class, place, class, strings.Join(place.Endpoints.KafkaBootstrap, ","))
	}

	var wopts watch.Options
	if os.Getenv("STREAMLAB_WATCH") == "poll" {
		wopts.ForcePoll = true
	}
	srv, err := serve.New(serve.Options{
		Content: streamlab.Content, Module: workspace.ModuleFrom(streamlab.GoMod, streamlab.GoSum),
		Data: data, Allow: f.allow, Passcode: passcode, Clusters: clusters,
		MaxChecks: f.maxChecks, Editor: editor, Logger: logger, Watch: wopts, Users: f.users,
		Session: func(_ string, o *course.Options) {
			if pub != nil {
				pub.Attach(o)
			}
		},
	})
	if err != nil {
		return refuse("%v", err)
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return refuse("--ssh %s: %v", f.addr, err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	fmt.Fprintf(a.stdout, "streamlab serve: learners connect with `ssh -p %s HOST` (host key %s)\n", port, srv.HostKey())
	fmt.Fprintf(a.stdout, "  %d checks at a time; editor %s; data and log in %s\n", f.maxChecks, strings.Join(editor, " "), data)
	fmt.Fprint(a.stdout, shared)
	fmt.Fprintln(a.stdout, "  Ctrl-C ends every learner's connection and stops what serve started.")

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err = <-served:
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if serr := srv.Shutdown(shutdown); serr != nil && err == nil {
		err = serr
	}
	return err
}

// readPasscode reads the workshop's passcode from a file (never a flag:
// it would show in `ps`), else from STREAMLAB_SERVE_PASSCODE, which is
// then removed from the environment so that nothing started later sees it.
func readPasscode(file string) (string, error) {
	env := os.Getenv("STREAMLAB_SERVE_PASSCODE")
	os.Unsetenv("STREAMLAB_SERVE_PASSCODE")
	if file == "" {
		return strings.TrimSpace(env), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", refuse("--passcode-file: %v", err)
	}
	code := strings.TrimSpace(string(b))
	if code == "" {
		return "", refuse("--passcode-file %s is empty: write the workshop's passcode in it", file)
	}
	return code, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
