// Package class is the instructor's view of a class (`streamlab class
// NAME`): one row per learner, built from the events the learners' checks
// publish to the class's topic, read from its start and followed live.
// It is a program of its own, not a screen of the learner's UI, but it
// wears the same styles.
package class

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/table"
	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab/internal/classroom"
	"github.com/streamlab/streamlab/tui/styles"
)

// Options configure the class view.
type Options struct {
	Class string
	// Place is where the class's topic lives, for the header.
	Place string
	// Exercises are the course's exercise ids, for the progress column.
	Exercises []string
	// Title names an exercise in a learner's details; nil shows ids only.
	Title func(id string) string
	// Next reads the next events of the class's topic (a classroom.Reader's
	// Next); nil reads nothing, for tests that send BatchMsg themselves.
	Next func(ctx context.Context) (classroom.Batch, error)
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Light starts with light-background styles, until the terminal says.
	Light bool
}

// BatchMsg carries what one read of the topic returned.
type BatchMsg struct {
	Batch classroom.Batch
	Err   error
}

// TickMsg redraws the idle times, and applies the stuck rule's idle half.
type TickMsg struct{}

// retryMsg reads again after a failed read.
type retryMsg struct{}

// tickEvery is how often the view refreshes the times it shows.
const tickEvery = 5 * time.Second

// keyMap is the class view's keys. Letters and digits are not among
// them: typing filters learners by name.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open, Back, Sort, SortBack, Quit        key.Binding
	Filter                                  key.Binding // help only
}

func newKeyMap() keyMap {
	return keyMap{
		Up:       key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "select")),
		Down:     key.NewBinding(key.WithKeys("down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup")),
		PageDown: key.NewBinding(key.WithKeys("pgdown")),
		Top:      key.NewBinding(key.WithKeys("home")),
		Bottom:   key.NewBinding(key.WithKeys("end")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Sort:     key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "sort")),
		SortBack: key.NewBinding(key.WithKeys("shift+tab")),
		Filter:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a-z", "filter")),
		Quit:     key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
}

// Model is the class view.
type Model struct {
	o      Options
	ctx    context.Context
	cancel context.CancelFunc
	st     *styles.Styles
	keys   keyMap
	footer help.Model

	room     *classroom.Room
	rows     []classroom.Row
	table    table.Model
	sort     classroom.Sort
	filter   string
	detail   string // the learner whose details are shown, or ""
	caughtUp bool
	readErr  error

	width, height int
}

// New returns the class view, sorted with the stuck learners first.
func New(ctx context.Context, o Options) *Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	ctx, cancel := context.WithCancel(ctx)
	m := &Model{
		o: o, ctx: ctx, cancel: cancel, st: styles.New(!o.Light), keys: newKeyMap(),
		room: classroom.NewRoom(o.Exercises), sort: classroom.ByStuck,
		width: 80, height: 24,
	}
	m.footer = help.New()
	m.footer.Styles = m.st.HelpStyle
	m.table = table.New(table.WithFocused(true), table.WithKeyMap(table.KeyMap{
		LineUp: m.keys.Up, LineDown: m.keys.Down, PageUp: m.keys.PageUp, PageDown: m.keys.PageDown,
		GotoTop: m.keys.Top, GotoBottom: m.keys.Bottom,
	}))
	m.restyle()
	m.layout()
	return m
}

// Init reads the topic, starts the clock and asks for the background.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.read(), m.tick())
}

// read waits for the next events on the topic.
func (m *Model) read() tea.Cmd {
	if m.o.Next == nil {
		return nil
	}
	next, ctx := m.o.Next, m.ctx
	return func() tea.Msg {
		b, err := next(ctx)
		return BatchMsg{Batch: b, Err: err}
	}
}

func (m *Model) tick() tea.Cmd {
	return tea.Tick(tickEvery, func(time.Time) tea.Msg { return TickMsg{} })
}

// Room is the class as read so far.
func (m *Model) Room() *classroom.Room { return m.room }

// Rows are the rows shown, in order.
func (m *Model) Rows() []classroom.Row { return m.rows }

// Selected is the learner under the cursor, or "".
func (m *Model) Selected() string {
	if c := m.table.Cursor(); c >= 0 && c < len(m.rows) {
		return m.rows[c].Learner
	}
	return ""
}

// Detail is the learner whose details are shown, or "".
func (m *Model) Detail() string { return m.detail }

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
	case tea.BackgroundColorMsg:
		if msg.IsDark() != m.st.IsDark {
			m.st = styles.New(msg.IsDark())
			m.restyle()
			m.refresh()
		}
	case BatchMsg:
		if msg.Err != nil {
			if errors.Is(msg.Err, context.Canceled) || m.ctx.Err() != nil {
				return m, nil
			}
			m.readErr = msg.Err
			return m, tea.Tick(2*time.Second, func(time.Time) tea.Msg { return retryMsg{} })
		}
		m.readErr = nil
		m.room.Add(msg.Batch.Events...)
		m.room.Skip(msg.Batch.Skipped)
		m.caughtUp = m.caughtUp || msg.Batch.CaughtUp
		m.refresh()
		return m, m.read()
	case retryMsg:
		return m, m.read()
	case TickMsg:
		m.refresh()
		return m, m.tick()
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		m.cancel()
		return tea.Quit
	case m.detail != "":
		if key.Matches(msg, k.Back) || key.Matches(msg, k.Open) {
			m.detail = ""
		}
		return nil
	case key.Matches(msg, k.Open):
		m.detail = m.Selected()
	case key.Matches(msg, k.Back):
		m.setFilter("")
	case key.Matches(msg, k.Sort):
		m.sort = m.sort.Next()
		m.refresh()
	case key.Matches(msg, k.SortBack):
		for range 3 { // three steps forward round four orders is one back
			m.sort = m.sort.Next()
		}
		m.refresh()
	case msg.String() == "backspace":
		if r := []rune(m.filter); len(r) > 0 {
			m.setFilter(string(r[:len(r)-1]))
		}
	case filterText(msg.Text):
		m.setFilter(m.filter + msg.Text)
	default:
		m.table, _ = m.table.Update(msg)
	}
	return nil
}

// filterText reports whether typed text belongs in the filter: the
// characters a learner's name is made of.
func filterText(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("-_.", r) {
			return false
		}
	}
	return true
}

func (m *Model) setFilter(f string) {
	m.filter = f
	m.refresh()
}

// refresh rebuilds the rows, keeping the cursor on the same learner.
func (m *Model) refresh() {
	keep := m.Selected()
	m.rows = m.room.Rows(m.o.Now(), m.sort, m.filter)
	m.table.SetRows(m.tableRows())
	cursor := 0
	for i, r := range m.rows {
		if r.Learner == keep {
			cursor = i
		}
	}
	m.table.SetCursor(cursor)
}
