// Package cluster is the cluster screen: how each cluster's start is
// going (stages, elapsed time, and why it failed with what to do about
// it), and a live, read-only inspector of the last run's topics with
// their consumer groups (Kafka) or subscriptions (Pulsar), polled on a
// tick while the screen is shown.
package cluster

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/inspect"
	"github.com/streamlab/streamlab/tui/common"
)

// PollEvery is how often the inspector looks again.
const PollEvery = time.Second

// TickMsg asks for the next look; Gen ties it to one showing of the screen.
type TickMsg struct{ Gen int }

// Model is the cluster screen.
type Model struct {
	c        common.Common
	exercise string // whose run to inspect; "" for the latest
	shown    bool
	gen      int
	busy     bool // an inspection is in flight
	snap     *inspect.Snapshot
	run      *course.Run
	err      error
	spin     spinner.Model
	vp       viewport.Model
}

// New returns the cluster screen.
func New(c common.Common) *Model {
	m := &Model{
		c:    c,
		spin: spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(c.Styles.Busy)),
		vp:   viewport.New(),
	}
	m.vp.KeyMap.Left.SetEnabled(false)
	m.vp.KeyMap.Right.SetEnabled(false)
	return m
}

// Show opens the screen on an exercise's run and starts polling.
func (m *Model) Show(exerciseID string) tea.Cmd {
	if exerciseID != m.exercise {
		m.snap, m.run, m.err = nil, nil, nil
	}
	m.exercise = exerciseID
	m.shown = true
	m.gen++
	m.refresh()
	return tea.Batch(m.inspect(), m.spin.Tick)
}

// Resume shows the screen again on the same run.
func (m *Model) Resume() tea.Cmd { return m.Show(m.exercise) }

// Hide stops polling.
func (m *Model) Hide() {
	m.shown = false
	m.gen++
}

// Snapshot is the last look, if any.
func (m *Model) Snapshot() *inspect.Snapshot { return m.snap }

func (m *Model) inspect() tea.Cmd {
	if m.busy {
		return nil
	}
	m.busy = true
	ctx, sess, id := m.c.Ctx, m.c.Session, m.exercise
	return func() tea.Msg {
		snap, run, err := sess.Inspect(ctx, id)
		return common.InspectedMsg{ExerciseID: id, Snapshot: snap, Run: run, Err: err}
	}
}

// Kind is the cluster the screen is about: the run's, else the
// exercise's, else Kafka.
func (m *Model) Kind() containers.Kind { return m.kind() }

func (m *Model) kind() containers.Kind {
	if m.run != nil {
		return m.run.Cluster.Kind()
	}
	if ex := m.c.Session.Catalogue().Exercise(m.exercise); ex != nil {
		return ex.Cluster
	}
	return containers.Kafka
}

func (m *Model) Title() string { return "Cluster" }

func (m *Model) SetSize(w, h int) {
	m.c.SetSize(w, h)
	m.vp.SetWidth(w)
	m.vp.SetHeight(max(h, 1))
	m.refresh()
}

func (m *Model) starting() bool {
	for _, k := range common.Kinds {
		if m.c.Clusters.Get(k).State == common.ClusterStarting {
			return true
		}
	}
	return false
}

func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	km := m.c.KeyMap
	switch msg := msg.(type) {
	case common.InspectedMsg:
		m.busy = false
		if msg.ExerciseID != m.exercise {
			// A look at the run shown before: look again at this one.
			if m.shown {
				return m, m.inspect()
			}
			return m, nil
		}
		m.err = msg.Err
		m.run = msg.Run
		if msg.Err == nil && msg.Run != nil {
			s := msg.Snapshot
			m.snap = &s
		}
		m.refresh()
		if !m.shown {
			return m, nil
		}
		gen := m.gen
		return m, tea.Tick(PollEvery, func(time.Time) tea.Msg { return TickMsg{Gen: gen} })
	case TickMsg:
		if msg.Gen != m.gen || !m.shown {
			return m, nil
		}
		return m, m.inspect()
	case spinner.TickMsg:
		if msg.ID != m.spin.ID() || !m.shown {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		if m.starting() {
			m.refresh()
		}
		return m, cmd
	case common.ClusterChangedMsg, common.ClusterStartedMsg, common.CheckDoneMsg:
		m.refresh()
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, km.Start):
			k := m.kind()
			if s := m.c.Clusters.Get(k); s.State == common.ClusterIdle || s.State == common.ClusterFailed {
				return m, common.Cmd(common.ClusterRequestMsg{Kind: k})
			}
			return m, nil
		case key.Matches(msg, km.Back):
			if k := m.kind(); m.c.Clusters.Get(k).State == common.ClusterStarting {
				return m, common.Cmd(common.ClusterCancelMsg{Kind: k})
			}
			return m, common.Cmd(common.BackMsg{})
		}
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return m, cmd
	case tea.MouseWheelMsg:
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) ShortHelp() []key.Binding {
	km := m.c.KeyMap
	var b []key.Binding
	switch m.c.Clusters.Get(m.kind()).State {
	case common.ClusterIdle, common.ClusterFailed:
		b = append(b, km.Start)
	}
	if m.c.Clusters.Get(m.kind()).State == common.ClusterStarting {
		b = append(b, km.Cancel)
	} else {
		b = append(b, km.Back)
	}
	return append(b, km.Down, km.Up)
}

func (m *Model) FullHelp() [][]key.Binding {
	km := m.c.KeyMap
	return [][]key.Binding{{km.Start, km.Cancel}, {km.Up, km.Down, km.PageUp, km.PageDown}, {km.Back, km.Help, km.Quit}}
}

func (m *Model) View() string {
	return common.Fit(m.vp.View(), m.c.Width, m.c.Height)
}

// refresh rebuilds the screen's text from the state.
func (m *Model) refresh() {
	var b strings.Builder
	b.WriteString(m.clustersView())
	b.WriteString("\n")
	b.WriteString(m.inspectorView())
	m.vp.SetContent(strings.TrimRight(b.String(), "\n"))
}
