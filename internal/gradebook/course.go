package gradebook

// A course grade: each submission is a learner's workspace (or a
// repository of one) with a folder per exercise, laid out as the
// workspace lays them out (kafka/02-keyed-producer/). Each exercise is
// graded as a class of the submissions that have its folder, through
// Grade, and the course's gradebook and each submission's results.json
// add the exercises up.

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/result"
)

// CourseOptions of a course grade.
type CourseOptions struct {
	// Options are each exercise's grade's: Exercise is set per exercise,
	// and Out is the course's, each exercise's results going under
	// Out/<track>/<slug>/ (ExerciseOut).
	Options
	// Catalogue is every exercise of the course, in course order.
	Catalogue []*catalogue.Exercise
	// Exercises are the ones to grade; nil is every exercise of the
	// catalogue that at least one submission has a folder for.
	Exercises []*catalogue.Exercise
	// Grade grades one exercise's submissions; nil is Grade. The command
	// gives its own, which shows the grade as it happens.
	Grade func(context.Context, Options, []Submission) ([]Entry, error)
	// Begin is told of each exercise before it is graded: its place in
	// the grade (from 1), how many exercises, and how many submissions.
	Begin func(ex *catalogue.Exercise, nth, of, subs int)
	// Note is told what a person grading should know: a submission with
	// no exercise folder, an exercise no submission has.
	Note func(string)
}

// CourseGrade is a course's grade: a row per submission, a column per
// exercise.
type CourseGrade struct {
	Exercises []*catalogue.Exercise // in course order
	Rows      []CourseRow           // in the submissions' order
}

// CourseRow is one submission's grade of every exercise.
type CourseRow struct {
	// Submission is the workspace: its name, folder and, for a
	// repository, what was cloned.
	Submission Submission
	// Entries are its grades, as CourseGrade.Exercises; nil where the
	// submission has no folder for the exercise.
	Entries []*Entry
}

// ErrNothingToGrade: no submission has a folder of any exercise to grade.
var ErrNothingToGrade = errors.New("nothing to grade")

// ExerciseOut is where a course grade writes an exercise's results:
// out/<track>/<slug>.
func ExerciseOut(out string, ex *catalogue.Exercise) string {
	return filepath.Join(out, ex.Track, ex.Slug)
}

// WorkspaceFolder is the folder a workspace gives ex, relative to its
// root: kafka/02-keyed-producer.
func WorkspaceFolder(ex *catalogue.Exercise) string {
	return path.Join(ex.Track, path.Base(ex.Dir))
}

var numbered = regexp.MustCompile(`^\d+-`)

// ExerciseFolder is ex's folder in the workspace at root: TRACK/NN-SLUG
// as `streamlab init` writes it, else TRACK/SLUG, or the slug under
// another number (a workspace of an older course); "" when there is none.
func ExerciseFolder(root string, ex *catalogue.Exercise) string {
	track := filepath.Join(root, ex.Track)
	if p := filepath.Join(track, path.Base(ex.Dir)); isDir(p) {
		return p
	}
	entries, err := os.ReadDir(track)
	if err != nil {
		return ""
	}
	for _, e := range entries { // sorted: the choice is the same every time
		p := filepath.Join(track, e.Name())
		if !strings.HasPrefix(e.Name(), ".") && numbered.ReplaceAllString(e.Name(), "") == ex.Slug && isDir(p) {
			return p
		}
	}
	return ""
}

// unreachable: a repository that was not cloned, so none of its
// exercises can be graded; each is its error.
func unreachable(s Submission) bool {
	return s.Problem != "" && s.Source != "" && s.Commit == ""
}

// GradeCourse grades each exercise of the course (opts.Exercises, or
// every one a submission has) as a class of the submissions that have its
// folder. Exercises on Kafka alone go first and those on Pulsar alone
// last, so a cluster starts only when an exercise needs it, and the
// session keeps it for the next. A cluster that cannot start is the error
// of the exercises that need it; the others are graded all the same.
// ErrNothingToGrade (wrapped, saying why) is returned when no submission
// has a folder of any exercise to grade.
func GradeCourse(ctx context.Context, opts CourseOptions, subs []Submission) (*CourseGrade, error) {
	note := opts.Note
	if note == nil {
		note = func(string) {}
	}
	exercises, folders := courseFolders(opts, subs)
	someFolder := slices.ContainsFunc(folders, func(fs []string) bool { return slices.ContainsFunc(fs, func(f string) bool { return f != "" }) })
	if !someFolder && !slices.ContainsFunc(subs, unreachable) {
		return nil, nothingToGrade(opts, subs)
	}
	g := &CourseGrade{Exercises: exercises, Rows: make([]CourseRow, len(subs))}
	for i, s := range subs {
		g.Rows[i] = CourseRow{Submission: s, Entries: make([]*Entry, len(exercises))}
		if len(exercises) > 0 && !unreachable(s) && !slices.ContainsFunc(folders[i], func(f string) bool { return f != "" }) {
			msg := fmt.Sprintf("%s has no folder of any exercise graded (such as %s): it scores 0", s.Dir, WorkspaceFolder(exercises[0]))
			if only := onlyFolder(s.Dir); only != "" {
				msg += fmt.Sprintf("; it holds a single folder, %s: was it unpacked one level too deep?", only)
			}
			note(msg)
		}
	}

	grade := opts.Grade
	if grade == nil {
		grade = Grade
	}
	order := make([]int, len(exercises))
	for j := range order {
		order[j] = j
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(kindRank(exercises[a]), kindRank(exercises[b])) })
	// Each exercise's class: the submissions with its folder, and their rows.
	classes := make([][]Submission, len(exercises))
	rows := make([][]int, len(exercises))
	todo := 0
	for _, j := range order {
		ex := exercises[j]
		for i, s := range subs {
			switch {
			case unreachable(s):
				classes[j] = append(classes[j], s)
			case folders[i][j] != "":
				d := Detect(s.Name, folders[i][j])
				d.Source, d.Commit, d.Prefix = s.Source, s.Commit, s.Prefix
				classes[j] = append(classes[j], d)
			default:
				continue
			}
			rows[j] = append(rows[j], i)
		}
		if len(classes[j]) == 0 {
			note(fmt.Sprintf("%s: no submission has its folder (%s)", ex.ID, WorkspaceFolder(ex)))
			continue
		}
		todo++
	}
	failed := map[containers.Kind]string{} // a cluster that did not start: why
	nth := 0
	for _, j := range order {
		ex, class := exercises[j], classes[j]
		if len(class) == 0 {
			continue
		}
		nth++
		eo := opts.Options
		eo.Exercise = ex
		if eo.Out != "" {
			eo.Out = ExerciseOut(opts.Out, ex)
		}
		if opts.Begin != nil {
			opts.Begin(ex, nth, todo, len(class))
		}
		var entries []Entry
		switch why := failedKind(ex, failed); {
		case ctx.Err() != nil:
			entries = allNotGraded(ex, class, "not graded: the grade was interrupted")
		case why != "":
			entries = allNotGraded(ex, class, why)
			writeAll(eo.Out, entries)
		default:
			var err error
			entries, err = grade(ctx, eo, class)
			if err != nil {
				if ctx.Err() != nil {
					entries = allNotGraded(ex, class, "not graded: the grade was interrupted")
					break
				}
				// The first kind not running is the one that did not start.
				for _, k := range ex.Kinds() {
					if opts.Session.Cluster(k) == nil {
						failed[k] = err.Error()
						break
					}
				}
				entries = allNotGraded(ex, class, err.Error())
				writeAll(eo.Out, entries)
			}
		}
		for x, i := range rows[j] {
			g.Rows[i].Entries[j] = &entries[x]
		}
	}
	return g, nil
}

// courseFolders picks the exercises to grade, in course order, and finds
// each submission's folder of each (folders[submission][exercise]).
func courseFolders(opts CourseOptions, subs []Submission) ([]*catalogue.Exercise, [][]string) {
	candidates := opts.Exercises
	if candidates == nil {
		candidates = opts.Catalogue
	}
	place := func(ex *catalogue.Exercise) int {
		if i := slices.Index(opts.Catalogue, ex); i >= 0 {
			return i
		}
		return len(opts.Catalogue)
	}
	var exercises []*catalogue.Exercise
	for _, ex := range candidates {
		if !slices.Contains(exercises, ex) {
			exercises = append(exercises, ex)
		}
	}
	slices.SortStableFunc(exercises, func(a, b *catalogue.Exercise) int { return cmp.Compare(place(a), place(b)) })
	all := make([][]string, len(subs))
	for i, s := range subs {
		all[i] = make([]string, len(exercises))
		if unreachable(s) {
			continue
		}
		for j, ex := range exercises {
			all[i][j] = ExerciseFolder(s.Dir, ex)
		}
	}
	if opts.Exercises != nil {
		return exercises, all
	}
	// Every exercise of the course that someone did.
	var kept []*catalogue.Exercise
	folders := make([][]string, len(subs))
	for j, ex := range exercises {
		if !slices.ContainsFunc(all, func(f []string) bool { return f[j] != "" }) {
			continue
		}
		kept = append(kept, ex)
		for i := range subs {
			folders[i] = append(folders[i], all[i][j])
		}
	}
	return kept, folders
}

// nothingToGrade says why no exercise could be graded, and what to do.
func nothingToGrade(opts CourseOptions, subs []Submission) error {
	what := "of any exercise of the course"
	if opts.Exercises != nil {
		var ids []string
		for _, ex := range opts.Exercises {
			ids = append(ids, WorkspaceFolder(ex))
		}
		what = "for " + strings.Join(ids, ", ")
	}
	err := fmt.Errorf("%w: no submission has a folder %s; each submission is a learner's workspace, with a folder per exercise as `streamlab init` lays it out (kafka/01-create-topic/)", ErrNothingToGrade, what)
	// A single workspace given as the folder of submissions: its tracks
	// read as submissions.
	for _, s := range subs {
		for _, ex := range opts.Catalogue {
			if s.Name == ex.Track && ExerciseFolder(filepath.Dir(s.Dir), ex) != "" {
				return fmt.Errorf("%w; %s is itself a workspace: give the folder that holds a workspace per submission", err, filepath.Dir(s.Dir))
			}
		}
	}
	return err
}

// kindRank orders the grade by cluster: Kafka alone, then both, then
// Pulsar alone.
func kindRank(ex *catalogue.Exercise) int {
	switch {
	case !ex.Uses(containers.Pulsar):
		return 0
	case ex.Uses(containers.Kafka):
		return 1
	}
	return 2
}

// failedKind is why a cluster ex needs did not start earlier in the
// grade, or "": it is not tried again for every exercise.
func failedKind(ex *catalogue.Exercise, failed map[containers.Kind]string) string {
	for _, k := range ex.Kinds() {
		if why := failed[k]; why != "" {
			return why
		}
	}
	return ""
}

func allNotGraded(ex *catalogue.Exercise, class []Submission, msg string) []Entry {
	entries := make([]Entry, len(class))
	for i, s := range class {
		m := msg
		if s.Problem != "" {
			m = s.Problem
		}
		entries[i] = Entry{Submission: s, Result: notGraded(ex, m)}
	}
	return entries
}

// writeAll writes the results of entries graded without Grade, so that
// every submission's folder says why; an error is never skipped, so
// there is no record to keep.
func writeAll(out string, entries []Entry) {
	if out == "" {
		return
	}
	for i := range entries {
		if err := WriteResults(out, entries[i]); err != nil {
			entries[i].Result.Message += fmt.Sprintf(" (and writing its results: %v)", err)
		}
	}
}

// Column is the exercise's grades in the submissions' order, leaving out
// those without its folder: as Grade returns a class's entries.
func (g *CourseGrade) Column(j int) []Entry {
	var entries []Entry
	for _, r := range g.Rows {
		if e := r.Entries[j]; e != nil {
			entries = append(entries, *e)
		}
	}
	return entries
}

// MaxScore is the most a submission can score: every exercise's maximum,
// whether it has the exercise or not.
func (g *CourseGrade) MaxScore() int {
	n := 0
	for _, ex := range g.Exercises {
		n += ex.MaxScore()
	}
	return n
}

// Score is the row's total: an exercise it lacks, or one in error, adds 0.
func (r CourseRow) Score() int {
	n := 0
	for _, e := range r.Entries {
		if e != nil && e.Result.Status != result.Error {
			n += e.Result.Score
		}
	}
	return n
}

// ExitCode is 0 when every exercise of every submission was graded (pass
// or fail; a missing exercise is neither) and 2 when any ended in an
// error, as for one exercise.
func (g *CourseGrade) ExitCode() int {
	for _, r := range g.Rows {
		if unreachable(r.Submission) {
			return 2
		}
		for _, e := range r.Entries {
			if e != nil && e.Result.Status == result.Error {
				return 2
			}
		}
	}
	return 0
}

// CourseGradebookHeader is the first row of a course's gradebook.csv,
// with a column per exercise after "submission".
func CourseGradebookHeader(exercises []*catalogue.Exercise) []string {
	h := []string{"submission"}
	for _, ex := range exercises {
		h = append(h, ex.ID)
	}
	return append(h, "total", "max_score", "errors")
}

// WriteCourseGradebook writes the course as CSV, a row per submission:
// each exercise's score (empty when the submission has no folder for it,
// 0 for an error), the total, the maximum, and the exercises that ended
// in an error (separated by ";").
func WriteCourseGradebook(w io.Writer, g *CourseGrade) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CourseGradebookHeader(g.Exercises)); err != nil {
		return err
	}
	maxScore := strconv.Itoa(g.MaxScore())
	for _, r := range g.Rows {
		row := []string{SafeCell(r.Submission.Name)}
		var errs []string
		for j, e := range r.Entries {
			switch {
			case e == nil:
				row = append(row, "")
			case e.Result.Status == result.Error:
				row = append(row, "0")
				errs = append(errs, g.Exercises[j].ID)
			default:
				row = append(row, strconv.Itoa(e.Result.Score))
			}
		}
		if len(g.Exercises) == 0 && unreachable(r.Submission) {
			errs = append(errs, "not cloned")
		}
		row = append(row, strconv.Itoa(r.Score()), maxScore, strings.Join(errs, ";"))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteCourseGradescope writes a submission's course grade as one
// Gradescope results.json: the sum of its exercises, each check a test
// named "<exercise>: <check>". An exercise it has no folder for scores 0,
// its checks failed, saying which folder is missing.
func WriteCourseGradescope(w io.Writer, g *CourseGrade, r CourseRow) error {
	out := gradescopeResults{Visibility: "visible", Tests: []gradescopeTest{}}
	var parts []string
	for j, ex := range g.Exercises {
		e := r.Entries[j]
		if e == nil {
			missing := fmt.Sprintf("the submission has no folder %s (or %s)", WorkspaceFolder(ex), path.Join(ex.Track, ex.Slug))
			parts = append(parts, fmt.Sprintf("%s: missing, 0/%d points: %s.", ex.ID, ex.MaxScore(), missing))
			for _, c := range ex.Checks {
				out.Tests = append(out.Tests, gradescopeTest{
					Name: ex.ID + ": " + c.Name, MaxScore: float64(c.Points), Status: "failed",
					Output: "Not graded: " + missing + ".", Visibility: "visible",
				})
			}
			continue
		}
		one := gradescopeOf(e.Result, e.Elapsed)
		out.Score += one.Score
		out.ExecutionTime += one.ExecutionTime
		parts = append(parts, one.Output)
		for _, t := range one.Tests {
			t.Name = ex.ID + ": " + t.Name
			out.Tests = append(out.Tests, t)
		}
	}
	if len(g.Exercises) == 0 && unreachable(r.Submission) {
		parts = append(parts, "Not graded: "+r.Submission.Problem)
	}
	out.ExecutionTime = math.Round(out.ExecutionTime*100) / 100
	out.Output = fmt.Sprintf("%d exercises, %d/%d points.\n\n%s", len(g.Exercises), r.Score(), g.MaxScore(), strings.Join(parts, "\n\n"))
	return writeJSON(w, out)
}

// WriteCourse writes what a course grade adds to each exercise's results
// (which Grade wrote): each exercise's gradebook, out/<track>/<slug>/
// gradebook.csv; the course's, out/gradebook.csv; and each submission's
// course results.json, out/<name>/results.json.
func WriteCourse(out string, g *CourseGrade) error {
	var errs []error
	for j, ex := range g.Exercises {
		if col := g.Column(j); len(col) > 0 {
			errs = append(errs, WriteGradebookFile(ExerciseOut(out, ex), col))
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	errs = append(errs, writeFile(filepath.Join(out, GradebookFile), func(w io.Writer) error { return WriteCourseGradebook(w, g) }))
	for _, r := range g.Rows {
		dir := filepath.Join(out, r.Submission.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, writeFile(filepath.Join(dir, GradescopeFile), func(w io.Writer) error { return WriteCourseGradescope(w, g, r) }))
	}
	return errors.Join(errs...)
}

// WriteCourseSummary writes the course as a table: a row per submission,
// its score of each exercise ("-" when it has no folder for it) and its
// total; then each exercise's count and why each error happened.
func WriteCourseSummary(w io.Writer, g *CourseGrade) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	head := []string{"SUBMISSION"}
	for _, ex := range g.Exercises {
		head = append(head, ex.ID)
	}
	fmt.Fprintln(tw, strings.Join(append(head, "TOTAL"), "\t"))
	skipped := 0
	for _, r := range g.Rows {
		cells := []string{r.Submission.Name}
		for _, e := range r.Entries {
			switch {
			case e == nil:
				cells = append(cells, "-")
			case e.Result.Status == result.Error:
				cells = append(cells, "error")
			default:
				cells = append(cells, fmt.Sprintf("%d/%d", e.Result.Score, e.Result.MaxScore))
			}
			if e != nil && e.Skipped {
				skipped++
			}
		}
		cells = append(cells, fmt.Sprintf("%d/%d", r.Score(), g.MaxScore()))
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d submissions, %d exercises", len(g.Rows), len(g.Exercises))
	if skipped > 0 {
		fmt.Fprintf(w, " (%d grades skipped: unchanged since their last grade; --force grades them again)", skipped)
	}
	fmt.Fprintln(w)
	for j, ex := range g.Exercises {
		counts := map[result.Status]int{}
		col := g.Column(j)
		for _, e := range col {
			counts[e.Result.Status]++
		}
		fmt.Fprintf(w, "%s: %d pass, %d fail, %d error, %d without its folder\n", ex.ID, counts[result.Pass], counts[result.Fail], counts[result.Error], len(g.Rows)-len(col))
	}
	for _, r := range g.Rows {
		if unreachable(r.Submission) {
			fmt.Fprintf(w, "error: %s: %s\n", r.Submission.Name, r.Submission.Problem)
			continue
		}
		for j, e := range r.Entries {
			if e != nil && e.Result.Status == result.Error {
				fmt.Fprintf(w, "error: %s: %s: %s\n", r.Submission.Name, g.Exercises[j].ID, e.Result.Message)
			}
		}
	}
	return nil
}
