package grader

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/checks"
	"github.com/streamlab/streamlab/internal/proxy"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/internal/runner"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// triggerEvery is how often a fault's trigger asks the cluster whether it
// holds. A kill lands at most this long (plus one round trip) after the
// cluster first shows the condition.
const triggerEvery = 100 * time.Millisecond

// fleet runs an exercise's instances of the program and injects its
// faults; a spec with neither is a fleet of one run.
type fleet struct {
	g     *run
	shell string
	// deadline bounds the whole running phase: a restarted instance gets
	// what is left of the exercise's time limit, not a fresh one.
	deadline time.Time
	began    time.Time

	mu      sync.Mutex
	procs   []*runner.Process // the run of each instance now going, nil when none
	ended   []bool            // the instance has ended for good
	runs    [][]runner.Result // every run of each instance
	pending []*firing         // a kill of each instance that awaits its result
	fired   []*firing         // by fault index; nil while its trigger has not held
	// startErr is a program that could not be started at all.
	startErr error

	// For kill: broker faults (restart.go): the cluster to restart, the
	// restarts under way, and how to end the run if one fails.
	restarter containers.BrokerRestarter
	stop      context.CancelCauseFunc
	// background are the faults that run beside the program (a broker
	// restart, a rebalance, unloads); the fleet waits for them before it
	// returns. over is closed once every instance has ended for good, so
	// that a fault that repeats stops with the program.
	background sync.WaitGroup
	over       chan struct{}

	// For faults that act through a proxy (proxied.go): one proxy per
	// instance, what each has seen accepted, and how many answers each
	// lose fault has withheld.
	// notActive says, per fault that kills the active instance, why the
	// last try found none to kill.
	notActive map[int]string

	proxies []*proxy.Proxy
	seen    []seen
	first   map[string]map[int32]int64 // topic → partition → first fetch offset

	// A guarded run (guard.go): the proxy before Pulsar's admin API, and
	// the requests the guards refused.
	admin    *proxy.Admin
	refusals int
	denials  []string
}

// firing is a fault whose trigger held, and what became of it.
type firing struct {
	fault  catalogue.Fault
	at     time.Duration // since the instances started
	saw    string        // what the cluster showed, in words
	killed bool          // the program was still running and was killed
	again  bool          // and was started again
	missed string        // why nothing was killed, when it was not
	after  string        // what became of the restart, in words
	// A lose fault: the answers it withheld, and the records in them.
	answers int
	records int64
}

func (g *run) runFleet(ctx context.Context, shell string, stop context.CancelCauseFunc) *fleet {
	ex := g.req.Exercise
	n := max(ex.Instances, 1)
	f := &fleet{g: g, shell: shell, began: time.Now(),
		procs: make([]*runner.Process, n), ended: make([]bool, n), runs: make([][]runner.Result, n),
		pending: make([]*firing, n), fired: make([]*firing, len(ex.Faults)), over: make(chan struct{})}
	f.deadline = f.began.Add(ex.Timeout)
	f.stop = stop
	if ex.RestartsBroker() {
		r, err := g.restarter()
		if err != nil {
			return f.refused(err)
		}
		f.restarter = r
	}
	if err := f.keepAcknowledged(ctx); err != nil {
		return f.refused(err)
	}
	if must := needsProxy(ex.Faults) || watchesRequests(ex.Checks); must || ((wantsProxy(ex.Faults) || g.req.Guard) && ex.Uses(containers.Kafka)) {
		if err := f.startProxies(must); err != nil {
			return f.refused(err)
		}
		defer f.closeProxies()
	}
	if g.req.Guard && ex.Uses(containers.Pulsar) {
		if err := f.startAdmin(); err != nil {
			return f.refused(err)
		}
		defer f.admin.Close()
	}

	stopLoads, err := g.startLoads(ctx, stop) // load.go
	if err != nil {
		return f.refused(err)
	}
	var instances sync.WaitGroup
	for i := range n {
		instances.Add(1)
		go func() { defer instances.Done(); f.instance(ctx, i) }()
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	var watchers sync.WaitGroup
	for i, fault := range ex.Faults {
		if fault.When.Proxied() {
			continue // the instance's proxy fires it
		}
		watchers.Add(1)
		go func() { defer watchers.Done(); f.watch(watchCtx, i, fault) }()
	}
	instances.Wait()
	stopLoads()
	close(f.over)
	stopWatch()
	watchers.Wait()
	f.background.Wait()
	return f
}

// refused is a fleet that could not start any instance, for err.
func (f *fleet) refused(err error) *fleet {
	f.startErr = err
	for i := range f.runs {
		f.runs[i] = []runner.Result{{ExitCode: -1, Output: err.Error()}}
	}
	return f
}

// instance runs instance i, and runs it again each time a fault killed it
// and asks for a restart.
func (f *fleet) instance(ctx context.Context, i int) {
	env := f.instanceEnv(f.g.programEnv(), i)
	if ex := f.g.req.Exercise; ex.Instances > 1 || len(ex.Faults) > 0 {
		env = append(env, fmt.Sprintf("INSTANCE=%d", i), fmt.Sprintf("INSTANCES=%d", len(f.procs)))
	}
	line := f.g.line
	if len(f.procs) > 1 {
		line = func(s string) { f.g.line(fmt.Sprintf("[%d] %s", i, s)) }
	}
	for {
		var left time.Duration // 0: no limit, as for a spec without one
		if f.g.req.Exercise.Timeout > 0 {
			left = max(time.Until(f.deadline), time.Millisecond)
		}
		p, err := runner.Start(ctx, runner.Command{Shell: f.shell, Dir: f.g.req.Dir, Env: env, Timeout: left, Line: line, As: f.g.req.As})
		if err != nil {
			f.mu.Lock()
			f.runs[i] = append(f.runs[i], runner.Result{ExitCode: -1, Output: err.Error()})
			f.ended[i] = true
			if f.startErr == nil {
				f.startErr = err
				if len(f.procs) > 1 {
					f.startErr = fmt.Errorf("starting instance %d: %w", i, err)
				}
			}
			f.mu.Unlock()
			return
		}
		f.mu.Lock()
		f.procs[i] = p
		f.mu.Unlock()
		res, _ := p.Wait() // Wait's error is always nil once started
		var released []string
		if res.Killed {
			released = f.release(context.WithoutCancel(ctx), i)
		}
		f.mu.Lock()
		f.procs[i] = nil
		f.runs[i] = append(f.runs[i], res)
		fr := f.pending[i]
		f.pending[i] = nil
		restart, report := false, ""
		if fr != nil {
			if res.Killed {
				fr.killed = true
				restart = fr.fault.Restart
				switch {
				case !restart:
					fr.after = "not started again, as the exercise says"
				case ctx.Err() != nil:
					restart, fr.after = false, "not started again: the run was stopped"
				case f.g.req.Exercise.Timeout > 0 && time.Until(f.deadline) <= 0:
					restart, fr.after = false, "not started again: the time limit was reached"
				default:
					fr.after = "started it again"
				}
				if len(released) > 0 {
					fr.after = fmt.Sprintf("told %s that the killed member had left (as its session timeout would, later); %s", strings.Join(released, ", "), fr.after)
				}
				fr.again = restart
			} else {
				fr.missed = fmt.Sprintf("instance %d had already %s", i, strings.TrimPrefix(res.Describe(f.g.req.Exercise.Timeout), "stopped: "))
			}
			report = fr.report()
		}
		if !restart {
			f.ended[i] = true
		}
		f.mu.Unlock()
		// Emitted unlocked: a slow listener must not hold up the faults.
		if report != "" {
			f.g.emit(Event{Fault: report})
		}
		if !restart {
			return
		}
	}
}

// watch polls fault i's trigger until it holds, then kills its instance.
func (f *fleet) watch(ctx context.Context, i int, fault catalogue.Fault) {
	env := f.g.env.View()
	for {
		saw, held := f.holds(ctx, env, fault.When)
		if ctx.Err() != nil {
			return
		}
		if held && f.fire(i, fault, saw) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(triggerEvery):
		}
	}
}

// fire kills the fault's instance; false when it is between two runs, to
// be tried again at the next poll.
func (f *fleet) fire(i int, fault catalogue.Fault, saw string) bool {
	f.mu.Lock()
	if fault.Kill != "program" {
		fr := &firing{fault: fault, at: time.Since(f.began), saw: saw}
		f.fired[i] = fr
		f.mu.Unlock()
		switch {
		case fault.Rebalance != "":
			f.rebalance(context.Background(), fr)
		case fault.Unload != "":
			f.unload(fr)
		case fault.Redeliver != "":
			f.redeliver(fr)
		case fault.Kill == "broker":
			f.restartBroker(context.Background(), fr)
		}
		return true
	}
	if fault.Active != nil {
		f.mu.Unlock()
		n, why := f.activeInstance(fault.Active)
		f.mu.Lock()
		if n < 0 {
			if f.notActive == nil {
				f.notActive = map[int]string{}
			}
			f.notActive[i] = why
			f.mu.Unlock()
			return false // to be tried again at the next poll
		}
		fault.Instance = n
		saw += fmt.Sprintf(", and instance %d held the active consumer", n)
	}
	n := fault.Instance
	if f.procs[n] == nil && !f.ended[n] {
		f.mu.Unlock()
		return false // being started (again)
	}
	fr := &firing{fault: fault, at: time.Since(f.began), saw: saw}
	f.fired[i] = fr
	switch {
	case f.ended[n]:
		fr.missed = fmt.Sprintf("instance %d had already exited", n)
	case f.pending[n] != nil:
		fr.missed = fmt.Sprintf("instance %d was being killed by another fault", n)
	default:
		// What became of the kill is known once the run's result is in:
		// instance reports it then.
		f.pending[n] = fr
		f.procs[n].Kill()
	}
	report := fr.report()
	f.mu.Unlock()
	if fr.missed != "" {
		f.g.emit(Event{Fault: report})
	}
	return true
}

// holds evaluates a trigger once; saw says what the cluster showed.
func (f *fleet) holds(ctx context.Context, env *checks.Env, t catalogue.Trigger) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	switch {
	case t.Records != nil:
		n, err := topicRecords(ctx, env, env.Var(t.Records.Topic))
		if err != nil {
			return "", false // a cluster that does not answer is watchHealth's to report
		}
		return fmt.Sprintf("%s held %d records (at least %d)", t.Records.Topic, n, t.Records.AtLeast), n >= t.Records.AtLeast
	case t.Committed != nil:
		c := t.Committed
		n, err := committedOffsets(ctx, env, env.Var(c.Group), env.Var(c.Topic))
		if err != nil {
			return "", false
		}
		return fmt.Sprintf("%s had committed %d offsets on %s (at least %d)", c.Group, n, c.Topic, c.AtLeast), n >= c.AtLeast
	case t.Acknowledged != nil:
		a := t.Acknowledged
		c, err := readCursor(ctx, env, env.Var(a.Topic), env.Var(a.Subscription))
		if err != nil {
			return "", false
		}
		return fmt.Sprintf("%s had acknowledged %d messages of %s (at least %d)", a.Subscription, c.acked, a.Topic, a.AtLeast), c.acked >= a.AtLeast
	}
	elapsed := time.Since(f.began)
	return fmt.Sprintf("%s had passed", t.After), elapsed >= t.After
}

// topicRecords counts the records of a topic by its offsets, up to the
// last stable offset: what a read_committed reader could reach, plus
// transaction markers and aborted records.
func topicRecords(ctx context.Context, env *checks.Env, topic string) (int64, error) {
	adm := kadm.NewClient(env.Kafka)
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return 0, err
	}
	ends, err := adm.ListCommittedOffsets(ctx, topic)
	if err != nil {
		return 0, err
	}
	if err := ends.Error(); err != nil {
		if errors.Is(err, kerr.UnknownTopicOrPartition) {
			return 0, nil
		}
		return 0, err
	}
	var n int64
	for p, end := range ends[topic] {
		n += end.Offset - starts[topic][p].Offset
	}
	return n, nil
}

// committedOffsets sums the offsets group has committed on topic.
func committedOffsets(ctx context.Context, env *checks.Env, group, topic string) (int64, error) {
	resp, err := kadm.NewClient(env.Kafka).FetchOffsets(ctx, group)
	if err != nil {
		if errors.Is(err, kerr.GroupIDNotFound) {
			return 0, nil
		}
		return 0, err
	}
	var n int64
	for _, o := range resp[topic] {
		if o.Err == nil && o.At > 0 {
			n += o.At
		}
	}
	return n, nil
}

// report says what the grader did for one fault, in a learner's words.
func (fr *firing) report() string {
	f := fr.fault
	when := fmt.Sprintf("%s after the program started, when %s", fr.at.Round(10*time.Millisecond), fr.saw)
	if f.When.After > 0 {
		when = fmt.Sprintf("%s after the program started", fr.at.Round(10*time.Millisecond))
	}
	// Faults beside the program: what became of them is after.
	var s string
	switch {
	case f.Rebalance != "":
		s = fmt.Sprintf("had a member of its own join %s %s", f.Rebalance, when)
	case f.Kill == "broker":
		s = fmt.Sprintf("killed the broker %s, and started it again on its data", when)
	case f.Unload != "":
		s = fmt.Sprintf("began unloading %s %s", f.Unload, when)
	case f.Redeliver != "":
		s = fmt.Sprintf("moved %s back %s", f.Redeliver, when)
	}
	if s != "" {
		if fr.after != "" {
			s += ": " + fr.after
		}
		return s
	}
	if f.Lose != "" {
		what := "its answer to a produce request"
		if fr.answers != 1 {
			what = fmt.Sprintf("its answers to %d produce requests", fr.answers)
		}
		return fmt.Sprintf("let the broker write what instance %d sent, and withheld %s (%d records the broker had written) %s, closing the connection each time: the program was never told they were written", f.Instance, what, fr.records, when)
	}
	if !fr.killed {
		return fmt.Sprintf("did not kill instance %d %s: %s", f.Instance, when, fr.missed)
	}
	s = fmt.Sprintf("killed instance %d (SIGKILL, with every process it started) %s", f.Instance, when)
	if fr.after != "" {
		s += "; " + fr.after
	}
	return s
}

// tests turns what the fleet did into the program's test and one test
// per fault, which notes what the grader did and scores nothing.
func (f *fleet) tests(limit time.Duration) (prog result.Test, faults []result.Test) {
	f.mu.Lock()
	defer f.mu.Unlock()
	prog = result.Test{Name: "the program runs to completion", Status: result.Pass}
	var parts []string
	for i, runs := range f.runs {
		last := runs[len(runs)-1]
		// A last run the grader killed, and was told not to restart, is
		// the grader's doing, not the program's.
		ok := last.Success() || (last.Killed && f.notRestarted(i))
		if !ok {
			prog.Status = result.Fail
		}
		msg := last.Describe(limit)
		if len(runs) > 1 {
			msg += fmt.Sprintf(" (in its run %d of %d: the grader killed the earlier %s)", len(runs), len(runs), map[bool]string{true: "one", false: "ones"}[len(runs) == 2])
		}
		if len(f.runs) > 1 {
			msg = fmt.Sprintf("instance %d %s", i, msg)
		}
		parts = append(parts, msg)
	}
	prog.Message = strings.Join(parts, "; ")
	if note := f.refusalNote(); note != "" {
		prog.Message += ". " + note
	}
	prog.Output = f.output()

	for i, fault := range f.g.req.Exercise.Faults {
		t := result.Test{Name: "fault: " + fault.String(), Status: result.Pass}
		switch fr := f.fired[i]; {
		case fr == nil:
			// A note, not a verdict. Not an error: the cluster and the
			// grader did their part. Not a failure by itself: a trigger
			// that never held is a program that did too little (which the
			// checks already fail) or one that finished between two polls,
			// and failing that would fail correct programs by luck.
			t.Message = fmt.Sprintf("Not injected: the program ended before the trigger held (%s). The checks below judged a run without this fault.", fault.When)
			if fault.Required {
				t.Status = result.Fail
				t.Message = fmt.Sprintf("Not injected: the program ended before the trigger held (%s), and this exercise is about what your program does when it happens. %s", fault.When, f.neverHappened(fault))
			}
		default:
			t.Message = "The grader " + fr.report() + "."
		}
		if fr := f.fired[i]; fr == nil && fault.Active != nil && f.notActive[i] != "" {
			t.Message += " At the last try, " + f.notActive[i] + "."
		}
		faults = append(faults, t)
	}
	return prog, faults
}

// neverHappened says what a program that never let a required fault
// happen most likely did.
// Called with f.mu held.
func (f *fleet) neverHappened(fault catalogue.Fault) string {
	switch t := fault.When; {
	case t.Produce != nil && f.seen != nil && f.seen[fault.Instance].noAcks:
		return fmt.Sprintf("Your program produced with acks=0: it asks for no acknowledgement, so it cannot learn whether its records reached %s, and retries nothing. Produce with acks=all (the default of most clients).", t.Produce.Topic)
	case t.Produce != nil:
		var n int64
		if f.seen != nil {
			n = f.seen[fault.Instance].produced[f.g.values[t.Produce.Topic]]
		}
		if n == 0 {
			return fmt.Sprintf("No produce request of your program to %s was acknowledged: did it produce at all? Its output is below.", t.Produce.Topic)
		}
		return fmt.Sprintf("Your program wrote %d records to %s, and the fault comes at %d.", n, t.Produce.Topic, t.Produce.AtLeast)
	case t.Commit != nil:
		return fmt.Sprintf("Your program did not commit offsets for %s on %s up to %d: does it commit?", t.Commit.Group, t.Commit.Topic, t.Commit.AtLeast)
	case t.EndTransaction != nil:
		what := fmt.Sprintf("fewer than %d transactions", t.EndTransaction.AtLeast)
		if t.EndTransaction.AtLeast == 1 {
			what = "no transaction"
		}
		return fmt.Sprintf("Your program committed %s: does it write in transactions (a transactional id, then begin, produce, and end with commit)?", what)
	}
	return "Your program did too little for it to happen."
}

// notRestarted reports whether instance i's last run was killed by a
// fault that said not to restart it (or could not be restarted).
func (f *fleet) notRestarted(i int) bool {
	for _, fr := range f.fired {
		if fr != nil && fr.killed && fr.fault.Kill == "program" && fr.fault.Instance == i && !fr.again {
			return true
		}
	}
	return false
}

// output is every run's output, each under a heading when there is more
// than one.
func (f *fleet) output() string {
	if len(f.runs) == 1 && len(f.runs[0]) == 1 {
		return f.runs[0][0].Output
	}
	var b strings.Builder
	for i, runs := range f.runs {
		for j, r := range runs {
			fmt.Fprintf(&b, "--- instance %d, run %d: %s ---\n%s", i, j+1, r.Describe(f.g.req.Exercise.Timeout), r.Output)
			if r.Output != "" && !strings.HasSuffix(r.Output, "\n") {
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}

// lastRuns are the last run of every instance, and the wall time of all.
func (f *fleet) lastRuns() []runner.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]runner.Result, len(f.runs))
	for i, runs := range f.runs {
		out[i] = runs[len(runs)-1]
	}
	return out
}

// backgroundDone records what became of a fault run beside the program
// (a rebalance, an unload, a redelivery) and reports it.
func (f *fleet) backgroundDone(fr *firing, after string) {
	f.mu.Lock()
	fr.after = after
	report := fr.report()
	f.mu.Unlock()
	f.g.emit(Event{Fault: report})
}
