package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/streamlab/streamlab/internal/classroom"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/tui/class"
)

// How long the class command waits for the shared cluster: to answer,
// and to hand over the class's history for an export.
const (
	classLocateTimeout = 15 * time.Second
	classReadTimeout   = 2 * time.Minute
)

func (a *app) classCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "class NAME",
		Short: "Watch a class on a shared cluster: every learner's latest check, live",
		Long: `class shows a workshop's room at a glance: one row per learner who runs
streamlab with --class NAME (and --learner THEIR-NAME) on the shared
cluster, with the exercise they checked last, its verdict and score, the
hints they used, their time on it, how long since their last check, and
the course's exercises they passed. A learner is marked stuck (!) on an
exercise not yet passed after 3 failed checks of it in a row, or after
10 minutes without a check. enter shows a learner's last check: what each
failed check saw.

The class lives on the shared Kafka cluster, the one the learners grade
on (--cluster external with --kafka-bootstrap, or one kept up by
` + "`streamlab cluster up`" + `), in the topic streamlab.class.NAME. The view reads it
from its start and follows it: a check shows as soon as it ends.

--format csv or json prints the room as it is now and exits, for the end
of the day.`,
		Example: `  streamlab class dbs-2025 --cluster external --kafka-bootstrap kafka.workshop:9092
  streamlab class dbs-2025 --format csv > dbs-2025.csv
  # learners, each in their own terminal:
  streamlab --class dbs-2025 --learner ada --cluster external --kafka-bootstrap kafka.workshop:9092`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usage("class takes the class's name, e.g. streamlab class dbs-2025")
			}
			return nil
		},
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			name := strings.ToLower(args[0])
			if err := classroom.CheckName(name); err != nil {
				return usage("%v", err)
			}
			if format != "" && !slices.Contains(classroom.Formats, format) {
				return usage("unknown format %q (use %s)", format, strings.Join(classroom.Formats, " or "))
			}
			if format == "" {
				if err := haveTerminal(); err != nil {
					return refuse("the class view needs a terminal (%v); without one, --format csv or --format json prints the class", err)
				}
			}
			return a.class(cmd.Context(), name, format)
		}),
	}
	cmd.Flags().StringVar(&format, "format", "", "print the class as csv or json and exit, instead of the live view")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletions(classroom.Formats...))
	return cmd
}

// class opens the class's topic and shows it, or exports it in format.
func (a *app) class(ctx context.Context, name, format string) error {
	sess, err := a.open(sessionOptions{})
	if err != nil {
		return err
	}
	lctx, cancel := context.WithTimeout(ctx, classLocateTimeout)
	place, err := classroom.Locate(lctx, sess)
	cancel()
	if err != nil {
		return refuse("class %s: %v", name, err)
	}
	rctx, cancel := context.WithTimeout(ctx, classLocateTimeout)
	r, err := classroom.OpenReader(rctx, place, name)
	cancel()
	if err != nil {
		return err
	}
	defer r.Close()
	var ids []string
	for _, ex := range sess.Catalogue().Exercises {
		ids = append(ids, ex.ID)
	}
	if format != "" {
		rctx, cancel := context.WithTimeout(ctx, classReadTimeout)
		defer cancel()
		b, err := r.ReadAll(rctx)
		if err != nil {
			return fmt.Errorf("reading class %s on %s: %w", name, place, err)
		}
		room := classroom.NewRoom(ids)
		room.Add(b.Events...)
		if b.Skipped > 0 {
			fmt.Fprintf(a.stderr, "warning: %d records on %s were not checks and were left out\n", b.Skipped, classroom.Topic(name))
		}
		return classroom.NewExport(room, name, place.Name, time.Now()).Write(a.stdout, format)
	}
	m := class.New(ctx, class.Options{
		Class: name, Place: place.Name, Exercises: ids, Next: r.Next,
		Title: func(id string) string {
			if ex := sess.Catalogue().Exercise(id); ex != nil {
				return ex.Title
			}
			return ""
		},
	})
	_, err = tea.NewProgram(m, tea.WithContext(ctx)).Run()
	if err != nil && !(errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil) {
		return fmt.Errorf("the class view failed: %w", err)
	}
	return nil
}

// sharingLine tells the learner where their checks go when the session
// has a class: "sharing your progress with class dbs on ...", or a
// warning (warn set) saying why they are not shared. It is "" without a
// class.
func (a *app) sharingLine(ctx context.Context, sess *course.Session) (line string, warn bool) {
	if len(a.sharing) == 0 {
		return "", false
	}
	pub := a.sharing[len(a.sharing)-1] // the one opened with sess
	if _, err := pub.Connect(ctx, sess); err != nil {
		return fmt.Sprintf("warning: your checks are not shared with class %s: %v", pub.Class(), err), true
	}
	return pub.Sharing(), false
}
