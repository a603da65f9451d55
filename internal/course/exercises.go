package course

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/up"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/progress"
	"github.com/streamlab/streamlab/internal/workspace"
)

// Init creates the learner's workspace, or adds what is missing to it
// (new exercises after an update); it never touches a file that exists.
// A workspace inside the course source is refused: the source is not the
// learner's to edit.
func (s *Session) Init() (workspace.InitReport, error) {
	if clone, in := workspace.InSource(s.ws.Root); in {
		return workspace.InitReport{}, &UsageError{fmt.Sprintf("%s is inside the course source (%s), which streamlab never changes: choose a folder outside it, e.g. `streamlab init %s`", s.ws.Root, clone, workspace.DefaultRoot())}
	}
	var rep workspace.InitReport
	err := s.opts.As.Do(func() (err error) {
		rep, err = s.ws.Init(s.cat)
		return err
	})
	return rep, err
}

// Legacy finds a clone of the course, at or above the current folder,
// whose exercises/ the learner edited before workspaces existed.
func (s *Session) Legacy() *workspace.Legacy {
	wd, err := os.Getwd()
	if err != nil {
		return nil
	}
	return workspace.FindLegacy(wd)
}

// Import copies a legacy clone's edits into the workspace (created first
// if need be); the clone is not changed.
func (s *Session) Import(l *workspace.Legacy) ([]string, error) {
	if !s.ws.Exists() {
		if _, err := s.Init(); err != nil {
			return nil, err
		}
	}
	var files []string
	err := s.opts.As.Do(func() (err error) {
		files, err = s.ws.Import(l, s.cat)
		return err
	})
	return files, err
}

// Hint marks one more hint of an exercise as used and returns how many
// are used now (at most the number of hints).
func (s *Session) Hint(id string) (int, error) {
	ex := s.cat.Exercise(id)
	if ex == nil {
		return 0, fmt.Errorf("no exercise %s", id)
	}
	if len(ex.Hints) == 0 {
		return 0, nil
	}
	var n int
	err := s.progress.Update(id, func(e *progress.Exercise) {
		e.HintsUsed = min(e.HintsUsed+1, len(ex.Hints))
		n = e.HintsUsed
	})
	return n, err
}

// ResetReport says what a reset did.
type ResetReport struct {
	Dir     string // the exercise's folder
	Backup  string // where the replaced files are kept; "" if none were
	Removed int    // topics, groups and namespaces of earlier runs removed
	// Warning says what could not be cleaned up on the cluster; the
	// starter was restored all the same.
	Warning string
}

// Reset restores an exercise's pristine starter in the workspace, keeping
// whatever it replaces, and removes what earlier runs of it left on a
// cluster that outlives a run (kept up, or external). No cluster is
// started just for this.
func (s *Session) Reset(ctx context.Context, id string) (ResetReport, error) {
	ex := s.cat.Exercise(id)
	if ex == nil {
		return ResetReport{}, fmt.Errorf("no exercise %s", id)
	}
	if !s.ws.Exists() {
		return ResetReport{}, &UsageError{fmt.Sprintf("there is no workspace at %s yet: run `streamlab init` to create it", s.ws.Root)}
	}
	rep := ResetReport{Dir: s.ws.ExerciseDir(ex)}
	err := s.opts.As.Do(func() (err error) {
		rep.Backup, err = s.ws.Reset(ex)
		return err
	})
	if err != nil {
		return rep, err
	}
	if err := s.RemoveRun(ctx, id); err != nil {
		s.log.Warn("removing the kept run", "exercise", id, "err", err)
	}
	if rep.Removed, err = s.removeLeftovers(ctx, ex); err != nil {
		rep.Warning = err.Error()
	}
	return rep, nil
}

func (s *Session) removeLeftovers(ctx context.Context, ex *catalogue.Exercise) (int, error) {
	total := 0
	var errs []error
	for _, k := range ex.Kinds() {
		n, err := s.removeLeftoversOn(ctx, ex, k)
		total += n
		errs = append(errs, err)
	}
	return total, errors.Join(errs...)
}

func (s *Session) removeLeftoversOn(ctx context.Context, ex *catalogue.Exercise, kind containers.Kind) (int, error) {
	if s.opts.Config.Cluster != "external" {
		st, _, _ := up.Read(s.paths.UpState)
		if st == nil || st.Clusters[kind].KafkaBootstrap == nil && st.Clusters[kind].PulsarServiceURL == "" {
			return 0, nil
		}
	}
	choice, err := s.Choice(kind)
	if err != nil {
		return 0, nil
	}
	cl, err := choice.Provider.Start(ctx, kind, func(containers.Event) {})
	if err != nil {
		return 0, fmt.Errorf("could not reach the cluster to remove old topics: %w", err)
	}
	defer cl.Stop(context.WithoutCancel(ctx))
	n, err := grader.RemoveLeftovers(ctx, cl, ex, s.opts.Config.Learner)
	if err != nil {
		return n, fmt.Errorf("removing old topics: %w", err)
	}
	return n, nil
}

// SolutionFile is one file of a reference solution.
type SolutionFile struct {
	Name string
	Text string
}

// ErrSolutionLocked is returned for a solution not yet earned.
var ErrSolutionLocked = errors.New("the solution opens once your program has passed, or once you give up on the exercise")

// Solution returns the reference solution's files, once the exercise has
// passed or the learner gave up on it.
func (s *Session) Solution(id string) ([]SolutionFile, error) {
	ex := s.cat.Exercise(id)
	if ex == nil {
		return nil, fmt.Errorf("no exercise %s", id)
	}
	if p := s.progress.Get(id); !p.Done && !p.GaveUp {
		return nil, ErrSolutionLocked
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

// GiveUp records that the learner chose to see the solution without a
// pass, writes it into the workspace (when there is one) and returns it.
func (s *Session) GiveUp(id string) ([]SolutionFile, string, error) {
	ex := s.cat.Exercise(id)
	if ex == nil {
		return nil, "", fmt.Errorf("no exercise %s", id)
	}
	if err := s.progress.Update(id, func(e *progress.Exercise) { e.GaveUp = true }); err != nil {
		return nil, "", err
	}
	var dir string
	if s.ws.Exists() {
		if err := s.reveal(ex, &dir); err != nil {
			return nil, "", err
		}
	}
	files, err := s.Solution(id)
	return files, dir, err
}

// reveal writes an exercise's solution into the workspace, with the
// learner's permissions when they have an account, and sets *dir to
// where it went.
func (s *Session) reveal(ex *catalogue.Exercise, dir *string) error {
	return s.opts.As.Do(func() (err error) {
		*dir, err = s.ws.Reveal(ex)
		return err
	})
}
