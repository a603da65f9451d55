// Package grading shows a class grade (`streamlab grade`) as it happens:
// on a terminal, a live view with the class's progress and a row per
// submission; anywhere else, a plain line per submission as it finishes.
// The view is fed messages made from the gradebook's callbacks (Feed), so
// it never grades anything itself.
package grading

import (
	"context"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/progress"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/tui/styles"
)

// ClusterMsg says what the class's cluster is, and what it is doing
// before any submission runs; an empty field keeps what was said before.
type ClusterMsg struct {
	Provider string // which provider, and why
	Status   string // its start-up
}

// EventMsg is one grader event of one submission.
type EventMsg struct {
	Name  string
	Event grader.Event
}

// DoneMsg is a submission's grade.
type DoneMsg struct{ Entry gradebook.Entry }

// FinishedMsg says the grade is over; Err is why it could not run (a
// cluster that did not start). The view shows its last frame and ends.
type FinishedMsg struct{ Err error }

// cancelledMsg: the grade's context ended, by ctrl+c here or by a signal.
type cancelledMsg struct{}

// tickMsg moves the elapsed times on.
type tickMsg struct{}

// Options of the view.
type Options struct {
	// Exercise is the exercise's id, for the title.
	Exercise string
	// Submissions are the rows, in the order given.
	Submissions []gradebook.Submission
	// Jobs is how many submissions are graded at once.
	Jobs int
	// Checks is how many checks the exercise has, to count them as they
	// finish.
	Checks int
	// Context is the grade's: when it ends, the view says the grade is
	// being cancelled. nil is never cancelled.
	Context context.Context
	// Cancel cancels the grade (ctrl+c).
	Cancel func()
	// Now is the clock (tests fix it); nil is time.Now.
	Now func() time.Time
	// Styles are the look; nil is the dark terminal's until the terminal
	// says what its background is.
	Styles *styles.Styles
}

// State of a submission's row.
type State string

const (
	Queued    State = "queued"
	Preparing State = "preparing"
	Building  State = "building"
	Running   State = "running"
	Checking  State = "checking"
	Cleanup   State = "cleaning up"
	Done      State = "done"
	// NotGraded: the grade was cancelled before the submission started.
	NotGraded State = "not graded"
)

// active is a row whose submission is being graded.
func (s State) active() bool {
	switch s {
	case Preparing, Building, Running, Checking, Cleanup:
		return true
	}
	return false
}

var stageState = map[grader.Stage]State{
	grader.StagePreparing: Preparing,
	grader.StageBuilding:  Building,
	grader.StageRunning:   Running,
	grader.StageChecking:  Checking,
	grader.StageCleanup:   Cleanup,
}

// Row is one submission as the view knows it.
type Row struct {
	Name  string
	State State
	// Started is when its first event came; zero while queued.
	Started time.Time
	// ChecksDone counts the checks finished while checking.
	ChecksDone int
	// Fault is the last thing the grader did to the program while it ran.
	Fault string
	// Entry is its grade, once Done.
	Entry gradebook.Entry
	// Stopped: it was being graded when the grade was cancelled, so its
	// entry says so rather than what the program did.
	Stopped bool
	// seq orders the finished rows: the latest are shown first when the
	// rows do not all fit.
	seq int
}

// cancelKey cancels the grade. It is the view's only key: a grade is
// watched, not driven.
var cancelKey = key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "cancel the grade"))

// Model is the live view of a class grade.
type Model struct {
	opts          Options
	st            *styles.Styles
	width, height int
	rows          []Row
	index         map[string]int
	start         time.Time
	cluster       ClusterMsg
	spin          spinner.Model
	bar           progress.Model
	finished      int // rows done
	cancelling    bool
	over          bool
	err           error
}

// New makes the view with every submission queued.
func New(opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	st := opts.Styles
	if st == nil {
		st = styles.New(true)
	}
	m := &Model{opts: opts, width: 80, height: 24, index: map[string]int{}, start: opts.Now()}
	for i, s := range opts.Submissions {
		m.rows = append(m.rows, Row{Name: s.Name, State: Queued})
		m.index[s.Name] = i
	}
	m.setStyles(st)
	return m
}

func (m *Model) setStyles(st *styles.Styles) {
	m.st = st
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(st.Busy))
	m.bar = progress.New(progress.WithoutPercentage(), progress.WithFillCharacters('█', '░'), progress.WithColors(st.Accent))
	m.bar.EmptyColor = st.Dim
}

// Rows are the submissions' rows, in the order given.
func (m *Model) Rows() []Row { return m.rows }

// Cancelling reports whether the grade is being cancelled.
func (m *Model) Cancelling() bool { return m.cancelling }

// Init asks the terminal for its background, starts the clocks and
// watches for the grade's cancellation.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.spin.Tick, tick()}
	if ctx := m.opts.Context; ctx != nil {
		cmds = append(cmds, func() tea.Msg { <-ctx.Done(); return cancelledMsg{} })
	}
	return tea.Batch(cmds...)
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{} })
}

// Update takes the grade's messages, the keys and the clocks' ticks.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.BackgroundColorMsg:
		if msg.IsDark() != m.st.IsDark {
			m.setStyles(styles.New(msg.IsDark()))
			return m, m.spin.Tick
		}
	case tea.KeyPressMsg:
		if key.Matches(msg, cancelKey) && !m.cancelling && !m.over {
			m.cancelling = true
			if m.opts.Cancel != nil {
				m.opts.Cancel()
			}
		}
	case cancelledMsg:
		if !m.over {
			m.cancelling = true
		}
	case ClusterMsg:
		if msg.Provider != "" {
			m.cluster.Provider = msg.Provider
		}
		if msg.Status != "" {
			m.cluster.Status = msg.Status
		}
	case EventMsg:
		m.event(msg)
	case DoneMsg:
		m.done(msg.Entry)
	case FinishedMsg:
		m.over, m.err = true, msg.Err
		for i := range m.rows {
			if m.rows[i].State != Done {
				m.rows[i].State = NotGraded
			}
		}
		return m, tea.Quit
	case tickMsg:
		if !m.over {
			return m, tick()
		}
	case spinner.TickMsg:
		if !m.over {
			var cmd tea.Cmd
			m.spin, cmd = m.spin.Update(msg)
			return m, cmd
		}
	}
	return m, nil
}

func (m *Model) event(msg EventMsg) {
	i, ok := m.index[msg.Name]
	if !ok || m.rows[i].State == Done {
		return
	}
	r := &m.rows[i]
	if r.State == Queued {
		r.State, r.Started = Preparing, m.opts.Now()
	}
	e := msg.Event
	switch {
	case e.Fault != "":
		r.Fault = e.Fault
	case e.Test != nil:
		if r.State == Checking {
			r.ChecksDone++
		}
	case e.Stage != "":
		if s, ok := stageState[e.Stage]; ok && s != r.State {
			r.State = s
		}
	}
}

func (m *Model) done(e gradebook.Entry) {
	i, ok := m.index[e.Submission.Name]
	if !ok || m.rows[i].State == Done {
		return
	}
	m.finished++
	r := &m.rows[i]
	// The grade's context may have ended before cancelledMsg comes: a
	// grade stopped by it ends right after.
	if ctx := m.opts.Context; ctx != nil && ctx.Err() != nil {
		m.cancelling = true
	}
	r.Stopped = m.cancelling && r.State.active()
	r.State, r.Entry, r.seq = Done, e, m.finished
}
