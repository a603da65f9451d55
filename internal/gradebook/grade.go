package gradebook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
)

// Session is what a class grade needs of the course session
// (*course.Session): its clusters, its Check, and the exercise's spec.
type Session interface {
	Choice(k containers.Kind) (auto.Choice, error)
	Cluster(k containers.Kind) containers.Cluster
	StartCluster(ctx context.Context, k containers.Kind, progress func(containers.Event)) (containers.Cluster, auto.Choice, error)
	Check(ctx context.Context, req course.CheckRequest) (result.Result, error)
	SpecFile(ex *catalogue.Exercise) ([]byte, error)
	Learner() string
}

// Options of a class grade.
type Options struct {
	Session  Session
	Exercise *catalogue.Exercise
	// Jobs is how many submissions are graded at once; 0 is DefaultJobs.
	Jobs int
	// Out is where results are written (WriteResults); "" writes nothing
	// and skips nothing.
	Out string
	// Force grades every submission, changed or not.
	Force bool
	// ProgramCache is where Go programs are built; "" is the user's cache.
	ProgramCache string
	// Cluster and Start report the cluster's choice and start-up.
	Cluster func(auto.Choice)
	Start   func(containers.Event)
	// Done is told of each submission as it finishes, one call at a time.
	Done func(Entry)
	// Events receives each submission's grader events as they happen,
	// from several submissions at once.
	Events func(Submission, grader.Event)
}

// DefaultJobs is one submission per CPU: a grade is mostly a build and a
// program run, each about one core.
func DefaultJobs() int { return max(runtime.NumCPU(), 1) }

// Entry is a submission's grade.
type Entry struct {
	Submission Submission
	Result     result.Result
	// Hash covers the submission's files, the exercise id and its spec,
	// and the streamlab that grades.
	Hash    string
	Elapsed time.Duration
	// Skipped: unchanged since the grade recorded under Out, whose
	// result this is.
	Skipped bool
}

// Grade grades every submission and returns their entries in the order
// given. The exercise's clusters are started once, before any submission
// runs, and shared: each submission's names carry its own prefix. A
// cluster that cannot start is the error; a submission's own trouble
// (a hang, a flood of output, a crash, a folder with no program) is only
// its own entry's verdict.
func Grade(ctx context.Context, opts Options, subs []Submission) ([]Entry, error) {
	ex := opts.Exercise
	spec, err := opts.Session.SpecFile(ex)
	if err != nil {
		return nil, fmt.Errorf("reading the spec of %s: %w", ex.ID, err)
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = DefaultJobs()
	}
	entries := make([]Entry, len(subs))
	var todo []int
	for i, s := range subs {
		entries[i] = Entry{Submission: s}
		if s.Problem != "" { // a clone that failed has no folder to hash
			todo = append(todo, i)
			continue
		}
		h, err := Hash(s.Dir, ex.ID, spec)
		if err != nil {
			entries[i].Submission.Problem = fmt.Sprintf("reading %s: %v", s.Dir, err)
		}
		entries[i].Hash = h
		if rec, ok := previous(opts, entries[i]); ok {
			entries[i].Result, entries[i].Elapsed, entries[i].Skipped = rec.Result, rec.Elapsed, true
			continue
		}
		todo = append(todo, i)
	}
	if needsCluster(entries, todo) {
		start := opts.Start
		if start == nil {
			start = func(containers.Event) {}
		}
		// Started here, once: submissions starting it at once would race,
		// and each would retry a cluster that cannot start.
		for n, k := range ex.Kinds() {
			var told auto.Choice
			if n == 0 && opts.Cluster != nil && opts.Session.Cluster(k) == nil {
				// Which provider, before its start-up events.
				if c, err := opts.Session.Choice(k); err == nil {
					told = c
					opts.Cluster(c)
				}
			}
			_, choice, err := opts.Session.StartCluster(ctx, k, start)
			if err != nil {
				return nil, fmt.Errorf("starting the %s cluster: %w", k, err)
			}
			if n == 0 && opts.Cluster != nil && choice.Provider != nil && (told.Provider == nil || told.Provider.Name() != choice.Provider.Name()) {
				opts.Cluster(choice) // a fallback, or a cluster already running
			}
		}
	}

	// Skipped ones are reported first: they are already known.
	for i := range entries {
		if entries[i].Skipped && opts.Done != nil {
			opts.Done(entries[i])
		}
	}
	var mu sync.Mutex // serialises Done
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, max(len(todo), 1)) {
		wg.Go(func() {
			for i := range next {
				e := &entries[i]
				t0 := time.Now()
				e.Result = gradeOne(ctx, opts, e.Submission)
				e.Elapsed = time.Since(t0)
				if opts.Out != "" && ctx.Err() == nil {
					if err := WriteResults(opts.Out, *e); err != nil {
						e.Result = notGraded(ex, fmt.Sprintf("writing the results of %s: %v", e.Submission.Name, err))
					}
				}
				if opts.Done != nil {
					mu.Lock()
					opts.Done(*e)
					mu.Unlock()
				}
			}
		})
	}
feed:
	for n, i := range todo {
		select {
		case next <- i:
		case <-ctx.Done():
			for _, j := range todo[n:] {
				entries[j].Result = notGraded(ex, "not graded: the grade was interrupted")
			}
			break feed
		}
	}
	close(next)
	wg.Wait()
	return entries, nil
}

// needsCluster: a class whose every submission to grade is a folder with
// a problem needs no cluster.
func needsCluster(entries []Entry, todo []int) bool {
	return slices.ContainsFunc(todo, func(i int) bool { return entries[i].Submission.Problem == "" })
}

// gradeOne is the session's Check for one submission: someone else's
// program, so nothing is recorded or revealed.
func gradeOne(ctx context.Context, opts Options, s Submission) result.Result {
	ex := opts.Exercise
	if s.Problem != "" {
		return notGraded(ex, s.Problem)
	}
	learner := s.Prefix
	if l := opts.Session.Learner(); l != "" {
		learner = l + "-" + s.Prefix // the instructor's own space on a shared cluster
	}
	req := course.CheckRequest{
		Exercise: ex, Dir: s.Dir, Run: s.Run, Learner: learner, GradeOnly: true, ProgramCache: opts.ProgramCache,
		Guard: true, // the class shares one cluster: no submission may touch another's names
	}
	if opts.Events != nil {
		req.Events = func(e grader.Event) { opts.Events(s, e) }
	}
	res, err := opts.Session.Check(ctx, req)
	if err != nil {
		return notGraded(ex, s.Dir+": "+err.Error())
	}
	return res
}

// notGraded is an error verdict before anything ran, listing every check
// so that the maximum score reads as on any other run.
func notGraded(ex *catalogue.Exercise, msg string) result.Result {
	r := result.Result{Exercise: ex.ID, Status: result.Error, Message: msg}
	for _, c := range ex.Checks {
		r.Tests = append(r.Tests, result.Test{Name: c.Name, Status: result.Error, Message: "Not checked: the submission was not graded.", MaxScore: c.Points})
	}
	r.Finish()
	r.MaxScore = ex.MaxScore()
	return r
}

// previous is the grade recorded under Out for the same hash, when it
// may stand: an error is the cluster's or streamlab's, never kept.
func previous(opts Options, e Entry) (record, bool) {
	if opts.Out == "" || opts.Force || e.Hash == "" || e.Submission.Problem != "" {
		return record{}, false
	}
	rec, err := readRecord(opts.Out, e.Submission.Name)
	if err != nil || rec.Hash != e.Hash || rec.Result.Status == result.Error {
		return record{}, false
	}
	return rec, true
}

// Hash covers what decides a submission's grade: every file of its folder
// (path, kind and content), the exercise id, the exercise's spec and the
// streamlab that grades (Version). Files a run or a tool leaves behind
// (.git, __pycache__, *.pyc) are not the submission's and are left out,
// so grading does not change it.
func Hash(dir, exercise string, spec []byte) (string, error) {
	return hashFor(Version(), dir, exercise, spec)
}

func hashFor(version, dir, exercise string, spec []byte) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "streamlab grade 2\x00%s\x00%s\x00%d\x00", version, exercise, len(spec))
	h.Write(spec)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if p != dir && (d.Name() == ".git" || d.Name() == "__pycache__") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".pyc") {
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "L\x00%s\x00%s\x00", rel, target)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			exec := info.Mode()&0o111 != 0 // a script's run bit changes what runs
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			fmt.Fprintf(h, "F\x00%s\x00%t\x00%d\x00", rel, exec, info.Size())
			if _, err := io.Copy(h, f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ExitCode is 0 when every submission was graded (pass or fail) and 2
// when any ended in an error.
func ExitCode(entries []Entry) int {
	if slices.ContainsFunc(entries, func(e Entry) bool { return e.Result.Status == result.Error }) {
		return 2
	}
	return 0
}
