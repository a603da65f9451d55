package main

import (
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/streamlab/streamlab/internal/classroom"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/tui"
	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/watch"
)

// ui opens the course in the terminal UI. Whatever way it ends (q, a
// signal, a crash of the UI), the clusters it started are stopped and the
// topics it kept for inspection removed before it returns.
func (a *app) ui(cmd *cobra.Command, args []string) error {
	ctx := cmd.Context()
	if err := haveTerminal(); err != nil {
		// Before anything is created: scripts and CI have no terminal.
		return needTerminal(err)
	}
	// stdout belongs to the UI: the log, and anything a library prints
	// through the standard logger, goes to a file in the state folder.
	logPath := course.PathsIn(course.StateDir()).Log
	logger, logFile, closeLog := openLog(logPath)
	defer closeLog()
	// Registered after closeLog, so it runs first: the session logs its
	// cleanup.
	defer a.close(ctx)

	// A check that could not be shared with the class is a note on the
	// screen; the program exists by the time any check ends.
	var prog atomic.Pointer[tea.Program]
	share := &classroom.PublisherOptions{Warn: func(msg string) {
		if p := prog.Load(); p != nil {
			p.Send(common.StatusMsg{Text: msg, Error: true})
		}
	}}
	sess, err := a.open(sessionOptions{logger: logger, dockerLog: logFile, keepRuns: true, quiet: true, share: share})
	if err != nil {
		return err
	}
	var topts tui.Options
	if line, warn := a.sharingLine(ctx, sess); line != "" {
		topts.Sharing = strings.TrimPrefix(line, "warning: ")
		if !warn {
			topts.Class = a.sharing[len(a.sharing)-1].Class()
		}
	}
	// No workspace yet: the UI's first screen offers to create it.
	logger.Info("streamlab starting", "cluster", sess.ProviderName(), "learner", sess.Learner(), "workspace", sess.Workspace().Root, "progress", sess.Paths().Progress)
	var wopts watch.Options
	if os.Getenv("STREAMLAB_WATCH") == "poll" {
		wopts.ForcePoll = true
	}
	topts.Session, topts.Logger, topts.Watch = sess, logger, wopts
	m := tui.New(ctx, topts)
	p := tea.NewProgram(m, tea.WithContext(ctx))
	prog.Store(p)
	_, err = p.Run()
	if err != nil && !(errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil) {
		logger.Error("ui ended", "err", err)
		if strings.Contains(err.Error(), "TTY") {
			return needTerminal(err)
		}
		return fmt.Errorf("the terminal UI failed: %w (log: %s)", err, logPath)
	}
	logger.Info("streamlab ending")
	return nil
}

// haveTerminal reports why the UI could not reach a terminal, as
// bubbletea does: stdin, else /dev/tty.
func haveTerminal() error {
	if term.IsTerminal(int(os.Stdin.Fd())) {
		return nil
	}
	f, err := os.Open("/dev/tty")
	if err != nil {
		return err
	}
	return f.Close()
}

// needTerminal points scripts and CI, which have no terminal, at the
// subcommands.
func needTerminal(err error) error {
	return refuse("the course needs a terminal (%v); without one, use `streamlab list`, `streamlab check ID` and `streamlab hint ID`", err)
}

// openLog opens the UI's log file, falling back to discarding the log
// when the state folder cannot be written. The file is also the standard
// logger's output, and the writer for libraries that take one.
func openLog(path string) (*slog.Logger, io.Writer, func()) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
		if f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
			log.SetOutput(f)
			return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})), f, func() { f.Close() }
		}
	}
	log.SetOutput(io.Discard)
	return slog.New(slog.DiscardHandler), io.Discard, func() {}
}
