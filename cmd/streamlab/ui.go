package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/internal/workspace"
	"github.com/streamlab/streamlab/tui"
	"github.com/streamlab/streamlab/tui/session"
	"github.com/streamlab/streamlab/tui/watch"
)

// ui opens the course in the terminal UI. Whatever way it ends (q, a
// signal, a crash of the UI), the clusters it started are stopped and the
// topics it kept for inspection removed before it returns.
func (a *app) ui(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("streamlab", flag.ContinueOnError)
	cf := clusterFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := cf.config()
	if err != nil {
		return err
	}
	cat, err := a.course()
	if err != nil {
		return err
	}
	st := a.progress()

	// stdout belongs to the UI: the log, and anything a library prints
	// through the standard logger, goes to a file beside the progress.
	logPath := filepath.Join(filepath.Dir(st.Path()), "tui.log")
	logger, logFile, closeLog := openLog(logPath)
	defer closeLog()
	logger.Info("streamlab starting", "cluster", cfg.Cluster, "learner", cfg.Learner, "progress", st.Path())

	autoOpts := cf.autoOptions(cfg)
	autoOpts.Docker.Log = logFile // testcontainers' lines and pulls, off the screen
	sess := session.New(session.Options{
		Content: streamlab.Content, Catalogue: cat, Progress: st,
		Root: workspace.Root(), Provider: cfg.Cluster, Prefix: cfg.Learner, Auto: autoOpts, Logger: logger,
	})
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = sess.Close(stopCtx)
	}()

	var wopts watch.Options
	if os.Getenv("STREAMLAB_WATCH") == "poll" {
		wopts.ForcePoll = true
	}
	m := tui.New(ctx, tui.Options{Session: sess, Logger: logger, Watch: wopts})
	p := tea.NewProgram(m, tea.WithContext(ctx))
	_, err = p.Run()
	if err != nil && !(errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil) {
		logger.Error("ui ended", "err", err)
		if strings.Contains(err.Error(), "TTY") {
			// Scripts and CI have no terminal: point them at the subcommands.
			return fmt.Errorf("the course needs a terminal (%v); without one, use `streamlab list`, `streamlab check ID` and `streamlab hint ID`", err)
		}
		return fmt.Errorf("the terminal UI failed: %w (log: %s)", err, logPath)
	}
	logger.Info("streamlab ending")
	return nil
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
