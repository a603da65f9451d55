// Package tuitest builds what the UI's tests need: a session over the
// embedded course with progress in a temporary state folder and a
// temporary workspace, fixed-size Common values, and views reduced to
// plain ASCII for golden files.
package tuitest

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/containers/embedded"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/workspace"
	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/keymap"
	"github.com/streamlab/streamlab/tui/styles"
)

// Now is the fixed clock of tests.
var Now = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// Env is a test's course: a session and the folders behind it.
type Env struct {
	Session  *course.Session
	Root     string // workspace root, holding exercises/ (and a go.mod)
	StateDir string
}

// Options tune the session a test gets.
type Options struct {
	// Provider is the --cluster value; "" means embedded.
	Provider string
	// Choose replaces the provider choice (for fake providers).
	Choose func(name string, k containers.Kind, opts auto.Options) (auto.Choice, error)
	// NoWorkspace leaves the workspace uncreated, as on a first start.
	NoWorkspace bool
}

// NewEnv makes a session over the embedded course. The workspace is a
// temporary folder with the repository's go.mod, so that Go exercises
// copied into it build as they do in the repository. STREAMLAB_STATE_DIR
// points at a temporary folder for the test's duration.
func NewEnv(t testing.TB, opts Options) *Env {
	t.Helper()
	state := t.TempDir()
	t.Setenv("STREAMLAB_STATE_DIR", state)
	root := t.TempDir()
	mod := workspace.ModuleFrom(streamlab.GoMod, streamlab.GoSum)
	if opts.Provider == "" {
		opts.Provider = "embedded"
	}
	sess, err := course.Open(course.Options{
		Content: streamlab.Content, Module: mod, StateDir: state, KeepRuns: true,
		Config: config.Config{Cluster: opts.Provider, Workspace: root}, Choose: opts.Choose,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !opts.NoWorkspace {
		if _, err := sess.Init(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = sess.Close(ctx)
	})
	return &Env{Session: sess, Root: root, StateDir: state}
}

// Starter writes an exercise's starter into the workspace.
func (e *Env) Starter(t testing.TB, id string) string {
	t.Helper()
	ex := e.exercise(t, id)
	return e.copyDir(t, ex, ex.Dir)
}

// Solution writes an exercise's reference solution into the workspace, in
// the exercise's folder, as a learner who solved it would have.
func (e *Env) Solution(t testing.TB, id string) string {
	t.Helper()
	ex := e.exercise(t, id)
	return e.copyDir(t, ex, ex.SolutionDir)
}

func (e *Env) exercise(t testing.TB, id string) *catalogue.Exercise {
	ex := e.Session.Catalogue().Exercise(id)
	if ex == nil {
		t.Fatalf("no exercise %s", id)
	}
	return ex
}

func (e *Env) copyDir(t testing.TB, ex *catalogue.Exercise, from string) string {
	dst := e.Session.ExerciseDir(ex)
	err := fs.WalkDir(streamlab.Content, from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := fs.ReadFile(streamlab.Content, path.Clean(p))
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// Common returns a Common of the given size with dark styles and the
// fixed clock, for views that do not change between runs.
func Common(sess *course.Session, w, h int) common.Common {
	cwd, _ := os.Getwd()
	return common.Common{
		Cwd: cwd,
		Ctx: context.Background(), Width: w, Height: h,
		Styles: styles.New(true), KeyMap: keymap.Default(),
		Session: sess, Clusters: common.NewClusters(),
		Now: func() time.Time { return Now },
	}
}

// ASCII reduces a view to what a terminal without colours shows: colours
// go, bold and underline stay.
func ASCII(s string) string {
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.ASCII}
	_, _ = w.Write([]byte(s))
	return b.String()
}

// Embedded is the choice of the in-process Kafka, for tests that pass a
// Choose.
func Embedded() auto.Choice {
	return auto.Choice{Provider: embedded.New(), Why: "chosen with --cluster embedded"}
}

// Msgs runs a command and returns the messages it produced, with batches
// flattened. A command still running after wait (default 2s) is left
// behind: ticks, streams waiting for more.
func Msgs(cmd tea.Cmd, wait time.Duration) []tea.Msg {
	if cmd == nil {
		return nil
	}
	if wait <= 0 {
		wait = 2 * time.Second
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-ch:
	case <-time.After(wait):
		return nil
	}
	switch msg := msg.(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, Msgs(c, wait)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// Find returns the first message of type T among msgs.
func Find[T any](msgs []tea.Msg) (T, bool) {
	for _, m := range msgs {
		if t, ok := m.(T); ok {
			return t, true
		}
	}
	var zero T
	return zero, false
}

// Key is a key press as the terminal sends it: "c", "esc", "enter", "up".
func Key(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

// Drive runs a model as a program would, without a terminal: each message
// goes to Update and the commands returned run concurrently, their
// messages coming back in turn. It returns once until says so of a
// message Update has taken, and fails the test after timeout. Commands
// still running when it returns deliver their messages to the next Drive
// of the same model, as they would in a running program.
func Drive(t testing.TB, m tea.Model, first tea.Msg, until func(tea.Msg) bool, timeout time.Duration) {
	t.Helper()
	v, _ := buses.LoadOrStore(m, make(chan tea.Msg, 4096))
	msgs := v.(chan tea.Msg)
	var run func(cmd tea.Cmd)
	run = func(cmd tea.Cmd) {
		if cmd == nil {
			return
		}
		go func() {
			msg := cmd()
			if batch, ok := msg.(tea.BatchMsg); ok {
				for _, c := range batch {
					run(c)
				}
				return
			}
			if msg != nil {
				msgs <- msg
			}
		}()
	}
	_, cmd := m.Update(first)
	if until(first) {
		run(cmd)
		return
	}
	run(cmd)
	deadline := time.After(timeout)
	for {
		select {
		case msg := <-msgs:
			_, cmd := m.Update(msg)
			run(cmd)
			if until(msg) {
				return
			}
		case <-deadline:
			t.Fatalf("Drive: nothing that was waited for came within %s", timeout)
			return
		}
	}
}

// buses holds each driven model's message queue.
var buses sync.Map

// codeLines are the trimmed lines inside the fenced code blocks of md.
func codeLines(md string) map[string]bool {
	out := map[string]bool{}
	fence := ""
	for _, l := range strings.Split(md, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case fence == "" && (strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~")):
			fence = t[:3]
		case fence != "" && strings.HasPrefix(t, fence):
			fence = ""
		case fence != "" && t != "":
			out[t] = true
		}
	}
	return out
}

// isCode reports whether a rendered line is (a piece of) a code line: a
// code line wider than the screen wraps, and its pieces are its own.
func isCode(code map[string]bool, t string) bool {
	if code[t] {
		return true
	}
	for c := range code {
		if len(t) > 1 && strings.Contains(c, t) {
			return true
		}
	}
	return false
}

var listItem = regexp.MustCompile(`^( *)(• |\d+\. )`)

// LayoutProblems checks rendered markdown (or a screen section of it)
// for what a reader trips over: raw backticks, a line that starts one
// space or more right of the margin (inline code's padding wrapped to the
// line's start), and a list item's wrapped lines that do not sit under
// the item's text. Table rows are left alone.
func LayoutProblems(rendered string, margin int) []string {
	return LayoutProblemsOf("", rendered, margin)
}

// LayoutProblemsOf is LayoutProblems for markdown that may hold fenced
// code: the lines of its code blocks are indented on purpose, and may hold
// backticks, so they are left alone.
func LayoutProblemsOf(markdown, rendered string, margin int) []string {
	code := codeLines(markdown)
	var out []string
	hang := -1 // the column a list item's wrapped lines start at
	for _, l := range strings.Split(ansi.Strip(rendered), "\n") {
		if t := strings.TrimSpace(l); t != "" && isCode(code, t) {
			continue
		}
		if strings.Contains(l, "`") {
			out = append(out, fmt.Sprintf("a raw backtick: %q", l))
		}
		text := strings.TrimRight(strings.ReplaceAll(l, "\u00a0", " "), " ")
		if text == "" {
			hang = -1
			continue
		}
		if strings.ContainsAny(text, "│─┼") {
			continue
		}
		lead := len(text) - len(strings.TrimLeft(text, " "))
		if m := listItem.FindStringSubmatch(text); m != nil {
			hang = len(m[1]) + len([]rune(m[2]))
			continue
		}
		switch {
		case hang >= 0 && lead != hang:
			out = append(out, fmt.Sprintf("a list item's wrapped line starts at column %d, not under its text at %d: %q", lead, hang, l))
		case hang < 0 && lead != margin:
			out = append(out, fmt.Sprintf("a line starts at column %d, not at the margin %d: %q", lead, margin, l))
		}
	}
	return out
}

// WaitForText polls screen until every text is on it, and returns that
// screen; once timeout has passed it returns the last screen and an error
// naming the first text still missing. The timeout only keeps a broken
// view from hanging a test: it is not a speed requirement.
func WaitForText(screen func() string, timeout time.Duration, texts ...string) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		scr := screen()
		missing := ""
		for _, text := range texts {
			if !strings.Contains(scr, text) {
				missing = text
				break
			}
		}
		if missing == "" {
			return scr, nil
		}
		if time.Now().After(deadline) {
			return scr, fmt.Errorf("after %s, %q is not on the screen:\n%s", timeout, missing, scr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
