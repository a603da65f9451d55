package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/tui/common"
)

// stream carries what a goroutine reports (grader events, provider
// events, the final verdict) into the UI. Each read is a command the root
// re-arms until the stream's last message.
type stream struct {
	ch      chan tea.Msg
	pending tea.Msg
}

// streamMsg is one message read from a stream.
type streamMsg struct {
	s   *stream
	msg tea.Msg
}

// gradeEvent is a grader event in a stream; consecutive ones are read as
// one batch, so a chatty program costs one redraw per batch, not per line.
type gradeEvent struct {
	id string
	e  grader.Event
}

const maxBatch = 256

func newStream() *stream { return &stream{ch: make(chan tea.Msg, 1024)} }

// send delivers msg unless ctx ends first (nobody reads any more).
func (s *stream) send(ctx context.Context, msg tea.Msg) {
	select {
	case s.ch <- msg:
	case <-ctx.Done():
	}
}

// read returns the next message, batching grader events.
func (s *stream) read() tea.Cmd {
	return func() tea.Msg {
		msg := s.pending
		s.pending = nil
		if msg == nil {
			var ok bool
			if msg, ok = <-s.ch; !ok {
				return nil
			}
		}
		first, ok := msg.(gradeEvent)
		if !ok {
			return streamMsg{s, msg}
		}
		batch := common.CheckEventsMsg{ExerciseID: first.id, Events: []grader.Event{first.e}}
		for len(batch.Events) < maxBatch {
			select {
			case next, ok := <-s.ch:
				if !ok {
					return streamMsg{s, batch}
				}
				if ev, ok := next.(gradeEvent); ok {
					batch.Events = append(batch.Events, ev.e)
					continue
				}
				s.pending = next
				return streamMsg{s, batch}
			default:
				return streamMsg{s, batch}
			}
		}
		return streamMsg{s, batch}
	}
}

// fromStream handles one message from a stream and re-arms the read
// unless it was the stream's last.
func (m *Model) fromStream(sm streamMsg) tea.Cmd {
	switch msg := sm.msg.(type) {
	case common.CheckEventsMsg, common.CheckQueuedMsg:
		return tea.Batch(m.broadcast(msg), sm.s.read())
	case common.CheckDoneMsg:
		return m.checkDone(sm.s, msg)
	case common.ClusterEventMsg:
		m.clusterEvent(msg.Event)
		return tea.Batch(m.broadcast(common.ClusterChangedMsg{Kind: msg.Event.Kind}), sm.s.read())
	case common.ClusterStartedMsg:
		return m.clusterStarted(sm.s, msg)
	}
	return sm.s.read()
}

// runningCheck is the one check under way (or waiting for its cluster).
type runningCheck struct {
	id        string
	cancel    context.CancelFunc // nil while waiting for the cluster
	stream    *stream
	done      chan struct{} // closed when the grader has returned
	cancelled bool
}

// clusterStart is a cluster start under way.
type clusterStart struct {
	cancel   context.CancelFunc
	stream   *stream
	done     chan struct{} // closed when the provider's Start has returned
	forCheck bool          // started for a check, so cancelling the check cancels it
}

func (m *Model) requestCheck(id string) tea.Cmd {
	ex := m.c.Session.Catalogue().Exercise(id)
	if ex == nil || m.quitting {
		return nil
	}
	if m.check != nil {
		if m.check.id == id {
			return nil
		}
		for _, q := range m.queue {
			if q == id {
				return nil
			}
		}
		m.queue = append(m.queue, id)
		return m.setStatus(fmt.Sprintf("%s is being checked; %s is next", m.check.id, id), false)
	}
	m.check = &runningCheck{id: id, done: make(chan struct{})}
	return m.launchWhenReady(ex, true)
}

// launchWhenReady launches the check of ex once every cluster it needs is
// ready, starting the first that is not (a bridge needs two).
func (m *Model) launchWhenReady(ex *catalogue.Exercise, first bool) tea.Cmd {
	for _, k := range ex.Kinds() {
		if m.c.Clusters.Get(k).State == common.ClusterReady {
			continue
		}
		m.waiting[k] = append(m.waiting[k], ex.ID)
		cmds := []tea.Cmd{m.startCluster(k, true)}
		if first {
			cmds = append(cmds, m.broadcast(common.CheckStartedMsg{ExerciseID: ex.ID, Waiting: true}))
		}
		return tea.Batch(cmds...)
	}
	return m.launch(ex.ID)
}

// launch runs the grader for the check in m.check.
func (m *Model) launch(id string) tea.Cmd {
	ex := m.c.Session.Catalogue().Exercise(id)
	ctx, cancel := context.WithCancel(m.ctx)
	s := newStream()
	m.check.cancel, m.check.stream = cancel, s
	sess, done, dir, root := m.c.Session, m.check.done, m.c.Session.ExerciseDir(ex), m.ctx
	run := func() tea.Msg {
		defer close(done)
		res, err := sess.Check(ctx, course.CheckRequest{Exercise: ex, Dir: dir,
			Events: func(e grader.Event) { s.send(ctx, gradeEvent{id, e}) },
			Queued: func(place int) { s.send(ctx, common.CheckQueuedMsg{ExerciseID: id, Place: place}) },
		})
		// The verdict must arrive even after the learner cancelled: it
		// ends the check. Only quitting (root context) drops it.
		s.send(root, common.CheckDoneMsg{ExerciseID: id, Result: res, Err: err})
		close(s.ch)
		return nil
	}
	return tea.Batch(
		m.broadcast(common.CheckStartedMsg{ExerciseID: id}),
		run, s.read(),
	)
}

func (m *Model) checkDone(s *stream, msg common.CheckDoneMsg) tea.Cmd {
	if m.check == nil || m.check.stream != s {
		return nil
	}
	if m.check.cancelled {
		msg.Result.Status, msg.Result.Message = result.Error, common.Cancelled
	}
	m.check.cancel()
	m.check = nil
	return tea.Batch(m.broadcast(msg), m.next())
}

// next starts the first queued check.
func (m *Model) next() tea.Cmd {
	if len(m.queue) == 0 || m.quitting {
		return nil
	}
	id := m.queue[0]
	m.queue = m.queue[1:]
	return m.requestCheck(id)
}

func (m *Model) cancelCheck(id string) tea.Cmd {
	c := m.check
	if c == nil || c.id != id {
		return nil
	}
	c.cancelled = true
	if c.cancel != nil {
		c.cancel() // the grader ends with an error verdict: see checkDone
		return nil
	}
	// Still waiting for the cluster: stop waiting, and stop the start if
	// this check asked for it.
	ex := m.c.Session.Catalogue().Exercise(id)
	for _, kind := range ex.Kinds() {
		m.waiting[kind] = slices.DeleteFunc(m.waiting[kind], func(x string) bool { return x == id })
		if st := m.starts[kind]; st != nil && st.forCheck && len(m.waiting[kind]) == 0 {
			st.cancel()
		}
	}
	m.check = nil
	done := common.CheckDoneMsg{ExerciseID: id, Result: result.Result{Exercise: id, Status: result.Error, Message: common.Cancelled}}
	return tea.Batch(m.broadcast(done), m.next())
}

// startCluster starts the cluster of kind k unless it is running or
// starting.
func (m *Model) startCluster(k containers.Kind, forCheck bool) tea.Cmd {
	if m.quitting || m.starts[k] != nil || m.c.Clusters.Get(k).State == common.ClusterReady {
		return nil
	}
	ctx, cancel := context.WithCancel(m.ctx)
	s := newStream()
	done := make(chan struct{})
	m.starts[k] = &clusterStart{cancel: cancel, stream: s, done: done, forCheck: forCheck}
	prev := m.c.Clusters.Get(k)
	m.c.Clusters.Set(common.ClusterStatus{Kind: k, State: common.ClusterStarting, Provider: prev.Provider, Started: m.c.Now()})
	sess, root := m.c.Session, m.ctx
	run := func() tea.Msg {
		defer close(done)
		_, choice, err := sess.StartCluster(ctx, k, func(e containers.Event) { s.send(ctx, common.ClusterEventMsg{Event: e}) })
		if err != nil && ctx.Err() != nil && !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("%w (%v)", context.Canceled, err)
		}
		s.send(root, common.ClusterStartedMsg{Kind: k, Choice: choice, Err: err})
		close(s.ch)
		return nil
	}
	return tea.Batch(run, s.read(), m.broadcast(common.ClusterChangedMsg{Kind: k}))
}

func (m *Model) clusterEvent(e containers.Event) {
	s := m.c.Clusters.Get(e.Kind)
	if s.State != common.ClusterStarting {
		return
	}
	if e.Provider != "" {
		s.Provider = e.Provider
	}
	s.Events = append(s.Events, e)
	m.c.Clusters.Set(s)
}

func (m *Model) clusterStarted(str *stream, msg common.ClusterStartedMsg) tea.Cmd {
	st := m.starts[msg.Kind]
	if st == nil || st.stream != str {
		return nil
	}
	st.cancel()
	delete(m.starts, msg.Kind)
	s := m.c.Clusters.Get(msg.Kind)
	s.Took = m.c.Now().Sub(s.Started)
	if msg.Choice.Provider != nil {
		s.Provider, s.Why = msg.Choice.Provider.Name(), msg.Choice.Why
		s.KeptUp = strings.HasSuffix(s.Provider, "(kept up)")
	}
	waiting := m.waiting[msg.Kind]
	delete(m.waiting, msg.Kind)
	cmds := []tea.Cmd{m.broadcast(msg)}
	if msg.Err != nil {
		s.State, s.Err = common.ClusterFailed, msg.Err
		m.c.Clusters.Set(s)
		m.c.Logger.Warn("cluster failed", "kind", msg.Kind, "err", msg.Err)
		for _, id := range waiting {
			text := "starting the " + string(msg.Kind) + " cluster failed: " + msg.Err.Error()
			if errors.Is(msg.Err, context.Canceled) {
				text = common.Cancelled
			}
			if m.check != nil && m.check.id == id {
				m.check = nil
			}
			cmds = append(cmds, m.broadcast(common.CheckDoneMsg{ExerciseID: id, Result: result.Result{Exercise: id, Status: result.Error, Message: text}}))
		}
		if !errors.Is(msg.Err, context.Canceled) {
			cmds = append(cmds, m.setStatus(string(msg.Kind)+" cluster failed to start: i shows why", true))
		}
		return tea.Batch(append(cmds, m.next())...)
	}
	s.State, s.Err = common.ClusterReady, nil
	m.c.Clusters.Set(s)
	for _, id := range waiting {
		if m.check != nil && m.check.id == id && m.check.cancel == nil {
			cmds = append(cmds, m.launchWhenReady(m.c.Session.Catalogue().Exercise(id), false))
		}
	}
	return tea.Batch(cmds...)
}

// choose asks, in a command, which provider would serve each kind of
// cluster the course uses: a kept-up cluster shows as such before the
// first check reuses it. Auto's look for Docker can take a moment, so the
// home screen draws first.
func (m *Model) choose() tea.Cmd {
	used := map[containers.Kind]bool{}
	for _, ex := range m.c.Session.Catalogue().Exercises {
		for _, k := range ex.Kinds() {
			used[k] = true
		}
	}
	var cmds []tea.Cmd
	for _, k := range common.Kinds {
		if !used[k] {
			continue
		}
		sess := m.c.Session
		cmds = append(cmds, func() tea.Msg {
			choice, err := sess.Choice(k)
			return common.ClusterChoiceMsg{Kind: k, Choice: choice, Err: err}
		})
	}
	return tea.Batch(cmds...)
}

// chosen notes a kind's provider for a cluster not started yet, or that
// there is none to start.
func (m *Model) chosen(msg common.ClusterChoiceMsg) {
	s := m.c.Clusters.Get(msg.Kind)
	if s.State == common.ClusterIdle && errors.Is(msg.Err, course.ErrNoCluster) {
		s.NoCluster = true
		m.c.Clusters.Set(s)
		return
	}
	if s.State != common.ClusterIdle || msg.Err != nil || msg.Choice.Provider == nil {
		return
	}
	s.Provider, s.Why = msg.Choice.Provider.Name(), msg.Choice.Why
	s.KeptUp = strings.HasSuffix(s.Provider, "(kept up)")
	m.c.Clusters.Set(s)
}

// shutdownDoneMsg ends the program once everything is stopped.
type shutdownDoneMsg struct{ err error }

// shutdown cancels the check and any cluster start, stops watching, then
// (in a command) waits for the grader to return and closes the session:
// kept topics removed, clusters stopped.
func (m *Model) shutdown() tea.Cmd {
	if m.quitting {
		return nil
	}
	m.quitting = true
	m.cluster.Hide()
	for _, ex := range m.exercises {
		ex.Close()
	}
	var pending []chan struct{}
	if m.check != nil && m.check.cancel != nil {
		m.check.cancel()
		pending = append(pending, m.check.done)
	}
	for _, s := range m.starts {
		s.cancel()
		pending = append(pending, s.done)
	}
	m.cancel()
	sess, log := m.c.Session, m.c.Logger
	return func() tea.Msg {
		limit := time.After(20 * time.Second)
		for _, done := range pending {
			select {
			case <-done:
			case <-limit:
				log.Warn("a check or cluster start did not stop within 20s")
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := sess.Close(ctx)
		return shutdownDoneMsg{err}
	}
}

// Session is the engine side of the UI, for callers that must close it
// after the program ends however it ended.
func (m *Model) Session() *course.Session { return m.c.Session }

// Close does what q does, for a program that ended another way (an SSH
// connection that dropped): it stops the check, the cluster starts and
// the file watchers, waits for them, and closes the session. Call it once
// the program has returned; after q it only closes the session again.
func (m *Model) Close() error {
	if cmd := m.shutdown(); cmd != nil {
		if done, ok := cmd().(shutdownDoneMsg); ok {
			return done.err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return m.c.Session.Close(ctx)
}
