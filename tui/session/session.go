// Package session holds what one run of the terminal UI works with and
// what it starts: the course, the learner's progress and workspace, the
// clusters it brought up, the runs it kept for inspection and the
// inspectors looking at them. The UI calls it from commands only; every
// method may block on the network or the disk. Close stops and removes
// everything the session started.
package session

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/inspect"
	"github.com/streamlab/streamlab/internal/progress"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/internal/workspace"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Options configure a Session.
type Options struct {
	Content   fs.FS // the course as shipped: starters for reset, solutions to reveal
	Catalogue *catalogue.Catalogue
	Progress  *progress.Store
	// Root is the workspace folder holding exercises/ (see workspace.Root).
	Root string
	// Provider is the --cluster choice: auto, embedded, local, ...
	Provider string
	// Prefix starts every name a run gives its topics and groups: the
	// learner's, on a cluster shared by a class.
	Prefix string
	Auto   auto.Options
	Logger *slog.Logger
	// Choose picks a provider; nil means auto.Choose.
	Choose func(name string, k containers.Kind, opts auto.Options) (auto.Choice, error)
}

// Session is one TUI session's engine side. It is safe for concurrent use.
type Session struct {
	opts Options
	log  *slog.Logger

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

// Run is a graded run whose topics and groups stay on the cluster until
// the next run of the same exercise, or the end of the session.
type Run struct {
	Exercise *catalogue.Exercise
	Cluster  containers.Cluster
	Values   map[string]string // variable -> this run's value
	Started  time.Time
}

// Target is what the inspector should look at for this run.
func (r *Run) Target() inspect.Target {
	var t inspect.Target
	for _, v := range r.Exercise.Variables {
		val := r.Values[v.Name]
		if val == "" {
			continue
		}
		switch v.Kind {
		case catalogue.KindTopic:
			t.Topics = append(t.Topics, val)
		case catalogue.KindGroup:
			t.Groups = append(t.Groups, val)
		case catalogue.KindSubscription:
			t.Subscriptions = append(t.Subscriptions, val)
		}
	}
	return t
}

// New returns a session; it starts nothing until asked.
func New(opts Options) *Session {
	if opts.Choose == nil {
		opts.Choose = auto.Choose
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Provider == "" {
		opts.Provider = "auto"
	}
	return &Session{
		opts: opts, log: opts.Logger,
		clusters:   map[containers.Kind]*started{},
		runs:       map[string]*Run{},
		inspectors: map[containers.Kind]inspect.Inspector{},
	}
}

// Catalogue is the course.
func (s *Session) Catalogue() *catalogue.Catalogue { return s.opts.Catalogue }

// Progress is the learner's progress store.
func (s *Session) Progress() *progress.Store { return s.opts.Progress }

// ProviderName is the provider the learner asked for.
func (s *Session) ProviderName() string { return s.opts.Provider }

// ExerciseDir is where the learner edits an exercise.
func (s *Session) ExerciseDir(ex *catalogue.Exercise) string {
	return workspace.ExerciseDir(s.opts.Root, ex)
}

// Choice says which provider would serve clusters of kind k, and why.
func (s *Session) Choice(k containers.Kind) (auto.Choice, error) {
	return s.opts.Choose(s.opts.Provider, k, s.opts.Auto)
}

// StartCluster brings up a cluster of kind k, or returns the one already
// started. progress receives the provider's events. Cancelling ctx
// abandons the start and leaves nothing running.
func (s *Session) StartCluster(ctx context.Context, k containers.Kind, progress func(containers.Event)) (containers.Cluster, auto.Choice, error) {
	s.mu.Lock()
	if st := s.clusters[k]; st != nil {
		s.mu.Unlock()
		return st.cluster, st.choice, nil
	}
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, auto.Choice{}, errors.New("streamlab is shutting down")
	}
	choice, err := s.Choice(k)
	if err != nil {
		s.log.Warn("no provider", "kind", k, "err", err)
		return nil, choice, err
	}
	s.log.Info("starting cluster", "kind", k, "provider", choice.Provider.Name(), "why", choice.Why)
	cl, err := choice.Provider.Start(ctx, k, progress)
	if err != nil {
		s.log.Warn("cluster failed to start", "kind", k, "err", err)
		return nil, choice, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev := s.clusters[k]; prev != nil || s.closed {
		// Another start won the race, or the session closed meanwhile.
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = cl.Stop(stopCtx)
		if prev != nil {
			return prev.cluster, prev.choice, nil
		}
		return nil, choice, errors.New("streamlab is shutting down")
	}
	s.clusters[k] = &started{cluster: cl, choice: choice}
	s.log.Info("cluster ready", "kind", k, "endpoints", fmt.Sprint(cl.Endpoints()))
	return cl, choice, nil
}

// Cluster returns the running cluster of kind k, or nil.
func (s *Session) Cluster(k containers.Kind) containers.Cluster {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.clusters[k]; st != nil {
		return st.cluster
	}
	return nil
}

// Check grades the program in dir against the running cluster of the
// exercise's kind, keeping the run's topics for the inspector. The
// previous kept run of the same exercise is removed first. events
// receives the grader's events as they happen. A pass or fail is recorded
// in the progress; an error (the cluster's or streamlab's) is not.
func (s *Session) Check(ctx context.Context, ex *catalogue.Exercise, dir string, events func(grader.Event)) (result.Result, error) {
	kind := containers.Kind(ex.Cluster)
	s.mu.Lock()
	st := s.clusters[kind]
	s.mu.Unlock()
	if st == nil {
		return result.Result{Exercise: ex.ID, Status: result.Error, Message: fmt.Sprintf("no %s cluster is running", kind)}, nil
	}
	if err := s.RemoveRun(ctx, ex.ID); err != nil {
		s.log.Warn("removing the previous run", "exercise", ex.ID, "err", err)
	}
	s.log.Info("check", "exercise", ex.ID, "dir", dir)
	res := grader.Run(ctx, grader.Request{
		Exercise: ex, Dir: dir, Cluster: st.cluster, Provider: st.choice.Provider.Name(), Keep: true,
		Prefix: s.opts.Prefix,
		Events: func(e grader.Event) {
			if e.Vars != nil {
				s.keep(&Run{Exercise: ex, Cluster: st.cluster, Values: e.Vars, Started: time.Now()})
			}
			if events != nil {
				events(e)
			}
		},
	})
	s.log.Info("checked", "exercise", ex.ID, "status", res.Status, "score", res.Score, "message", res.Message)
	if res.Status == result.Error {
		return res, nil
	}
	return res, s.opts.Progress.Record(ex.ID, string(res.Status))
}

func (s *Session) keep(r *Run) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[r.Exercise.ID] = r
	s.latest = r.Exercise.ID
}

// LastRun returns the kept run of an exercise ("" for the most recent run
// of any), or nil.
func (s *Session) LastRun(id string) *Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		id = s.latest
	}
	return s.runs[id]
}

// RemoveRun deletes the kept topics and groups of an exercise's last run.
func (s *Session) RemoveRun(ctx context.Context, id string) error {
	s.mu.Lock()
	r := s.runs[id]
	delete(s.runs, id)
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	s.log.Info("removing kept run", "exercise", id, "values", fmt.Sprint(r.Values))
	return grader.Remove(ctx, r.Cluster, r.Exercise, r.Values)
}

// Inspect looks at the resources of an exercise's last run ("" for the
// most recent run). It returns a nil run when there is none to look at.
func (s *Session) Inspect(ctx context.Context, id string) (inspect.Snapshot, *Run, error) {
	r := s.LastRun(id)
	if r == nil {
		return inspect.Snapshot{}, nil, nil
	}
	kind := r.Cluster.Kind()
	s.mu.Lock()
	in := s.inspectors[kind]
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return inspect.Snapshot{}, r, errors.New("streamlab is shutting down")
	}
	if in == nil {
		// A Pulsar inspector reads its token and TLS settings from the
		// endpoints; Kafka's need turning into client options.
		var kafkaOpts []kgo.Opt
		if kind == containers.Kafka {
			var err error
			if kafkaOpts, err = grader.KafkaAuthOpts(r.Cluster.Endpoints().Auth); err != nil {
				return inspect.Snapshot{}, r, err
			}
		}
		var err error
		if in, err = inspect.New(r.Cluster, kafkaOpts...); err != nil {
			return inspect.Snapshot{}, r, err
		}
		s.mu.Lock()
		if prev := s.inspectors[kind]; prev != nil {
			in.Close()
			in = prev
		} else {
			s.inspectors[kind] = in
		}
		s.mu.Unlock()
	}
	snap, err := in.Inspect(ctx, r.Target())
	return snap, r, err
}

// Hint marks one more hint of an exercise as used and returns how many
// are used now.
func (s *Session) Hint(id string) (int, error) {
	ex := s.opts.Catalogue.Exercise(id)
	if ex == nil {
		return 0, fmt.Errorf("no exercise %s", id)
	}
	n := s.opts.Progress.Get(id).HintsUsed
	if n >= len(ex.Hints) {
		return n, nil
	}
	n++
	return n, s.opts.Progress.Update(id, func(e *progress.Exercise) { e.HintsUsed = n })
}

// Reset restores an exercise's starter files in the workspace; replaced
// files are backed up beside the progress, and the backup folder returned.
func (s *Session) Reset(id string) (string, error) {
	ex := s.opts.Catalogue.Exercise(id)
	if ex == nil {
		return "", fmt.Errorf("no exercise %s", id)
	}
	return workspace.Reset(s.opts.Content, ex, s.ExerciseDir(ex), workspace.BackupRoot(s.opts.Progress.Path()))
}

// SolutionFile is one file of a reference solution.
type SolutionFile struct {
	Name string
	Text string
}

// Solution returns the reference solution's files, only once the exercise
// has passed.
func (s *Session) Solution(id string) ([]SolutionFile, error) {
	ex := s.opts.Catalogue.Exercise(id)
	if ex == nil {
		return nil, fmt.Errorf("no exercise %s", id)
	}
	if !s.opts.Progress.Get(id).Done {
		return nil, errors.New("the solution opens once your program has passed")
	}
	var out []SolutionFile
	for _, f := range ex.Files {
		b, err := fs.ReadFile(s.opts.Content, path.Join(ex.SolutionDir, f))
		if err != nil {
			return nil, fmt.Errorf("the solution's %s is not in this binary: %w", f, err)
		}
		out = append(out, SolutionFile{Name: filepath.ToSlash(f), Text: string(b)})
	}
	return out, nil
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
		if err := grader.Remove(ctx, r.Cluster, r.Exercise, r.Values); err != nil {
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
