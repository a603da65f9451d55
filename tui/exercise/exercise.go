// Package exercise is the screen where the learner works: the task, the
// files to edit and the variables the program receives; checks streamed
// live; hints; reset; watch mode; and, after a pass, the reference
// solution.
package exercise

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/watch"
)

// State of the exercise's check.
type State int

const (
	Idle    State = iota // no check yet
	Waiting              // waiting for the cluster
	Running
	Done
)

// Messages of this screen's own commands.
type (
	// TaskRenderedMsg carries the task and the hints rendered for a width.
	TaskRenderedMsg struct {
		ExerciseID string
		Width      int
		Content    string
		Hints      []string // each hint, without its number
	}
	// FolderMsg says whether the exercise folder exists.
	FolderMsg struct {
		ExerciseID string
		Exists     bool
	}
	// WatchStartedMsg carries a new watcher, or why there is none.
	WatchStartedMsg struct {
		ExerciseID string
		Watcher    *watch.Watcher
		Err        error
	}
	// FilesChangedMsg is one burst of saves in the exercise folder.
	FilesChangedMsg struct {
		ExerciseID string
		Watcher    *watch.Watcher
		Files      []string
	}
	// BuilderStartedMsg carries the watcher that builds on save while
	// watch mode is off.
	BuilderStartedMsg struct {
		ExerciseID string
		Watcher    *watch.Watcher
	}
	// SavedMsg is one burst of saves seen by the builder.
	SavedMsg struct {
		ExerciseID string
		Watcher    *watch.Watcher
	}
	// PrebuiltMsg ends a build on save.
	PrebuiltMsg struct{ ExerciseID string }
)

// maxOutput is how many lines of program output are kept, of the
// program's own and of its client library's logs each.
const maxOutput = 400

// Model is one exercise's screen. The root keeps one per opened exercise,
// so a check keeps streaming into it while the learner looks elsewhere.
type Model struct {
	c        common.Common
	ex       *catalogue.Exercise
	dir      string
	shownDir string // dir as the screen writes it
	exists   bool

	state   State
	started time.Time
	took    time.Duration
	stage   grader.Stage
	tests   []result.Test
	output  []string // the program's own lines
	logs    []string // its client library's log lines
	all     bool     // show all the output, library logs too
	res     *result.Result
	vars    map[string]string
	live    bool // vars are the running check's: its input files exist
	place   int  // the check's place in a server's queue; 0 when not waiting
	spin    spinner.Model

	task      string
	taskWidth int
	taskHints []string // rendered hints
	hints     int
	solution  []course.SolutionFile
	confirm   confirmation // what y/n answers, if anything
	// Lines where sections start, to scroll to what was just asked for.
	hintsLine, solutionLine int
	note                    string
	noteBad                 bool

	watcher  *watch.Watcher
	watching bool
	// builder builds the program whenever it is saved while watch mode is
	// off, so that c finds it built: the link is most of a check's time.
	builder *watch.Watcher
	recheck bool // a save came in during a check

	vp viewport.Model
}

// New returns the screen for exercise id.
func New(c common.Common, id string) *Model {
	ex := c.Session.Catalogue().Exercise(id)
	m := &Model{
		c: c, ex: ex, dir: c.Session.ExerciseDir(ex), exists: true,
		shownDir: displayPath(c.Cwd, c.Session.ExerciseDir(ex)),
		spin:     spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(c.Styles.Busy)),
		vp:       viewport.New(),
		hints:    c.Session.Progress().Get(id).HintsUsed,
	}
	m.vp.KeyMap.Left.SetEnabled(false)
	m.vp.KeyMap.Right.SetEnabled(false)
	return m
}

// Init returns the commands the screen needs when first opened.
func (m *Model) Init() tea.Cmd {
	dir, id := m.dir, m.ex.ID
	return tea.Batch(m.renderTask(), func() tea.Msg {
		fi, err := os.Stat(dir)
		return FolderMsg{ExerciseID: id, Exists: err == nil && fi.IsDir()}
	})
}

// ID is the exercise's id.
func (m *Model) ID() string { return m.ex.ID }

// State is where the check is.
func (m *Model) State() State { return m.state }

// Result is the last verdict, if any.
func (m *Model) Result() *result.Result { return m.res }

// Dir is the folder the learner edits.
func (m *Model) Dir() string { return m.dir }

// Watching reports whether watch mode is on.
func (m *Model) Watching() bool { return m.watching }

// Close stops watch mode and the build on save.
func (m *Model) Close() {
	m.stopWatch()
	if m.builder != nil {
		m.builder.Close()
		m.builder = nil
	}
}

func (m *Model) stopWatch() {
	if m.watcher != nil {
		m.watcher.Close()
		m.watcher = nil
	}
	m.watching = false
}

// startBuilder watches the folder to build on save, unless watch mode (which
// checks on save) or a builder already does.
func (m *Model) startBuilder() tea.Cmd {
	if m.builder != nil || m.watching || !m.exists {
		return nil
	}
	dir, id, opts := m.dir, m.ex.ID, m.c.Watch
	log := m.c.Logger
	return func() tea.Msg {
		w, err := watch.New(dir, opts)
		if err != nil {
			if log != nil {
				log.Debug("no build on save", "dir", dir, "err", err)
			}
			return nil
		}
		return BuilderStartedMsg{ExerciseID: id, Watcher: w}
	}
}

func waitSaved(id string, w *watch.Watcher) tea.Cmd {
	return func() tea.Msg {
		if _, ok := <-w.C; !ok {
			return nil
		}
		return SavedMsg{ExerciseID: id, Watcher: w}
	}
}

func (m *Model) Title() string { return m.ex.Title }

func (m *Model) SetSize(w, h int) {
	m.c.SetSize(w, h)
	m.vp.SetWidth(w)
	m.refresh()
}

// chromeHeight is the lines above and below the viewport: title, folder,
// status, the next exercise after a pass, and the note.
func (m *Model) chromeHeight() int {
	if m.passed() {
		return 5
	}
	return 4
}

// passed reports whether the last check passed.
func (m *Model) passed() bool {
	return m.state == Done && m.res != nil && m.res.Status == result.Pass
}

func (m *Model) textWidth() int { return max(min(m.c.Width, 100), 10) }

// hintIndent is where a hint's text starts: after "  1. ".
const hintIndent = 5

// renderTask renders the task and the hints, the hints as the task is
// (inline code and all), to sit under their numbers.
func (m *Model) renderTask() tea.Cmd {
	w, id, task, hints, style := m.textWidth(), m.ex.ID, m.ex.Task, m.ex.Hints, m.c.GlamourStyle()
	return func() tea.Msg {
		msg := TaskRenderedMsg{ExerciseID: id, Width: w, Content: task}
		if out, err := common.Markdown(task, w-2, style, -1); err == nil {
			msg.Content = out
		}
		hw := max(w-2-hintIndent, 10)
		for _, h := range hints {
			out, err := common.Markdown(h, hw, style, 0)
			if err != nil {
				out = common.Wrap(h, hw)
			}
			msg.Hints = append(msg.Hints, out)
		}
		return msg
	}
}

func (m *Model) setNote(s string, bad bool) { m.note, m.noteBad = s, bad }

func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.WindowSizeMsg:
		if m.taskWidth != m.textWidth() {
			return m, m.renderTask()
		}
	case common.StylesChangedMsg:
		m.spin.Style = m.c.Styles.Busy
		m.refresh()
		return m, m.renderTask()
	case tea.MouseWheelMsg:
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return m, cmd
	case spinner.TickMsg:
		if msg.ID != m.spin.ID() || (m.state != Running && m.state != Waiting) {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	}
	if id := exerciseOf(msg); id != m.ex.ID {
		return m, nil
	}
	switch msg := msg.(type) {
	case TaskRenderedMsg:
		m.task, m.taskWidth, m.taskHints = msg.Content, msg.Width, msg.Hints
		if m.taskWidth != m.textWidth() {
			return m, m.renderTask()
		}
	case FolderMsg:
		m.exists = msg.Exists
		return m, m.startBuilder()
	case BuilderStartedMsg:
		if m.builder != nil || m.watching {
			msg.Watcher.Close()
			return m, nil
		}
		m.builder = msg.Watcher
		return m, waitSaved(m.ex.ID, msg.Watcher)
	case SavedMsg:
		if msg.Watcher != m.builder {
			return m, nil
		}
		next := waitSaved(m.ex.ID, msg.Watcher)
		if m.state == Running || m.state == Waiting {
			return m, next // the check builds it
		}
		sess, ex, ctx := m.c.Session, m.ex, m.c.Ctx
		return m, tea.Batch(next, func() tea.Msg {
			sess.Prebuild(ctx, ex)
			return PrebuiltMsg{ExerciseID: ex.ID}
		})
	case PrebuiltMsg:
		return m, nil
	case common.CheckStartedMsg:
		first := m.state != Waiting && m.state != Running
		if msg.Waiting {
			m.state = Waiting
		} else {
			m.state = Running
		}
		if first {
			m.started = m.c.Now()
			m.tests, m.output, m.logs, m.res, m.stage = nil, nil, nil, nil, grader.StagePreparing
			m.live, m.place = false, 0
			m.setNote("", false)
			m.vp.GotoTop()
			m.refresh()
			return m, m.spin.Tick
		}
	case common.CheckQueuedMsg:
		m.place = msg.Place
	case common.CheckEventsMsg:
		for _, e := range msg.Events {
			m.event(e)
		}
	case common.CheckDoneMsg:
		m.state, m.place = Done, 0
		m.live = false // the grader removed the run's folder, input files and all
		m.took = m.c.Now().Sub(m.started)
		r := msg.Result
		m.res = &r
		m.tests = r.Tests
		if msg.Err != nil {
			m.setNote("progress not saved: "+msg.Err.Error(), true)
		}
		if m.recheck && m.watching {
			m.recheck = false
			m.refresh()
			return m, m.request(true)
		}
	case common.HintMsg:
		if msg.Err != nil {
			m.setNote("hint not saved: "+msg.Err.Error(), true)
		}
		if msg.Used == m.hints && msg.Used == len(m.ex.Hints) {
			m.setNote("that was the last hint", false)
		}
		m.hints = max(m.hints, msg.Used)
		m.refresh()
		m.vp.SetYOffset(m.hintsLine)
	case common.ResetDoneMsg:
		if msg.Err != nil {
			m.setNote(msg.Err.Error(), true)
			break
		}
		m.exists = true
		if msg.Backup != "" {
			m.setNote("starter restored; your files are in "+msg.Backup, false)
		} else {
			m.setNote("starter restored", false)
		}
		m.refresh()
		return m, m.startBuilder()
	case common.SolutionMsg:
		if msg.Err != nil {
			m.setNote(msg.Err.Error(), true)
			break
		}
		m.solution = msg.Files
		if msg.Dir != "" {
			m.setNote("the solution is also in "+displayPath(m.c.Cwd, msg.Dir), false)
		}
		m.refresh()
		m.vp.SetYOffset(m.solutionLine)
	case WatchStartedMsg:
		if msg.Err != nil {
			m.watching = false
			m.setNote("watch: "+msg.Err.Error(), true)
			break
		}
		if !m.watching {
			msg.Watcher.Close()
			break
		}
		m.watcher = msg.Watcher
		how := "watching " + m.dir + " (" + msg.Watcher.Mode + ")"
		if msg.Watcher.Mode != "fsnotify" {
			how += ": " + msg.Watcher.Why
		}
		m.setNote(how, false)
		return m, waitChange(m.ex.ID, msg.Watcher)
	case FilesChangedMsg:
		if msg.Watcher != m.watcher || !m.watching {
			return m, nil
		}
		next := waitChange(m.ex.ID, msg.Watcher)
		if m.state == Running || m.state == Waiting {
			m.recheck = true
			return m, next
		}
		m.setNote("saved "+strings.Join(msg.Files, ", ")+": checking", false)
		return m, tea.Batch(next, m.request(true))
	}
	m.refresh()
	return m, nil
}

// exerciseOf returns the exercise a message is about, if it is about one.
func exerciseOf(msg tea.Msg) string {
	switch msg := msg.(type) {
	case TaskRenderedMsg:
		return msg.ExerciseID
	case FolderMsg:
		return msg.ExerciseID
	case BuilderStartedMsg:
		return msg.ExerciseID
	case SavedMsg:
		return msg.ExerciseID
	case PrebuiltMsg:
		return msg.ExerciseID
	case WatchStartedMsg:
		return msg.ExerciseID
	case FilesChangedMsg:
		return msg.ExerciseID
	case common.CheckStartedMsg:
		return msg.ExerciseID
	case common.CheckEventsMsg:
		return msg.ExerciseID
	case common.CheckQueuedMsg:
		return msg.ExerciseID
	case common.CheckDoneMsg:
		return msg.ExerciseID
	case common.HintMsg:
		return msg.ExerciseID
	case common.ResetDoneMsg:
		return msg.ExerciseID
	case common.SolutionMsg:
		return msg.ExerciseID
	}
	return ""
}

// EditorClosed notes how the editor ended; the root calls it on the
// exercise that opened the editor.
func (m *Model) EditorClosed(msg common.EditorClosedMsg) {
	if msg.Err != nil {
		m.setNote("editor: "+msg.Err.Error(), true)
	} else {
		m.setNote("", false)
	}
}

func (m *Model) event(e grader.Event) {
	switch {
	case e.Fault != "":
		// What the grader did to the program belongs in its output, where
		// the program's reaction to it shows.
		m.output = keepLast(append(m.output, "» streamlab "+e.Fault), maxOutput)
	case e.Line != "" && LibraryLog(e.Line):
		m.logs = keepLast(append(m.logs, e.Line), maxOutput)
	case e.Line != "":
		m.output = keepLast(append(m.output, e.Line), maxOutput)
	case e.Test != nil:
		m.tests = append(m.tests, *e.Test)
	case e.Vars != nil:
		m.vars, m.live = e.Vars, true
	case e.Stage != "":
		m.stage = e.Stage
	}
}

func keepLast(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}

func (m *Model) request(watch bool) tea.Cmd {
	return common.Cmd(common.CheckRequestMsg{ExerciseID: m.ex.ID, Watch: watch})
}

// confirmation is a question the screen is waiting on.
type confirmation int

const (
	confirmNone confirmation = iota
	confirmReset
	confirmGiveUp
)

func (m *Model) key(msg tea.KeyPressMsg) (common.Screen, tea.Cmd) {
	km := m.c.KeyMap
	if m.confirm != confirmNone {
		asked := m.confirm
		switch {
		case key.Matches(msg, km.Yes) && asked == confirmReset:
			m.confirm = confirmNone
			m.setNote("restoring the starter…", false)
			sess, id, ctx := m.c.Session, m.ex.ID, m.c.Ctx
			return m, func() tea.Msg {
				rep, err := sess.Reset(ctx, id)
				return common.ResetDoneMsg{ExerciseID: id, Backup: rep.Backup, Err: err}
			}
		case key.Matches(msg, km.Yes) && asked == confirmGiveUp:
			m.confirm = confirmNone
			sess, id := m.c.Session, m.ex.ID
			return m, func() tea.Msg {
				files, dir, err := sess.GiveUp(id)
				return common.SolutionMsg{ExerciseID: id, Files: files, Dir: dir, Err: err}
			}
		case key.Matches(msg, km.No):
			m.confirm = confirmNone
			if asked == confirmReset {
				m.setNote("reset cancelled", false)
			} else {
				m.setNote("keep going: h gives the next hint", false)
			}
		}
		return m, nil
	}
	busy := m.state == Running || m.state == Waiting
	switch {
	case key.Matches(msg, km.Cancel) && busy:
		m.setNote("cancelling…", false)
		return m, common.Cmd(common.CheckCancelMsg{ExerciseID: m.ex.ID})
	case key.Matches(msg, km.Back):
		return m, common.Cmd(common.BackMsg{})
	case key.Matches(msg, km.Check):
		if busy {
			m.setNote("a check is already running (esc cancels it)", false)
			return m, nil
		}
		if !m.exists {
			m.setNote("there is nothing to check yet: r writes the starter into "+m.shownDir, true)
			return m, nil
		}
		return m, m.request(false)
	case key.Matches(msg, km.Hint):
		if m.hints >= len(m.ex.Hints) {
			m.setNote("that was the last hint", false)
			return m, nil
		}
		sess, id := m.c.Session, m.ex.ID
		return m, func() tea.Msg {
			n, err := sess.Hint(id)
			return common.HintMsg{ExerciseID: id, Used: n, Err: err}
		}
	case key.Matches(msg, km.Reset):
		if busy {
			m.setNote("wait for the check to end (or esc) before resetting", false)
			return m, nil
		}
		m.confirm = confirmReset
		return m, nil
	case key.Matches(msg, km.Solution):
		if p := m.c.Session.Progress().Get(m.ex.ID); !p.Done && !p.GaveUp {
			// As Rustlings does: the solution is earned by a pass, or
			// asked for on purpose.
			m.confirm = confirmGiveUp
			return m, nil
		}
		sess, id := m.c.Session, m.ex.ID
		return m, func() tea.Msg {
			files, err := sess.Solution(id)
			return common.SolutionMsg{ExerciseID: id, Files: files, Err: err}
		}
	case key.Matches(msg, km.Edit):
		return m, m.edit()
	case key.Matches(msg, km.Watch):
		return m, m.toggleWatch()
	case key.Matches(msg, km.Lesson):
		return m, common.Cmd(common.OpenLabMsg{LabID: m.ex.Lab, Step: m.step()})
	case key.Matches(msg, km.Cluster):
		return m, common.Cmd(common.OpenClusterMsg{ExerciseID: m.ex.ID})
	case key.Matches(msg, km.NextExercise):
		if !m.passed() && !m.c.Session.Progress().Get(m.ex.ID).Done {
			return m, nil
		}
		if next := m.Next(); next != nil {
			return m, common.Cmd(common.OpenExerciseMsg{ID: next.ID})
		}
		return m, nil
	case key.Matches(msg, km.Output):
		if m.hiddenOutput() {
			m.all = !m.all
			m.refresh()
		}
		return m, nil
	}
	var cmd tea.Cmd
	m.vp, cmd = m.vp.Update(msg)
	return m, cmd
}

// step is the lesson step that links to the exercise.
func (m *Model) step() int {
	if lab := m.c.Session.Catalogue().Lab(m.ex.Lab); lab != nil {
		for i, st := range lab.Steps {
			for _, id := range st.Exercises {
				if id == m.ex.ID {
					return i
				}
			}
		}
	}
	return 0
}

func (m *Model) toggleWatch() tea.Cmd {
	if m.watching {
		m.stopWatch()
		m.setNote("watch mode off", false)
		return m.startBuilder()
	}
	if m.builder != nil { // watch mode checks on save; building alone is moot
		m.builder.Close()
		m.builder = nil
	}
	m.watching = true
	m.setNote("starting watch mode…", false)
	dir, id, opts := m.dir, m.ex.ID, m.c.Watch
	return func() tea.Msg {
		w, err := watch.New(dir, opts)
		return WatchStartedMsg{ExerciseID: id, Watcher: w, Err: err}
	}
}

// waitChange waits for the next burst of saves; the screen re-arms it.
func waitChange(id string, w *watch.Watcher) tea.Cmd {
	return func() tea.Msg {
		ch, ok := <-w.C
		if !ok {
			return nil
		}
		return FilesChangedMsg{ExerciseID: id, Watcher: w, Files: ch.Files}
	}
}

// edit opens the first file of the exercise in the learner's editor.
func (m *Model) edit() tea.Cmd {
	if len(m.ex.Files) == 0 {
		return nil
	}
	file := filepath.Join(m.dir, filepath.FromSlash(m.ex.Files[0]))
	var cmd *exec.Cmd
	if m.c.Editor != nil {
		cmd = m.c.Editor(file)
	} else {
		editor := os.Getenv("VISUAL")
		if editor == "" {
			editor = os.Getenv("EDITOR")
		}
		if editor == "" {
			editor = "vi"
		}
		args := strings.Fields(editor)
		cmd = exec.Command(args[0], append(args[1:], file)...)
	}
	cmd.Dir = m.dir
	name := cmd.Args[0]
	return tea.ExecProcess(cmd, func(err error) tea.Msg {
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = errors.New(name + " not found: set $EDITOR to your editor")
		}
		return common.EditorClosedMsg{Err: err}
	})
}

// Next is the exercise to do after this one: the first not done after it
// in course order, else before it; nil when every other one is done.
func (m *Model) Next() *catalogue.Exercise {
	all := m.c.Session.Catalogue().Exercises
	at := 0
	for i, ex := range all {
		if ex.ID == m.ex.ID {
			at = i
		}
	}
	for i := 1; i < len(all); i++ {
		ex := all[(at+i)%len(all)]
		if !m.c.Session.Progress().Get(ex.ID).Done {
			return ex
		}
	}
	return nil
}

// hiddenOutput reports whether o would show more of the program's output.
func (m *Model) hiddenOutput() bool {
	return len(m.logs) > 0 || len(m.output) > outputTail
}

// ShortHelp lists the keys most useful now, most important first: the
// footer drops them from the end when the terminal is narrow.
func (m *Model) ShortHelp() []key.Binding {
	km := m.c.KeyMap
	if m.confirm != confirmNone {
		return []key.Binding{km.Yes, km.No}
	}
	if m.state == Running || m.state == Waiting {
		return []key.Binding{km.Cancel, km.Cluster, km.Down, km.Up}
	}
	b := []key.Binding{km.Check, km.Edit, km.Hint}
	if m.passed() {
		b = []key.Binding{km.NextExercise, km.Check, km.Solution}
	}
	b = append(b, km.Back, km.Cluster)
	if m.hiddenOutput() {
		b = append(b, km.Output)
	}
	return append(b, km.Watch, km.Reset, km.Lesson)
}

func (m *Model) FullHelp() [][]key.Binding {
	km := m.c.KeyMap
	return [][]key.Binding{
		{km.Check, km.Cancel, km.Watch, km.Edit},
		{km.Hint, km.Solution, km.Reset, km.Lesson},
		{km.NextExercise, km.Output, km.Cluster, km.Back},
		{km.Up, km.Down, km.PageUp, km.PageDown},
	}
}
