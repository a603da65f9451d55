package course

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/internal/runner"
)

// CheckRequest is one check of one exercise.
type CheckRequest struct {
	Exercise *catalogue.Exercise
	// Dir is the program's folder; "" is the exercise's folder in the
	// workspace.
	Dir string
	// Run replaces the spec's build and run commands (any language).
	Run string
	// Seed repeats a run's input exactly; 0 picks a new one.
	Seed uint64
	// Leave keeps the run's topics and groups on the cluster for good.
	Leave bool
	// Events receives the grader's events as they happen.
	Events func(grader.Event)
	// Cluster is told which provider serves the check, and receives its
	// start-up events when the check has to start it.
	Cluster func(auto.Choice)
	Start   func(containers.Event)
	// Learner replaces the session's learner name as the prefix of the
	// run's names: a class grade gives every submission its own, so that
	// submissions graded at once on one cluster never share a name.
	Learner string
	// GradeOnly is for a program that is not this session's learner's (an
	// instructor grading a class): nothing is recorded in the progress and
	// no solution is revealed in the workspace.
	GradeOnly bool
	// ProgramCache is where Go programs are built; "" is the user's cache.
	ProgramCache string
	// Queued hears the check's place in line while the session's Gate
	// holds it back (1: next), and 0 once it may run.
	Queued func(place int)
	// Guard keeps the program to its own topics, groups and namespaces
	// (grader.Request.Guard): a class's submissions graded at once on
	// one cluster must not decide each other's verdicts.
	Guard bool
}

// SpecFile is an exercise's spec as built into the binary: what a class
// grade hashes along with a submission, so that a changed exercise is
// graded again.
func (s *Session) SpecFile(ex *catalogue.Exercise) ([]byte, error) {
	return fs.ReadFile(s.opts.Content, path.Join(ex.Dir, catalogue.SpecFile))
}

// Check grades a program against a cluster of the exercise's kind,
// starting one if the session has none yet. A problem with the request
// itself (no such folder, a Go program that cannot be built there) is a
// *UsageError and nothing runs; anything else is a result: a pass or fail
// is recorded in the progress, and a pass reveals the reference solution
// in the workspace (neither for GradeOnly). An error (the cluster's or
// streamlab's) records nothing: it is not the learner's doing.
func (s *Session) Check(ctx context.Context, req CheckRequest) (result.Result, error) {
	begun := time.Now()
	ex := req.Exercise
	dir, err := s.programDir(req)
	if err != nil {
		return result.Result{}, err
	}
	start := req.Start
	if start == nil {
		start = func(containers.Event) {}
	}
	kind := ex.Cluster
	var told auto.Choice
	if req.Cluster != nil && s.Cluster(kind) == nil {
		// Say which provider before its start-up events, not after.
		if c, err := s.Choice(kind); err == nil {
			told = c
			req.Cluster(c)
		}
	}
	cl, choice, err := s.StartCluster(ctx, kind, start)
	if req.Cluster != nil && choice.Provider != nil && (told.Provider == nil || told.Provider.Name() != choice.Provider.Name()) {
		req.Cluster(choice) // a fallback, or a cluster already running
	}
	if err != nil {
		return notChecked(ex, "starting the cluster: "+err.Error(), "the cluster did not start"), nil
	}
	// An exercise on two clusters (a bridge) starts the second one after
	// the first, with the same progress events.
	var others []containers.Cluster
	for _, k := range ex.Kinds()[1:] {
		o, _, err := s.StartCluster(ctx, k, start)
		if err != nil {
			return notChecked(ex, fmt.Sprintf("starting the %s cluster: %v", k, err), "the cluster did not start"), nil
		}
		others = append(others, o)
	}
	release, refused := s.admit(ctx, ex, req.Queued)
	if refused != nil {
		return *refused, nil
	}
	defer release()
	// Runs are kept by exercise: a class's submissions, graded at once,
	// would remove each other's.
	keepRuns := s.opts.KeepRuns && !req.GradeOnly
	if keepRuns {
		if err := s.RemoveRun(ctx, ex.ID); err != nil {
			s.log.Warn("removing the previous run", "exercise", ex.ID, "err", err)
		}
	}
	s.log.Info("check", "exercise", ex.ID, "dir", dir)
	prefix := s.opts.Config.Learner
	if req.Learner != "" {
		prefix = req.Learner
	}
	res := grader.Run(ctx, grader.Request{
		Exercise: ex, Dir: dir, Run: req.Run, Cluster: cl, Others: others, Provider: choice.Provider.Name(),
		Seed: req.Seed, Keep: req.Leave || keepRuns, Prefix: prefix, ProgramCache: s.programCache(req.ProgramCache), As: s.as(req),
		Guard: req.Guard || s.opts.Guard,
		Events: func(e grader.Event) {
			if e.Vars != nil && keepRuns && !req.Leave {
				s.keep(&Run{Exercise: ex, Cluster: cl, Others: others, Values: e.Vars, Started: time.Now()})
			}
			if req.Events != nil {
				req.Events(e)
			}
		},
	})
	s.log.Info("checked", "exercise", ex.ID, "status", res.Status, "score", res.Score, "message", res.Message)
	if req.GradeOnly {
		return res, nil
	}
	// Deferred, so that the progress OnCheck reads has this check in it.
	defer s.tell(ex, prefix, res, begun)
	if res.Status == result.Error {
		return res, nil
	}
	if err := s.progress.Record(ex.ID, string(res.Status)); err != nil {
		s.warn(err.Error())
		s.log.Warn("recording progress", "err", err)
	}
	if res.Status == result.Pass && s.ws.Exists() {
		var dir string
		if err := s.reveal(ex, &dir); err != nil {
			s.log.Warn("writing the solution", "exercise", ex.ID, "err", err)
		}
	}
	return res, nil
}

// tell hands a check's outcome to Options.OnCheck.
func (s *Session) tell(ex *catalogue.Exercise, learner string, res result.Result, begun time.Time) {
	if s.opts.OnCheck == nil {
		return
	}
	s.opts.OnCheck(Checked{
		Session: s, Learner: learner, Exercise: ex, Result: res,
		Progress: s.progress.Get(ex.ID), Started: begun, Ended: time.Now(),
	})
}

// Prebuild builds the workspace's copy of an exercise ahead of its check
// (when the learner saves), so that pressing check does not wait for the
// link. Errors are the check's to report; this one says nothing.
func (s *Session) Prebuild(ctx context.Context, ex *catalogue.Exercise) {
	dir := s.ws.ExerciseDir(ex)
	if moduleRoot(dir) == "" {
		return
	}
	if err := grader.Prebuild(ctx, ex, dir, s.programCache(""), s.opts.As); err != nil {
		s.log.Debug("prebuild", "exercise", ex.ID, "err", err)
	}
}

// as is the account a check's program runs as: the learner's, unless the
// program is not theirs (GradeOnly).
func (s *Session) as(req CheckRequest) *runner.Account {
	if req.GradeOnly {
		return nil
	}
	return s.opts.As
}

// programCache is where a check builds its program: the one asked for,
// else, for a learner with an account, a folder in the account's home
// (only the account may write where it builds), else the user's cache.
func (s *Session) programCache(asked string) string {
	if asked != "" || s.opts.As == nil {
		return asked
	}
	return filepath.Join(s.opts.As.Home, ".cache", "streamlab", "programs")
}

// programDir is the folder a check runs in, after making sure a program
// can be graded there.
func (s *Session) programDir(req CheckRequest) (string, error) {
	ex := req.Exercise
	dir := req.Dir
	if dir == "" {
		if !s.ws.Exists() {
			return "", &UsageError{fmt.Sprintf("there is no workspace at %s yet: run `streamlab init` to create it (or `streamlab init DIR` with --workspace DIR), or give --dir", s.ws.Root)}
		}
		dir = s.ws.ExerciseDir(ex)
		if _, err := os.Stat(dir); err != nil {
			return "", &UsageError{fmt.Sprintf("%s is missing from your workspace: `streamlab reset %s` writes its starter again", dir, ex.ID)}
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", &UsageError{fmt.Sprintf("--dir %s: %v", dir, err)}
	}
	fi, err := os.Stat(abs)
	if err != nil || !fi.IsDir() {
		return "", &UsageError{fmt.Sprintf("--dir %s is not a folder: give the folder that holds your program", dir)}
	}
	if req.Run == "" && ex.Build == catalogue.DefaultBuild && moduleRoot(abs) == "" {
		// A Go program outside any module fails with "go.mod file not
		// found", which says nothing of what to do and is not the
		// learner's mistake.
		ws := s.ws.Root
		if !s.ws.Exists() {
			return "", &UsageError{fmt.Sprintf("%s is not inside a Go module, so its program cannot be built: run `streamlab init` once, then copy go.mod and go.sum from the workspace it creates (%s) into %s", abs, ws, abs)}
		}
		return "", &UsageError{fmt.Sprintf("%s is not inside a Go module, so its program cannot be built: add streamlab's module files with\n  cp %s %s %s/", abs, filepath.Join(ws, "go.mod"), filepath.Join(ws, "go.sum"), abs)}
	}
	return abs, nil
}

// moduleRoot is the folder at or above dir with a go.mod, or "".
func moduleRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// notChecked is an error verdict before any check ran. Every check is
// still listed, so the maximum score reads the same as on any other run.
func notChecked(ex *catalogue.Exercise, msg, why string) result.Result {
	r := result.Result{Exercise: ex.ID, Status: result.Error, Message: msg}
	for _, c := range ex.Checks {
		r.Tests = append(r.Tests, result.Test{Name: c.Name, Status: result.Error, Message: "Not checked: " + why + ".", MaxScore: c.Points})
	}
	r.Finish()
	return r
}
