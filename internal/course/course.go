// Package course is the engine's one front door: a learner's course
// session. It owns the catalogue, the learner's workspace and progress,
// the state folder, the choice of cluster provider, the clusters it
// started, grading, and the cleanup of what runs left behind. The CLI, the
// terminal UI and any later server call a Session; none of them grades,
// resets or reveals on its own. Every method may block on the network or
// the disk, so a UI calls them from commands only.
package course

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/containers/up"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/inspect"
	"github.com/streamlab/streamlab/internal/progress"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/internal/runner"
	"github.com/streamlab/streamlab/internal/workspace"
)

// Options configure a Session.
type Options struct {
	// Content is the course as shipped: labs, starters, solutions.
	Content fs.FS
	// Module is the go.mod and go.sum a new workspace receives.
	Module workspace.Module
	// Config is the merged configuration: file, environment, flags.
	Config config.Config
	// StateDir holds progress, logs and the kept-up cluster's record;
	// "" means StateDir().
	StateDir string
	// KeepRuns keeps each exercise's last run on the cluster for the
	// inspector, until the next run of it or Close.
	KeepRuns bool
	// Gate, when set, admits each check before it builds and runs the
	// program: `streamlab serve` gives all its learners one (gate.go).
	Gate   Gate
	Logger *slog.Logger
	// DockerLog receives testcontainers' output (nil: discarded).
	DockerLog io.Writer
	// Choose picks a provider; nil means auto.Choose.
	Choose func(name string, k containers.Kind, opts auto.Options) (auto.Choice, error)
	// OnCheck, when set, hears of every graded check of the learner's own
	// program (see Checked), whichever front end asked for it: this is
	// how a class view (internal/classroom) learns of its learners'
	// checks. It runs on the checking goroutine before Check returns, so
	// it must not block: anything that needs the network is queued.
	OnCheck func(Checked)
	// As, when set, is the learner's own Unix user (`serve --users`): the
	// session writes into the workspace with its permissions, and builds
	// and runs the learner's programs as it, in its home's cache.
	As *runner.Account
	// Guard keeps every check's program to its own topics, groups and
	// namespaces (grader.Request.Guard): `streamlab serve` runs many
	// learners' programs on one cluster.
	Guard bool
}

// Checked is the outcome of one check of the session's learner's own
// program, as OnCheck hears of it: a pass, a fail or an error from a run
// that reached the grader. A GradeOnly check (someone else's program) and
// a request refused before anything ran are not told.
type Checked struct {
	Session  *Session
	Learner  string // the name the run's resources were prefixed with
	Exercise *catalogue.Exercise
	Result   result.Result
	// Progress is the learner's progress on the exercise with this check
	// recorded: attempts, hints used, whether they gave up.
	Progress progress.Exercise
	// Started and Ended bound the whole check: cluster, build, run, checks.
	Started, Ended time.Time
}

// Paths are where a session keeps its files.
type Paths struct {
	State    string // the state folder
	Progress string // progress.json
	UpState  string // the record of a cluster kept up by `cluster up`
	Log      string // the terminal UI's log
}

// StateDir is $STREAMLAB_STATE_DIR, else $XDG_STATE_HOME/streamlab, else
// ~/.local/state/streamlab: the one place this is decided.
func StateDir() string {
	if d := os.Getenv("STREAMLAB_STATE_DIR"); d != "" {
		return d
	}
	return defaultStateDir()
}

// defaultStateDir is the state folder when STREAMLAB_STATE_DIR is unset.
func defaultStateDir() string {
	if x := os.Getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, "streamlab")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "streamlab")
	}
	return filepath.Join(os.TempDir(), "streamlab-state")
}

// PathsIn lays out a state folder.
func PathsIn(state string) Paths {
	return Paths{
		State:    state,
		Progress: filepath.Join(state, "progress.json"),
		UpState:  up.DefaultPath(state),
		Log:      filepath.Join(state, "tui.log"),
	}
}

// Session is one learner's course. It is safe for concurrent use.
type Session struct {
	opts     Options
	log      *slog.Logger
	cat      *catalogue.Catalogue
	progress *progress.Store
	ws       *workspace.Workspace
	paths    Paths
	warnings []string

	mu         sync.Mutex
	clusters   map[containers.Kind]*started
	runs       map[string]*Run // by exercise id: the last run, kept for inspection
	latest     string          // exercise of the most recent run
	inspectors map[containers.Kind]inspect.Inspector
	closed     bool
}

type started struct {
	cluster containers.Cluster
	choice  auto.Choice
}

// Open loads the course and the learner's progress. It starts no cluster
// and creates no workspace; problems that still let the course run (an
// unreadable progress file) are Warnings.
func Open(opts Options) (*Session, error) {
	if opts.Choose == nil {
		opts.Choose = auto.Choose
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Config.Cluster == "" {
		opts.Config.Cluster = "auto"
	}
	if opts.StateDir == "" {
		opts.StateDir = StateDir()
	}
	cat, err := catalogue.Load(opts.Content)
	if err != nil {
		return nil, fmt.Errorf("the course built into this binary is broken (run `streamlab validate`): %w", err)
	}
	s := &Session{
		opts: opts, log: opts.Logger, cat: cat, paths: PathsIn(opts.StateDir),
		clusters:   map[containers.Kind]*started{},
		runs:       map[string]*Run{},
		inspectors: map[containers.Kind]inspect.Inspector{},
	}
	root := opts.Config.Workspace
	if root == "" {
		root = workspace.DefaultRoot()
	} else if rest, ok := strings.CutPrefix(root, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			root = filepath.Join(home, rest)
		}
	}
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	s.ws = workspace.New(root, opts.Content, opts.Module)

	st, err := progress.Open(s.paths.Progress)
	if err != nil {
		// The course still runs, with progress kept in memory only:
		// nothing is written anywhere else.
		s.warnings = append(s.warnings, fmt.Sprintf("%v (progress will not be saved)", err))
		st = progress.InMemory()
	}
	if st.Warning != "" {
		s.warnings = append(s.warnings, st.Warning)
	}
	s.progress = st
	return s, nil
}

// Catalogue is the course.
func (s *Session) Catalogue() *catalogue.Catalogue { return s.cat }

// Progress is the learner's progress.
func (s *Session) Progress() *progress.Store { return s.progress }

// Workspace is the learner's folder.
func (s *Session) Workspace() *workspace.Workspace { return s.ws }

// Paths are the session's files.
func (s *Session) Paths() Paths { return s.paths }

// Warnings are problems that did not stop the session: an unreadable
// progress file, progress that could not be saved.
func (s *Session) Warnings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.warnings...)
}

func (s *Session) warn(w string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.warnings = append(s.warnings, w)
}

// ProviderName is the provider the learner asked for: auto, local, ...
func (s *Session) ProviderName() string { return s.opts.Config.Cluster }

// Learner is the name that prefixes this learner's topics and groups.
func (s *Session) Learner() string { return s.opts.Config.Learner }

// ExerciseDir is where the learner edits an exercise.
func (s *Session) ExerciseDir(ex *catalogue.Exercise) string { return s.ws.ExerciseDir(ex) }

// Exercise finds an exercise by id, or by a slug only one exercise has
// ("keyed-producer"). An unknown name is an *UnknownExercise naming the
// closest ids.
func (s *Session) Exercise(name string) (*catalogue.Exercise, error) {
	return find(s.cat, name)
}

// AutoOptions are what provider choice needs to know.
func (s *Session) AutoOptions() auto.Options {
	o := auto.Options{External: s.opts.Config.Endpoints(), UpState: s.paths.UpState}
	if s.opts.DockerLog != nil {
		o.Docker.Log = s.opts.DockerLog
	}
	return o
}

// Choice says which provider would serve clusters of kind k, and why.
func (s *Session) Choice(k containers.Kind) (auto.Choice, error) {
	c, err := s.opts.Choose(s.opts.Config.Cluster, k, s.AutoOptions())
	if err == nil && !strings.HasSuffix(c.Provider.Name(), "(kept up)") {
		c.Why += s.keptUpElsewhere(k)
	}
	return c, err
}

// keptUpElsewhere names a cluster kept up under the default state folder
// when this session looks in another one (STREAMLAB_STATE_DIR): it is not
// reused, and a learner should know why new JVMs start.
func (s *Session) keptUpElsewhere(k containers.Kind) string {
	def := defaultStateDir()
	if filepath.Clean(def) == filepath.Clean(s.paths.State) {
		return ""
	}
	st, _, _ := up.Read(up.DefaultPath(def))
	if st == nil {
		return ""
	}
	if _, ok := st.Clusters[k]; !ok {
		return ""
	}
	return fmt.Sprintf("; the %s cluster kept up by `streamlab cluster up` (pid %d) is recorded under %s, not in this state folder (%s), so it is not reused", st.Provider, st.PID, def, s.paths.State)
}

// Close removes the kept runs, closes the inspectors and stops every
// cluster the session started. It is safe to call more than once.
func (s *Session) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	runs := s.runs
	s.runs = map[string]*Run{}
	inspectors := s.inspectors
	s.inspectors = map[containers.Kind]inspect.Inspector{}
	clusters := s.clusters
	s.clusters = map[containers.Kind]*started{}
	s.mu.Unlock()

	var errs []error
	for id, r := range runs {
		if err := grader.Remove(ctx, r.Cluster, r.Exercise, r.Values, r.Others...); err != nil {
			errs = append(errs, fmt.Errorf("removing the topics of %s: %w", id, err))
		}
	}
	for _, in := range inspectors {
		in.Close()
	}
	for k, st := range clusters {
		s.log.Info("stopping cluster", "kind", k)
		if err := st.cluster.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping %s: %w", k, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		s.log.Warn("closing the session", "err", err)
		return err
	}
	s.log.Info("session closed")
	return nil
}

// closeTimeout bounds the cleanup after a one-shot use of a session.
const closeTimeout = 30 * time.Second
