// Package grader runs one exercise attempt end to end: it gives the run its
// own names and input data, prepares the cluster, runs the learner's program
// with the environment contract, evaluates the checks against the cluster,
// and returns a verdict. A fault of the cluster or of streamlab is an error
// verdict; only what the learner's program did (or did not do) is a failure.
package grader

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/checks"
	"github.com/streamlab/streamlab/internal/datagen"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/internal/runner"
)

// Request is one grading run.
type Request struct {
	Exercise *catalogue.Exercise
	Dir      string // folder the program runs in
	Run      string // replaces the spec's build and run commands when set
	Cluster  containers.Cluster
	// Others are the further clusters of an exercise on two
	// (Exercise.Clusters): a Kafka→Pulsar bridge runs on both at once.
	Others   []containers.Cluster
	Provider string // name shown in the result
	Seed     uint64 // 0: a fresh random seed
	Prefix   string // learner prefix for every name, on shared clusters
	Keep     bool   // leave the run's topics and groups for inspection
	Events   func(Event)
	// BuildTimeout bounds the build step (first builds compile dependencies).
	BuildTimeout time.Duration
	// ProgramCache holds built programs, one stable path per program
	// folder; "" is the user's cache folder.
	ProgramCache string
	// As, when set, builds and runs the program as that user rather than
	// streamlab's own (`serve --users`: each learner's programs run as
	// the learner). ProgramCache must then be a folder the user may write.
	As *runner.Account

	// Guard keeps the program to its own names (guard.go): on a cluster
	// shared with other programs at once (a class graded together, a
	// workshop), one that deletes or writes to another's topics or
	// groups would otherwise decide that other's verdict.
	Guard bool
}

// Stage of a run, reported as it happens.
type Stage string

const (
	StagePreparing Stage = "preparing"
	StageBuilding  Stage = "building"
	StageRunning   Stage = "running"
	StageChecking  Stage = "checking"
	StageCleanup   Stage = "cleanup"
	StageDone      Stage = "done"
)

// Event reports progress: a stage, a line of program output, or a test.
type Event struct {
	Stage Stage
	Line  string       // program output, when set
	Test  *result.Test // a finished check, when set
	Vars  map[string]string
	// Fault says what the grader did to the program while it ran, when
	// set (for example "killed instance 0 ... ; started it again"), or
	// what a load published to it (load.go).
	Fault string
}

// Run grades one attempt. It never panics on bad input and always returns a
// result; ctx cancellation stops the program and ends the run as an error.
func Run(ctx context.Context, req Request) result.Result {
	g := &run{req: req, res: result.Result{Exercise: req.Exercise.ID, Cluster: req.Provider}}
	g.execute(ctx)
	g.res.Finish()
	if g.res.Status == result.Error {
		g.res.MaxScore = req.Exercise.MaxScore() // as a passing run would report it
	}
	return g.res
}

type run struct {
	req    Request
	res    result.Result
	be     *backends
	env    *checks.Env
	tmp    string
	values map[string]string
	// restarting counts the broker restarts a fault has under way.
	restarting atomic.Int32
	// program is where the build step writes the program (STREAMLAB_PROGRAM).
	program string
	// loads publish input while the program runs (load.go); nil for none.
	loads *loadSet
}

func (g *run) emit(e Event) {
	if g.req.Events != nil {
		g.req.Events(e)
	}
}

// infra ends the run with an error verdict: not the learner's problem.
func (g *run) infra(format string, a ...any) {
	g.res.Status = result.Error
	g.res.Message = fmt.Sprintf(format, a...)
}

func (g *run) execute(ctx context.Context) {
	ex := g.req.Exercise
	t0 := time.Now()
	g.emit(Event{Stage: StagePreparing})
	g.res.Seed = g.req.Seed
	if g.res.Seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		g.res.Seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	be, err := newBackends(ex.Kinds(), append([]containers.Cluster{g.req.Cluster}, g.req.Others...))
	if err != nil {
		g.infra("%v", err)
		return
	}
	g.be = be
	defer g.be.Close()

	tmp, err := os.MkdirTemp("", "streamlab-run-")
	if err != nil {
		g.infra("making a folder for the run: %v", err)
		return
	}
	g.tmp = tmp
	defer os.RemoveAll(tmp)
	if g.req.As != nil {
		// The program, run as another user, reads its input files here;
		// streamlab's user alone writes them.
		if err := os.Chmod(tmp, 0o755); err != nil {
			g.infra("opening the run's folder to the program: %v", err)
			return
		}
	}
	g.program = filepath.Join(tmp, "program")
	if g.req.Run == "" && ex.Build != "" {
		bp, err := openProgram(g.req.ProgramCache, g.req.Dir, g.req.As)
		if err != nil {
			g.infra("preparing the build: %v", err)
			return
		}
		defer bp.Close()
		g.program = bp.Path
	}

	if err := g.be.Connect(ctx); err != nil {
		g.infra("%v", err)
		return
	}
	if err := g.prepare(ctx); err != nil {
		g.infra("preparing the cluster for the run: %v", err)
		g.cleanup()
		return
	}
	g.res.Timings.Prepare = time.Since(t0)
	if !g.req.Keep {
		defer g.cleanup()
	}

	if !g.build(ctx) {
		return
	}
	g.runAndCheck(ctx)
}

// prepare names every variable, writes input files, creates and seeds topics.
func (g *run) prepare(ctx context.Context) error {
	ex := g.req.Exercise
	runID := newRunID()
	g.values = map[string]string{}
	g.env = &checks.Env{Vars: g.values, Inputs: map[string][]datagen.Order{}, Models: map[string]datagen.Model{}, ModelVersions: map[string][]datagen.Model{}}
	for i, v := range ex.Variables {
		if v.Kind != catalogue.KindFile {
			continue
		}
		if v.Generator == catalogue.GeneratorModel {
			if err := g.writeModel(i, v); err != nil { // models.go
				return err
			}
			continue
		}
		orders := datagen.Orders(g.res.Seed+uint64(i), v.OrdersSpec)
		p := filepath.Join(g.tmp, strings.ToLower(v.Name)+".jsonl")
		if err := datagen.WriteFile(p, orders); err != nil {
			return err
		}
		g.values[v.Name] = p
		g.env.Inputs[v.Name] = orders
	}
	// Namespaces are named first: topics are named inside them.
	for _, kind := range []string{catalogue.KindNamespace, catalogue.KindTopic, catalogue.KindSubscription, catalogue.KindGroup} {
		for _, v := range ex.Variables {
			if v.Kind == kind {
				g.values[v.Name] = g.be.Name(v, ResourceName(g.req.Prefix, ex.Slug, v.Name, runID), g.values)
			}
		}
	}
	// Namespaces are created first: topics may live in them.
	for _, kind := range []string{catalogue.KindNamespace, catalogue.KindTopic, catalogue.KindSubscription, catalogue.KindGroup} {
		for _, v := range ex.Variables {
			if v.Kind == kind && v.Created() {
				if err := g.be.Create(ctx, v, g.values[v.Name]); err != nil {
					return err
				}
			}
		}
	}
	stamps := map[string][]time.Time{} // topic variable -> CreateTimes seeded into it
	for j, s := range ex.Seeds {
		lines, keys := g.fileRecords(s.From, s.Key)
		var at []time.Time
		if s.Timestamps != nil {
			// Seeds draw from seeds past the variables' own, so that
			// stamps never repeat an input file's draws.
			at = datagen.Stamps(g.res.Seed+uint64(len(ex.Variables)+j), len(lines), s.Timestamps.Span, time.Now())
			stamps[s.Topic] = append(stamps[s.Topic], at...)
		}
		if err := g.seed(ctx, g.values[s.Topic], lines, keys, at); err != nil {
			return err
		}
	}
	g.prepareLoads()
	g.nameTimes(stamps)
	g.nameDurations()
	g.be.Fill(g.env)
	g.emit(Event{Stage: StagePreparing, Vars: g.values})
	return nil
}

func (g *run) programEnv() []string {
	env := g.be.ProgramEnv()
	for _, v := range g.req.Exercise.Variables {
		env = append(env, v.Name+"="+g.values[v.Name])
	}
	return append(env, "STREAMLAB_PROGRAM="+g.program, "STREAMLAB_SEED="+fmt.Sprint(g.res.Seed))
}

// build compiles the program when the spec has a build step and no --run
// replaced it. A program that does not build fails the run.
func (g *run) build(ctx context.Context) bool {
	ex := g.req.Exercise
	if g.req.Run != "" || ex.Build == "" {
		return true
	}
	g.emit(Event{Stage: StageBuilding})
	limit := g.req.BuildTimeout
	if limit == 0 {
		limit = 5 * time.Minute
	}
	res, err := runner.Run(ctx, runner.Command{Shell: ex.Build, Dir: g.req.Dir, Env: g.programEnv(), Timeout: limit, Line: g.line, As: g.req.As})
	g.res.Timings.Build = res.Duration
	if err != nil {
		g.infra("%v", err)
		return false
	}
	if res.Canceled {
		g.infra("cancelled")
		return false
	}
	if res.Success() {
		return true
	}
	msg := "The program does not build: " + res.Describe(limit) + ". The compiler's messages are below."
	if res.ExitCode == 127 {
		g.infra("the build command %q was not found: install Go (https://go.dev/dl), or grade another language with --run", ex.Build)
		return false
	}
	g.res.Tests = append(g.res.Tests, result.Test{Name: "the program builds", Status: result.Fail, Message: msg, Output: res.Output})
	// The checks still count towards the maximum, so a score reads the
	// same whether or not the program built.
	for _, c := range ex.Checks {
		g.res.Tests = append(g.res.Tests, result.Test{Name: c.Name, Status: result.Fail, Message: "Not checked: the program does not build.", MaxScore: c.Points})
	}
	g.res.Output = res.Output
	return false
}

func (g *run) line(s string) { g.emit(Event{Line: s}) }

// runAndCheck runs the program while polling the running-checks, then
// evaluates the after-checks.
func (g *run) runAndCheck(ctx context.Context) {
	ex := g.req.Exercise
	cmd := ex.Run
	if g.req.Run != "" {
		cmd = g.req.Run
	}
	// Checks that note what the broker delivers start before the program.
	for _, c := range ex.Checks {
		if o, ok := c.Check.(checks.Observer); ok {
			stop, err := o.Observe(ctx, g.env)
			if err != nil {
				g.infra("preparing the check %q: %v", c.Name, err)
				return
			}
			defer stop()
		}
	}
	g.emit(Event{Stage: StageRunning})

	// Checks that watch the running program record whether they ever passed.
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make([]*watch, len(ex.Checks))
	var wg sync.WaitGroup
	for i, c := range ex.Checks {
		if c.When == checks.WhileRuns {
			w := &watch{}
			watched[i] = w
			wg.Add(1)
			go func() { defer wg.Done(); w.poll(watchCtx, c, g.env) }()
		}
	}
	// A cluster that dies under the program ends the run at once as the
	// cluster's error, instead of leaving the program to its time limit.
	progCtx, stopProg := context.WithCancelCause(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); g.watchHealth(watchCtx, stopProg) }()
	t0 := time.Now()
	fl := g.runFleet(progCtx, cmd, stopProg)
	err := fl.startErr
	lastRuns := fl.lastRuns()
	res := runner.Result{Duration: time.Since(t0), Output: fl.output()}
	for _, r := range lastRuns {
		res.Canceled = res.Canceled || r.Canceled
	}
	stopWatch()
	wg.Wait()
	if down := context.Cause(progCtx); ctx.Err() == nil && down != nil && down != context.Canceled {
		stopProg(nil)
		g.res.Output = res.Output
		g.infra("%v", down)
		return
	}
	stopProg(nil)
	g.res.Timings.Program = res.Duration
	g.res.Output = res.Output
	if err != nil {
		g.infra("%v", err)
		return
	}
	if res.Canceled {
		g.infra("the check was cancelled")
		return
	}
	prog, faultTests := fl.tests(ex.Timeout)
	for _, r := range lastRuns {
		if !r.Success() && r.ExitCode == 127 && g.req.Run != "" {
			g.infra("the command %q was not found (exit status 127)", cmd)
			return
		}
	}
	g.res.Tests = append(g.res.Tests, prog)
	g.emit(Event{Test: &prog})
	for i := range faultTests {
		g.res.Tests = append(g.res.Tests, faultTests[i])
		g.emit(Event{Test: &faultTests[i]})
	}

	g.emit(Event{Stage: StageChecking})
	t := time.Now()
	for i, c := range ex.Checks {
		began := time.Now() // each check's own time, not the sum so far
		var o checks.Outcome
		if w := watched[i]; w != nil {
			o = w.outcome()
		} else {
			o = converge(ctx, c, g.env)
		}
		test := result.Test{Name: c.Name, Status: result.Status(o.Status), Message: o.Message, MaxScore: c.Points, Duration: time.Since(began)}
		if o.Status == checks.Pass {
			test.Score = c.Points
		}
		g.res.Tests = append(g.res.Tests, test)
		g.emit(Event{Test: &test})
	}
	g.res.Timings.Checks = time.Since(t)

	// A failure seen while the cluster is down says nothing about the
	// program: the whole run is then the cluster's error.
	for _, t := range g.res.Tests[1:] {
		if t.Status != result.Pass {
			if err := g.be.Healthy(context.WithoutCancel(ctx)); err != nil {
				g.infra("the cluster stopped answering during the check: %v", err)
			}
			break
		}
	}
}

// healthEvery is how often the cluster is asked whether it still answers
// while the program runs.
const healthEvery = 2 * time.Second

// watchHealth asks the cluster whether it answers until ctx ends; two
// failures in a row stop the program with the cluster's error as cause.
func (g *run) watchHealth(ctx context.Context, stop context.CancelCauseFunc) {
	tick := time.NewTicker(healthEvery)
	defer tick.Stop()
	failed := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if g.restarting.Load() > 0 {
			failed = 0 // down on purpose: restartBroker reports one that stays down
			continue
		}
		err := g.be.Healthy(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			failed = 0
			continue
		}
		if failed++; failed == 2 {
			stop(fmt.Errorf("the cluster stopped answering while your program ran: %w", err))
			return
		}
	}
}

// converge evaluates an after-run check, re-evaluating a failure until its
// within-window has passed: commits and statistics settle a little after
// the program exits.
func converge(ctx context.Context, c checks.Spec, env *checks.Env) checks.Outcome {
	deadline := time.Now().Add(c.Within)
	for {
		env.Fresh()
		o := evaluate(ctx, c, env)
		if o.Status == checks.Pass || time.Now().After(deadline) || ctx.Err() != nil {
			return o
		}
		select {
		case <-ctx.Done():
			return o
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// evaluate runs one check with a bound on its time, so a hung cluster is an
// error rather than a hung grader.
func evaluate(ctx context.Context, c checks.Spec, env *checks.Env) checks.Outcome {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	o := c.Check.Evaluate(ctx, env)
	if o.Status == checks.Error && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		o.Message = "the cluster did not answer within 30s: " + o.Message
	}
	return o
}

// watch polls a check while the program runs; the check passes if it was
// ever true then.
type watch struct {
	mu   sync.Mutex
	last checks.Outcome
}

func (w *watch) poll(ctx context.Context, c checks.Spec, env *checks.Env) {
	env = env.View()
	for {
		env.Fresh()
		o := evaluate(ctx, c, env)
		if ctx.Err() != nil {
			return // an evaluation cut short by the program's end says nothing
		}
		w.mu.Lock()
		w.last = o
		w.mu.Unlock()
		if o.Status == checks.Pass {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (w *watch) outcome() checks.Outcome {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last.Status == "" {
		return checks.Outcome{Status: checks.Fail, Message: "The program ended before this could be observed: it must still be running while its work is checked."}
	}
	return w.last
}

// cleanup removes the run's topics and groups; on a reused cluster, runs
// would otherwise pile up. It uses its own context: a cancelled check
// still cleans up after itself.
func (g *run) cleanup() {
	if g.values == nil {
		return
	}
	t := time.Now()
	g.emit(Event{Stage: StageCleanup})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = g.be.Remove(ctx, g.req.Exercise.Variables, g.values)
	g.res.Timings.Cleanup = time.Since(t)
}

// fieldOf reads a field of a JSON line for seeding keys.
func fieldOf(line, field string) (string, bool) { return checks.JSONField([]byte(line), field) }

// Remove deletes the topics, groups and subscriptions of a run made with
// Keep, once the learner is done looking at them; others are the further
// clusters of an exercise on two.
func Remove(ctx context.Context, cl containers.Cluster, ex *catalogue.Exercise, values map[string]string, others ...containers.Cluster) error {
	be, err := newBackends(ex.Kinds(), append([]containers.Cluster{cl}, others...))
	if err != nil {
		return err
	}
	defer be.Close()
	for _, v := range ex.Variables {
		if v.Kind == catalogue.KindTopic {
			be.topics[values[v.Name]] = v.Cluster
		}
	}
	if err := be.Connect(ctx); err != nil {
		return err
	}
	return be.Remove(ctx, ex.Variables, values)
}

// RemoveLeftovers deletes what earlier runs of an exercise left on a
// cluster (runs kept for inspection, or cut short): `reset` calls it.
// On an exercise with two clusters, it is called once for each.
func RemoveLeftovers(ctx context.Context, cl containers.Cluster, ex *catalogue.Exercise, learner string) (int, error) {
	be, err := newBackends([]containers.Kind{cl.Kind()}, []containers.Cluster{cl})
	if err != nil {
		return 0, err
	}
	defer be.Close()
	if err := be.Connect(ctx); err != nil {
		return 0, err
	}
	return be.RemoveByPrefix(ctx, ExercisePrefix(learner, ex.Slug))
}
