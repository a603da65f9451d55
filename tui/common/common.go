// Package common is what every screen of the terminal UI shares: one
// Common value (context, size, styles, keys, logger, the session), the
// Screen interface, the messages screens send each other, and a few
// rendering helpers.
package common

import (
	"context"
	"log/slog"
	"os/exec"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/tui/keymap"
	"github.com/streamlab/streamlab/tui/styles"
	"github.com/streamlab/streamlab/tui/watch"
)

// Common is handed to every screen.
type Common struct {
	Ctx           context.Context
	Width, Height int
	Styles        *styles.Styles
	KeyMap        *keymap.KeyMap
	Logger        *slog.Logger
	Session       *course.Session
	// Clusters is the state of the clusters, kept by the root model and
	// read by screens when they draw.
	Clusters *Clusters
	// Now is the clock views use for elapsed times; tests fix it.
	Now func() time.Time
	// Glamour overrides the markdown style (tests use "notty").
	Glamour string
	// Watch tunes watch mode (tests force polling or shorten the debounce).
	Watch watch.Options
	// Cwd is the folder streamlab started in: paths below it are shown
	// relative to it.
	Cwd string
	// Editor makes the command that edits file; nil runs $VISUAL, else
	// $EDITOR, else vi. A server sets it: its learners' editor runs on the
	// server, in their SSH terminal.
	Editor func(file string) *exec.Cmd
}

// SetSize records the space a screen has.
func (c *Common) SetSize(w, h int) { c.Width, c.Height = w, h }

// GlamourStyle is the markdown style to render with.
func (c *Common) GlamourStyle() string {
	if c.Glamour != "" {
		return c.Glamour
	}
	return c.Styles.Glamour
}

// Screen is one screen of the UI. Only the root model returns a tea.View;
// screens return the string for the space SetSize gave them.
type Screen interface {
	Update(msg tea.Msg) (Screen, tea.Cmd)
	View() string
	SetSize(width, height int)
	// Title names the screen in the header.
	Title() string
	// ShortHelp is the screen's keys for the footer, most important
	// first: the footer drops them from the end to fit, and always adds
	// ? help and q quit itself.
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

// Cmd wraps a message in a command.
func Cmd(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }
