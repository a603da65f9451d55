package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/containers/up"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/progress"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/internal/workspace"
)

type app struct {
	stdout, stderr io.Writer
}

// course loads the catalogue embedded in the binary: grading uses the
// checks the course shipped with, not a copy a learner could edit.
func (a *app) course() (*catalogue.Catalogue, error) {
	cat, err := catalogue.Load(streamlab.Content)
	if err != nil {
		return nil, fmt.Errorf("the course built into this binary is broken (run `streamlab validate`): %w", err)
	}
	return cat, nil
}

func (a *app) exercise(cat *catalogue.Catalogue, args []string, cmd string) (*catalogue.Exercise, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("usage: streamlab %s ID (see `streamlab list` for ids)", cmd)
	}
	ex := cat.Exercise(args[0])
	if ex == nil {
		var ids []string
		for _, e := range cat.Exercises {
			ids = append(ids, e.ID)
		}
		return nil, fmt.Errorf("no exercise %q; the exercises are: %s", args[0], strings.Join(ids, ", "))
	}
	return ex, nil
}

func (a *app) progress() *progress.Store {
	st, err := progress.Open(progress.DefaultPath())
	if err != nil {
		fmt.Fprintf(a.stderr, "warning: %v (progress will not be saved)\n", err)
		st, _ = progress.Open(filepath.Join(os.TempDir(), fmt.Sprintf("streamlab-progress-%d.json", os.Getpid())))
	}
	if st.Warning != "" {
		fmt.Fprintln(a.stderr, "warning:", st.Warning)
	}
	return st
}

func (a *app) list(args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	format := fs.String("format", "text", "text or json")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	cat, err := a.course()
	if err != nil {
		return err
	}
	st := a.progress()
	type item struct {
		ID       string `json:"id"`
		Lab      string `json:"lab"`
		Title    string `json:"title"`
		Cluster  string `json:"cluster"`
		Points   int    `json:"max_score"`
		Done     bool   `json:"done"`
		Folder   string `json:"folder"`
		Hints    int    `json:"hints"`
		HintUsed int    `json:"hints_used"`
	}
	var items []item
	for _, ex := range cat.Exercises {
		p := st.Get(ex.ID)
		items = append(items, item{ex.ID, ex.Lab, ex.Title, ex.Cluster, ex.MaxScore(), p.Done, ex.Dir, len(ex.Hints), p.HintsUsed})
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	case "text":
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		for _, lab := range cat.Labs {
			fmt.Fprintf(tw, "%s — %s\n", lab.ID, lab.Title)
			for _, it := range items {
				if it.Lab != lab.ID {
					continue
				}
				mark := " "
				if it.Done {
					mark = "✓"
				}
				fmt.Fprintf(tw, "  %s %s\t%s\t%s\n", mark, it.ID, it.Title, it.Folder)
			}
		}
		return tw.Flush()
	}
	return fmt.Errorf("unknown format %q (use text or json)", *format)
}

func (a *app) hint(args []string) error {
	cat, err := a.course()
	if err != nil {
		return err
	}
	ex, err := a.exercise(cat, args, "hint")
	if err != nil {
		return err
	}
	st := a.progress()
	used := st.Get(ex.ID).HintsUsed
	n := min(used+1, len(ex.Hints))
	if used < len(ex.Hints) {
		if err := st.Update(ex.ID, func(e *progress.Exercise) { e.HintsUsed = n }); err != nil {
			fmt.Fprintln(a.stderr, "warning:", err)
		}
	}
	fmt.Fprintf(a.stdout, "Hint %d of %d for %s:\n  %s\n", n, len(ex.Hints), ex.ID, ex.Hints[n-1])
	if n == len(ex.Hints) {
		fmt.Fprintln(a.stdout, "That was the last hint.")
	}
	return nil
}

func (a *app) reset(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reset", flag.ContinueOnError)
	dir := fs.String("dir", "", "folder to restore into (default: the exercise's folder)")
	cf := clusterFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
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
	ex, err := a.exercise(cat, pos, "reset")
	if err != nil {
		return err
	}
	target := *dir
	if target == "" {
		target = workspace.ExerciseDir(workspace.Root(), ex)
	}
	backup, err := workspace.Reset(streamlab.Content, ex, target, workspace.BackupRoot(progress.DefaultPath()))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Restored the starter of %s in %s.\n", ex.ID, target)
	if backup != "" {
		fmt.Fprintf(a.stdout, "Your previous files are kept in %s.\n", backup)
	}
	a.removeLeftovers(ctx, ex, cfg, cf)
	return nil
}

// removeLeftovers deletes the exercise's topics, groups and namespaces left
// by earlier runs — on a cluster that outlives a run (kept up, or
// external). No cluster is started just for this.
func (a *app) removeLeftovers(ctx context.Context, ex *catalogue.Exercise, cfg config.Config, cf clusterOpts) {
	kind := containers.Kind(ex.Cluster)
	st, _, _ := up.Read(upStatePath())
	if cfg.Cluster != "external" && (st == nil || st.Clusters[kind].KafkaBootstrap == nil && st.Clusters[kind].PulsarServiceURL == "") {
		return
	}
	choice, err := auto.Choose(cfg.Cluster, kind, cf.autoOptions(cfg))
	if err != nil {
		return
	}
	cl, err := choice.Provider.Start(ctx, kind, nil)
	if err != nil {
		fmt.Fprintf(a.stderr, "warning: could not reach the cluster to remove old topics: %v\n", err)
		return
	}
	defer cl.Stop(context.WithoutCancel(ctx))
	n, err := grader.RemoveLeftovers(ctx, cl, ex, cfg.Learner)
	if err != nil {
		fmt.Fprintf(a.stderr, "warning: removing old topics: %v\n", err)
	}
	if n > 0 {
		fmt.Fprintf(a.stdout, "Removed %d topics, groups or namespaces left by earlier runs.\n", n)
	}
}

func (a *app) validate(args []string) error {
	dir := "."
	if len(args) > 1 {
		return fmt.Errorf("usage: streamlab validate [DIR]")
	}
	if len(args) == 1 {
		dir = args[0]
	}
	cat, err := catalogue.Load(os.DirFS(dir))
	if err != nil {
		fmt.Fprintln(a.stderr, strings.ReplaceAll(err.Error(), "\n", "\n"+"  "))
		return exitError{1}
	}
	fmt.Fprintf(a.stdout, "%s: %d labs, %d exercises, no problems.\n", dir, len(cat.Labs), len(cat.Exercises))
	return nil
}

func (a *app) check(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	dir := fs.String("dir", "", "")
	runCmd := fs.String("run", "", "")
	format := fs.String("format", "text", "")
	seed := fs.String("seed", "", "")
	keep := fs.Bool("keep", false, "")
	cf := clusterFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	cfg, err := cf.config()
	if err != nil {
		return err
	}
	if !contains(result.Formats, *format) {
		return fmt.Errorf("unknown format %q (use %s)", *format, strings.Join(result.Formats, ", "))
	}
	var seedN uint64
	if *seed != "" {
		if seedN, err = strconv.ParseUint(*seed, 10, 64); err != nil {
			return fmt.Errorf("--seed must be a positive number: %v", err)
		}
	}
	cat, err := a.course()
	if err != nil {
		return err
	}
	ex, err := a.exercise(cat, pos, "check")
	if err != nil {
		return err
	}
	folder := *dir
	if folder == "" {
		folder = workspace.ExerciseDir(workspace.Root(), ex)
	}
	if folder, err = filepath.Abs(folder); err != nil {
		return err
	}
	if fi, err := os.Stat(folder); err != nil || !fi.IsDir() {
		return fmt.Errorf("program folder %s does not exist: give --dir, or restore it with `streamlab reset %s`", folder, ex.ID)
	}

	emit := func(r result.Result) error {
		if err := result.Write(a.stdout, r, *format); err != nil {
			return err
		}
		return exitError{r.Status.ExitCode()}
	}
	kind := containers.Kind(ex.Cluster)
	choice, err := auto.Choose(cfg.Cluster, kind, cf.autoOptions(cfg))
	if err != nil {
		return emit(result.Result{Exercise: ex.ID, Status: result.Error, Message: err.Error()})
	}
	fmt.Fprintf(a.stderr, "cluster: %s (%s)\n", choice.Provider.Name(), choice.Why)
	cl, err := choice.Provider.Start(ctx, kind, func(e containers.Event) {
		if e.Stage != containers.StageFailed {
			fmt.Fprintf(a.stderr, "cluster: %s %s %s (%s)\n", e.Provider, e.Stage, e.Message, e.Elapsed.Round(100*time.Millisecond))
		}
	})
	if err != nil {
		return emit(result.Result{Exercise: ex.ID, Status: result.Error, Message: "starting the cluster: " + err.Error()})
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = cl.Stop(stopCtx)
	}()

	res := grader.Run(ctx, grader.Request{
		Exercise: ex, Dir: folder, Run: *runCmd, Cluster: cl, Provider: choice.Provider.Name(),
		Seed: seedN, Keep: *keep, Prefix: cfg.Learner,
		Events: func(e grader.Event) {
			if e.Stage != "" && e.Line == "" && e.Test == nil && e.Vars == nil {
				fmt.Fprintf(a.stderr, "grader: %s\n", e.Stage)
			}
		},
	})
	if res.Status != result.Error {
		if err := a.progress().Record(ex.ID, string(res.Status)); err != nil {
			fmt.Fprintln(a.stderr, "warning:", err)
		}
	}
	return emit(res)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
