package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/course"
)

func (a *app) initCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "init [DIR]",
		Short: "Create your workspace: a folder of starter code that is yours to edit",
		Long: `init creates your workspace at DIR, or at the configured one (--workspace,
STREAMLAB_WORKSPACE, ` + "`workspace:`" + ` in the config file; default
~/streamlab-workspace). It holds every exercise's starter code and a go.mod
with which the Go programs build offline.

Run again after an update of streamlab to add new exercises: files that
exist are never touched. When you run it inside a clone of the course whose
exercises/ you edited (as streamlab once asked), the edits are copied into
the new workspace; the clone is left as it is.`,
		Example: `  streamlab init
  streamlab init ~/code/streamlab-work
  STREAMLAB_WORKSPACE=~/code/streamlab-work streamlab check kafka/create-topic`,
		Args: cobra.MaximumNArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			sess, err := a.open(sessionOptions{})
			if err != nil {
				return err
			}
			configured := sess.Workspace().Root
			if len(args) == 1 {
				if sess, err = a.open(sessionOptions{workspace: args[0]}); err != nil {
					return err
				}
			}
			if err := a.initWorkspace(sess, a.stdout); err != nil {
				return err
			}
			root := sess.Workspace().Root
			if root != configured {
				fmt.Fprintf(a.stdout, "\nOther commands look for your workspace at %s: point them here with --workspace %s, STREAMLAB_WORKSPACE=%s or `workspace: %s` in %s.\n",
					configured, root, root, root, config.DefaultPath())
			}
			if ex := sess.Catalogue().Exercises; len(ex) > 0 {
				fmt.Fprintf(a.stdout, "\nStart with %s: edit %s, then run `streamlab check %s`.\n",
					ex[0].ID, sess.ExerciseDir(ex[0]), ex[0].ID)
			}
			return nil
		}),
	}
}

// initWorkspace creates or completes the session's workspace and, when it
// is new, brings in the edits of a clone used before workspaces existed.
func (a *app) initWorkspace(sess *course.Session, w io.Writer) error {
	rep, err := sess.Init()
	if err != nil {
		return err
	}
	root := sess.Workspace().Root
	if rep.Created {
		fmt.Fprintf(w, "Created your workspace at %s (%d files written).\n", root, len(rep.Written))
	} else {
		fmt.Fprintf(w, "Your workspace at %s is complete: %d files written, %d kept as they were.\n", root, len(rep.Written), len(rep.Kept))
	}
	if !rep.Created {
		// Importing again would put the clone's old files over newer work.
		return nil
	}
	l := sess.Legacy()
	if l == nil {
		return nil
	}
	copied, err := sess.Import(l)
	if err != nil {
		return fmt.Errorf("copying your edits from %s: %w", l.Clone, err)
	}
	if len(copied) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nYou had edited exercises in %s; copied into the workspace:\n", l.Clone)
	for _, f := range copied {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "The clone was left untouched. To put its exercises back as the course ships them:\n  git -C %s restore exercises/\n", l.Clone)
	return nil
}

func (a *app) listCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "The labs and exercises, with your progress and workspace folders",
		Example: `  streamlab list
  streamlab list --format json | jq -r '.[] | select(.done | not) | .id'`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usage("unknown format %q (use text or json)", format)
			}
			sess, err := a.open(sessionOptions{})
			if err != nil {
				return err
			}
			return a.list(sess, format)
		}),
	}
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletions("text", "json"))
	return cmd
}

func (a *app) list(sess *course.Session, format string) error {
	type item struct {
		ID        string `json:"id"`
		Lab       string `json:"lab"`
		Title     string `json:"title"`
		Cluster   string `json:"cluster"`
		Points    int    `json:"max_score"`
		Done      bool   `json:"done"`
		Folder    string `json:"folder"`
		Hints     int    `json:"hints"`
		HintsUsed int    `json:"hints_used"`
		Workspace string `json:"workspace"`
	}
	cat := sess.Catalogue()
	var items []item
	for _, ex := range cat.Exercises {
		p := sess.Progress().Get(ex.ID)
		items = append(items, item{ex.ID, ex.Lab, ex.Title, containers.JoinKinds(ex.Kinds(), "+"), ex.MaxScore(), p.Done, ex.Dir, len(ex.Hints), p.HintsUsed, sess.ExerciseDir(ex)})
	}
	if format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	}
	opts := textOptions(a.stdout)
	ws := sess.Workspace()
	if ws.Exists() {
		fmt.Fprintf(a.stdout, "Your workspace: %s\n\n", ws.Root)
	} else {
		fmt.Fprintf(a.stdout, "No workspace yet: `streamlab init` creates it at %s\n\n", ws.Root)
	}
	idWidth, titleWidth, folderWidth := 0, 0, 0
	for _, it := range items {
		idWidth = max(idWidth, len(it.ID))
		titleWidth = max(titleWidth, utf8.RuneCountInString(it.Title))
		folderWidth = max(folderWidth, len(it.Workspace)-len(ws.Root))
	}
	// The folders are the ids' tracks and numbered slugs: the column that
	// goes when a line would not fit.
	folders := 4+idWidth+2+titleWidth+2+folderWidth <= opts.Width
	for i, lab := range cat.Labs {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		fmt.Fprintln(a.stdout, heading(lab.ID+" — "+lab.Title, opts))
		for _, it := range items {
			if it.Lab != lab.ID {
				continue
			}
			mark := " "
			if it.Done {
				mark = "✓"
			}
			line := fmt.Sprintf("  %s %-*s  %s", mark, idWidth, it.ID, it.Title)
			if folders {
				rel, err := filepath.Rel(ws.Root, it.Workspace)
				if err != nil {
					rel = it.Workspace
				}
				line += strings.Repeat(" ", titleWidth-utf8.RuneCountInString(it.Title)) + "  " + rel
			}
			fmt.Fprintln(a.stdout, line)
		}
	}
	return nil
}

func (a *app) hintCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "hint ID",
		Short: "The next hint for an exercise, one at a time",
		Example: `  streamlab hint kafka/keyed-producer
  streamlab hint keyed-producer        # a slug only one exercise has`,
		Args:              exerciseArg,
		ValidArgsFunction: a.completeExercises,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			sess, ex, err := a.openExercise(args[0])
			if err != nil {
				return err
			}
			if len(ex.Hints) == 0 {
				fmt.Fprintf(a.stdout, "%s has no hints.\n", ex.ID)
				return nil
			}
			n, err := sess.Hint(ex.ID)
			if err != nil {
				// The hint is still shown; only remembering it failed.
				fmt.Fprintln(a.stderr, "warning:", err)
				n = max(1, min(sess.Progress().Get(ex.ID).HintsUsed, len(ex.Hints)))
			}
			opts := textOptions(a.stdout)
			fmt.Fprintf(a.stdout, "%s\n  %s\n", heading(fmt.Sprintf("Hint %d of %d for %s:", n, len(ex.Hints), ex.ID), opts), wrap(ex.Hints[n-1], opts.Width, "  "))
			if n == len(ex.Hints) {
				fmt.Fprintln(a.stdout, "That was the last hint.")
			}
			return nil
		}),
	}
}

func (a *app) resetCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "reset ID",
		Short: "Put an exercise's starter code back in your workspace (your files are kept)",
		Long: `reset writes the exercise's starter files into its workspace folder as the
course ships them. The files it replaces are kept first, in the backup
folder it prints. On a cluster that outlives a check (kept up, or external)
it also removes the topics, groups and namespaces earlier runs left.`,
		Example: `  streamlab reset kafka/keyed-producer
  streamlab reset kafka/consumer-group --cluster external --learner ada`,
		Args:              exerciseArg,
		ValidArgsFunction: a.completeExercises,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			sess, ex, err := a.openExercise(args[0])
			if err != nil {
				return err
			}
			rep, err := sess.Reset(cmd.Context(), ex.ID)
			if err != nil {
				if rep.Backup != "" {
					fmt.Fprintf(a.stdout, "Your previous files are kept in %s\n", rep.Backup)
				}
				return err
			}
			fmt.Fprintf(a.stdout, "Restored the starter of %s in %s\n", ex.ID, rep.Dir)
			if rep.Backup != "" {
				fmt.Fprintf(a.stdout, "Your previous files are kept in %s\n", rep.Backup)
			}
			if rep.Removed > 0 {
				fmt.Fprintf(a.stdout, "Removed %d topics, groups or namespaces left by earlier runs.\n", rep.Removed)
			}
			if rep.Warning != "" {
				fmt.Fprintln(a.stderr, "warning:", rep.Warning)
			}
			return nil
		}),
	}
}

func (a *app) solutionCommand() *cobra.Command {
	var giveUp bool
	cmd := &cobra.Command{
		Use:   "solution ID",
		Short: "The reference solution, once your program has passed (or you give up)",
		Long: `solution prints an exercise's reference solution once your program has
passed its checks; a pass also puts it in your workspace, under solutions/.
Before that it refuses, unless you give up with --give-up: that is
remembered, and the solution is written into your workspace too.`,
		Example: `  streamlab solution kafka/create-topic
  streamlab solution kafka/keyed-producer --give-up`,
		Args:              exerciseArg,
		ValidArgsFunction: a.completeExercises,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			sess, ex, err := a.openExercise(args[0])
			if err != nil {
				return err
			}
			files, err := sess.Solution(ex.ID)
			dir := sess.Workspace().SolutionDir(ex)
			switch {
			case errors.Is(err, course.ErrSolutionLocked) && giveUp:
				if files, dir, err = sess.GiveUp(ex.ID); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "You gave up on %s; here is its reference solution.\n", ex.ID)
			case errors.Is(err, course.ErrSolutionLocked):
				return refuse("the solution of %s opens once your program has passed its checks (`streamlab check %s`); to give up and see it now, run `streamlab solution %s --give-up`", ex.ID, ex.ID, ex.ID)
			case err != nil:
				return err
			}
			if _, err := os.Stat(dir); dir != "" && err == nil {
				fmt.Fprintf(a.stderr, "It is also in your workspace: %s\n", dir)
			}
			opts := textOptions(a.stdout)
			for i, f := range files {
				if i > 0 {
					fmt.Fprintln(a.stdout)
				}
				fmt.Fprintln(a.stdout, heading("── "+f.Name+" ──", opts))
				fmt.Fprint(a.stdout, f.Text)
				if !strings.HasSuffix(f.Text, "\n") {
					fmt.Fprintln(a.stdout)
				}
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&giveUp, "give-up", false, "give up on the exercise and see its solution without a pass")
	return cmd
}

func (a *app) validateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Check course content (labs/, exercises/, solutions/) for problems",
		Long: `validate loads the course content in DIR (default: the current folder) as
streamlab would and lists every problem with its file and line. It exits 1
when there are problems.`,
		Example: `  streamlab validate
  streamlab validate ~/src/streamlab`,
		Args: cobra.MaximumNArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return usage("%s is not a folder: give the folder that holds labs/, exercises/ and solutions/", dir)
			}
			cat, err := catalogue.Load(os.DirFS(dir))
			if err != nil {
				fmt.Fprintln(a.stderr, strings.ReplaceAll(err.Error(), "\n", "\n  "))
				return exitError{codeFail}
			}
			fmt.Fprintf(a.stdout, "%s: %d labs, %d exercises, no problems.\n", dir, len(cat.Labs), len(cat.Exercises))
			return nil
		}),
	}
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "The version of streamlab and the Go it was built with",
		Example: "  streamlab version",
		Args:    cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			version, goVersion := "(devel)", ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				if bi.Main.Version != "" {
					version = bi.Main.Version
				}
				goVersion = bi.GoVersion
			}
			fmt.Fprintf(a.stdout, "streamlab %s %s\n", version, goVersion)
		},
	}
}
