// Package tui is streamlab's terminal UI: one root model that owns the
// screens (home, lesson, exercise, cluster, help), routes messages between
// them, and runs the long work — starting clusters, grading — in commands
// that stream their progress back. Everything it shows comes from the
// engine through the session: catalogue, grader, providers, progress.
package tui

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/tui/cluster"
	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/exercise"
	helpscreen "github.com/streamlab/streamlab/tui/help"
	"github.com/streamlab/streamlab/tui/home"
	"github.com/streamlab/streamlab/tui/keymap"
	"github.com/streamlab/streamlab/tui/lesson"
	"github.com/streamlab/streamlab/tui/setup"
	"github.com/streamlab/streamlab/tui/styles"
	"github.com/streamlab/streamlab/tui/watch"
)

// Options configure the UI.
type Options struct {
	Session *course.Session
	Logger  *slog.Logger
	// Glamour forces a markdown style; "" follows the terminal's background.
	Glamour string
	// Watch tunes watch mode.
	Watch watch.Options
	// Now is the clock for elapsed times; nil is time.Now.
	Now func() time.Time
	// Light starts with light-background styles (the terminal's answer to
	// a background colour query replaces the guess).
	Light bool
	// Class is the class the learner's checks are shared with (--class),
	// named in the header of every screen. Sharing is the sentence that
	// says so, shown when the UI starts; with Class "", it says why the
	// checks are not shared, as a warning.
	Class, Sharing string
	// Editor makes the command e runs on a file; nil: $VISUAL, $EDITOR, vi.
	Editor func(file string) *exec.Cmd
}

type screenID int

const (
	homeScreen screenID = iota
	lessonScreen
	exerciseScreen
	clusterScreen
	helpScreen
	setupScreen
)

// Model is the root model.
type Model struct {
	c      common.Common
	ctx    context.Context
	cancel context.CancelFunc

	home      *home.Model
	lesson    *lesson.Model
	exercises map[string]*exercise.Model
	shown     string // exercise on the exercise screen
	cluster   *cluster.Model
	help      *helpscreen.Model
	setup     *setup.Model
	footer    help.Model

	active  screenID
	history []screenID

	check   *runningCheck
	queue   []string // exercises waiting for the running check to end
	waiting map[containers.Kind][]string
	starts  map[containers.Kind]*clusterStart

	status    string
	statusBad bool
	statusGen int

	class, sharing string // see Options

	quitting bool
}

// New returns the root model.
func New(ctx context.Context, opts Options) *Model {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(ctx)
	cwd, _ := os.Getwd()
	c := common.Common{
		Cwd:      cwd,
		Ctx:      ctx,
		Width:    80,
		Height:   24,
		Styles:   styles.New(!opts.Light),
		KeyMap:   keymap.Default(),
		Logger:   opts.Logger,
		Session:  opts.Session,
		Clusters: common.NewClusters(),
		Now:      opts.Now,
		Glamour:  opts.Glamour,
		Watch:    opts.Watch,
		Editor:   opts.Editor,
	}
	m := &Model{
		c: c, ctx: ctx, cancel: cancel,
		exercises: map[string]*exercise.Model{},
		waiting:   map[containers.Kind][]string{},
		starts:    map[containers.Kind]*clusterStart{},
	}
	m.home = home.New(c)
	m.lesson = lesson.New(c)
	m.cluster = cluster.New(c)
	m.help = helpscreen.New(c)
	m.setup = setup.New(c)
	if !c.Session.Workspace().Exists() {
		m.active = setupScreen // a first start: the workspace comes first
	}
	m.footer = help.New()
	m.footer.Styles = c.Styles.HelpStyle
	m.class, m.sharing = opts.Class, opts.Sharing
	m.resize(c.Width, c.Height)
	return m
}

// Init asks the terminal for its background (for the colours), which
// provider each kind of cluster would use (a cluster kept up by `cluster
// up` is reused, not started), and shows a warning about the progress
// file, if there is one.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.choose()}
	if m.active == setupScreen {
		cmds = append(cmds, m.setup.Init())
	}
	if m.sharing != "" {
		cmds = append(cmds, common.Cmd(common.StatusMsg{Text: m.sharing, Error: m.class == ""}))
	}
	if ws := m.c.Session.Warnings(); len(ws) > 0 {
		cmds = append(cmds, common.Cmd(common.StatusMsg{Text: strings.Join(ws, "; "), Error: true}))
	}
	return tea.Batch(cmds...)
}

// Exercise returns the screen of an opened exercise, or nil.
func (m *Model) Exercise(id string) *exercise.Model { return m.exercises[id] }

// Active names the screen shown: home, lesson, exercise, cluster or help.
func (m *Model) Active() string {
	return [...]string{"home", "lesson", "exercise", "cluster", "help", "setup"}[m.active]
}

func (m *Model) screen(id screenID) common.Screen {
	switch id {
	case lessonScreen:
		return m.lesson
	case exerciseScreen:
		if ex := m.exercises[m.shown]; ex != nil {
			return ex
		}
	case clusterScreen:
		return m.cluster
	case helpScreen:
		return m.help
	case setupScreen:
		return m.setup
	}
	return m.home
}

func (m *Model) screens() []common.Screen {
	out := []common.Screen{m.home, m.lesson, m.cluster, m.help, m.setup}
	for _, ex := range m.exercises {
		out = append(out, ex)
	}
	return out
}

// resize gives every screen its space: all but the header, the footer
// and a column of margin on each side.
func (m *Model) resize(w, h int) {
	m.c.SetSize(w, h)
	m.footer.SetWidth(w)
	bw, bh := max(w-2, 1), max(h-3, 1)
	for _, s := range m.screens() {
		s.SetSize(bw, bh)
	}
}

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		return m, m.broadcast(msg)
	case tea.BackgroundColorMsg:
		if msg.IsDark() == m.c.Styles.IsDark {
			return m, nil
		}
		*m.c.Styles = *styles.New(msg.IsDark())
		m.footer.Styles = m.c.Styles.HelpStyle
		return m, m.broadcast(common.StylesChangedMsg{})
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case shutdownDoneMsg:
		return m, tea.Quit
	case statusExpiredMsg:
		if msg.gen == m.statusGen {
			m.status = ""
		}
		return m, nil
	case common.StatusMsg:
		return m, m.setStatus(msg.Text, msg.Error)
	case setup.ReadyMsg:
		m.setup.Update(msg)
		if msg.Err != nil {
			return m, nil
		}
		m.active, m.history = homeScreen, nil
		text := "Your workspace is " + msg.Root
		if n := len(msg.Imported); n > 0 {
			text += fmt.Sprintf("; %d edited files were copied into it from your clone", n)
		}
		return m, m.setStatus(text, false)

	case common.OpenLabMsg:
		m.push(lessonScreen)
		return m, m.lesson.Open(msg.LabID, msg.Step)
	case common.OpenExerciseMsg:
		return m, m.openExercise(msg.ID)
	case common.OpenClusterMsg:
		m.push(clusterScreen)
		show := m.cluster.Show(msg.ExerciseID)
		// Opening the view starts its cluster, once: a failed start waits
		// for the learner to ask again (s), having read why.
		if k := m.cluster.Kind(); m.c.Clusters.Get(k).State == common.ClusterIdle {
			return m, tea.Batch(show, m.startCluster(k, false))
		}
		return m, show
	case common.BackMsg:
		return m, m.back()
	case common.EditorClosedMsg:
		if ex := m.exercises[m.shown]; ex != nil {
			ex.EditorClosed(msg)
		}
		return m, nil

	case common.CheckRequestMsg:
		return m, m.requestCheck(msg.ExerciseID)
	case common.CheckCancelMsg:
		return m, m.cancelCheck(msg.ExerciseID)
	case common.ClusterChoiceMsg:
		m.chosen(msg)
		return m, m.broadcast(common.ClusterChangedMsg{Kind: msg.Kind})
	case common.ClusterRequestMsg:
		return m, m.startCluster(msg.Kind, false)
	case common.ClusterCancelMsg:
		if s := m.starts[msg.Kind]; s != nil {
			s.cancel()
		}
		return m, nil
	case streamMsg:
		return m, m.fromStream(msg)
	}
	return m, m.broadcast(msg)
}

// broadcast hands a message to every screen: each takes what is its own
// (by exercise id, spinner id, generation).
func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, s := range m.screens() {
		_, cmd := s.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	km := m.c.KeyMap
	if m.quitting {
		if msg.String() == "ctrl+c" {
			return tea.Quit // a second Ctrl-C: stop waiting for the clean-up
		}
		return nil
	}
	switch {
	case key.Matches(msg, km.Quit):
		return m.shutdown()
	case key.Matches(msg, km.Help) && m.active != helpScreen:
		s := m.screen(m.active)
		m.help.For(s.Title(), s.FullHelp())
		m.push(helpScreen)
		return nil
	}
	_, cmd := m.screen(m.active).Update(msg)
	return cmd
}

// push shows a screen, remembering the one to go back to.
func (m *Model) push(id screenID) {
	if m.active == id {
		return
	}
	if m.active == clusterScreen {
		m.cluster.Hide()
	}
	m.history = append(m.history, m.active)
	m.active = id
}

func (m *Model) back() tea.Cmd {
	if m.active == clusterScreen {
		m.cluster.Hide()
	}
	if n := len(m.history); n > 0 {
		m.active = m.history[n-1]
		m.history = m.history[:n-1]
	} else {
		m.active = homeScreen
	}
	if m.active == clusterScreen {
		return m.cluster.Resume() // back from help: poll again
	}
	return nil
}

func (m *Model) openExercise(id string) tea.Cmd {
	if m.c.Session.Catalogue().Exercise(id) == nil {
		return m.setStatus("no exercise "+id, true)
	}
	var cmd tea.Cmd
	ex := m.exercises[id]
	if ex == nil {
		ex = exercise.New(m.c, id)
		ex.SetSize(max(m.c.Width-2, 1), max(m.c.Height-3, 1))
		m.exercises[id] = ex
		cmd = ex.Init()
	}
	m.shown = id
	m.push(exerciseScreen)
	return cmd
}

func (m *Model) setStatus(text string, bad bool) tea.Cmd {
	m.status, m.statusBad = text, bad
	m.statusGen++
	gen := m.statusGen
	return tea.Tick(6*time.Second, func(time.Time) tea.Msg { return statusExpiredMsg{gen} })
}

type statusExpiredMsg struct{ gen int }

func (m *Model) View() tea.View {
	var v tea.View
	v.AltScreen = true
	v.WindowTitle = "streamlab"
	w, h := m.c.Width, m.c.Height
	st := m.c.Styles
	if m.quitting {
		v.SetContent(common.Fit("\n  "+st.Muted.Render("Stopping what streamlab started: the running check, the session's topics, the cluster…"), w, h))
		return v
	}
	if w < 20 || h < 6 {
		v.SetContent(common.Fit("streamlab needs a larger terminal", w, h))
		return v
	}
	s := m.screen(m.active)
	body := lipgloss.NewStyle().Padding(0, 1).Render(s.View())
	v.SetContent(m.header() + "\n" + common.Fit(body, w, h-3) + "\n\n" + m.footerView(s))
	return v
}

func (m *Model) header() string {
	st, w := m.c.Styles, m.c.Width
	right := m.badge()
	if p := m.progress(); p != "" {
		right = strings.TrimLeft(right+"  "+p, " ")
	}
	if m.class != "" {
		// On every screen: the learner's checks are seen by the class.
		right = strings.TrimLeft(st.Muted.Render("⇄ class "+m.class)+"  "+right, " ")
	}
	crumbs := []string{st.Title.Render("streamlab")}
	switch m.active {
	case lessonScreen:
		crumbs = append(crumbs, m.lesson.Title())
	case exerciseScreen:
		if ex := m.c.Session.Catalogue().Exercise(m.shown); ex != nil {
			if lab := m.c.Session.Catalogue().Lab(ex.Lab); lab != nil {
				crumbs = append(crumbs, lab.Title)
			}
			crumbs = append(crumbs, ex.ID)
		}
	case clusterScreen, helpScreen:
		crumbs = append(crumbs, m.screen(m.active).Title())
	}
	sep := st.Crumb.Render(" › ")
	room := max(w-lipgloss.Width(right)-3, 8)
	if over := lipgloss.Width(strings.Join(crumbs, sep)) - room; over > 0 && len(crumbs) > 2 {
		// The lab's title gives way first: the exercise's id says where
		// the learner is.
		mid := crumbs[1]
		crumbs[1] = common.Truncate(mid, max(lipgloss.Width(mid)-over, 6))
	}
	left := common.Truncate(strings.Join(crumbs, sep), room)
	gap := max(w-2-lipgloss.Width(left)-lipgloss.Width(right), 1)
	return common.Truncate(" "+left+strings.Repeat(" ", gap)+right, w)
}

// badge is the cluster state in the header's corner.
func (m *Model) badge() string {
	st := m.c.Styles
	var parts []string
	for _, k := range common.Kinds {
		s := m.c.Clusters.Get(k)
		switch s.State {
		case common.ClusterStarting:
			parts = append(parts, st.Busy.Render(string(k)+" ◌"))
		case common.ClusterReady:
			parts = append(parts, st.Pass.Render(string(k)+" ●"))
		case common.ClusterFailed:
			parts = append(parts, st.Fail.Render(string(k)+" ✗"))
		}
	}
	return strings.Join(parts, " ")
}

// progress is the course's progress for the header: exercises done of
// all, with a bar when there is room for one.
func (m *Model) progress() string {
	st, w := m.c.Styles, m.c.Width
	cat := m.c.Session.Catalogue()
	total, done := len(cat.Exercises), 0
	if total == 0 {
		return ""
	}
	for _, ex := range cat.Exercises {
		if m.c.Session.Progress().Get(ex.ID).Done {
			done++
		}
	}
	count := st.Muted.Render(fmt.Sprintf("%d/%d", done, total))
	if w < 40 {
		return count
	}
	return count + " " + common.Bar(st, int64(done), int64(total), min(max(w/8, 4), 16))
}

// footerView is the status note, or the keys of the screen: ? help and
// q quit always, and as many of the screen's own (which it lists most
// important first) as fit before them.
func (m *Model) footerView(s common.Screen) string {
	st, w := m.c.Styles, m.c.Width
	if m.status != "" {
		if m.statusBad {
			return common.Truncate(" "+st.Fail.Render(m.status), w)
		}
		return common.Truncate(" "+st.Status.Render(m.status), w)
	}
	km := m.c.KeyMap
	always := []key.Binding{km.Help, km.Quit}
	var own []key.Binding
	for _, b := range s.ShortHelp() {
		if b.Enabled() && b.Help() != km.Help.Help() && b.Help() != km.Quit.Help() {
			own = append(own, b)
		}
	}
	m.footer.SetWidth(0) // measured here, never cut with …
	for n := len(own); n >= 0; n-- {
		v := m.footer.ShortHelpView(append(own[:n:n], always...))
		if lipgloss.Width(v) <= w-2 || n == 0 {
			return common.Truncate(" "+v, w)
		}
	}
	return ""
}
