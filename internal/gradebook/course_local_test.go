package gradebook_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/internal/workspace"
)

// exerciseFiles are an exercise's starter or solution files under folder
// (relative to a workspace), as shipped.
func exerciseFiles(t testing.TB, ex *catalogue.Exercise, solution bool, folder string) map[string]string {
	t.Helper()
	from := ex.Dir
	if solution {
		from = ex.SolutionDir
	}
	files := map[string]string{}
	for _, f := range ex.Files {
		b, err := fs.ReadFile(streamlab.Content, path.Join(from, f))
		if err != nil {
			t.Fatal(err)
		}
		files[path.Join(folder, f)] = string(b)
	}
	return files
}

// Three workspaces on one local Kafka: both exercises solved; one solved
// and one a starter (in a folder without its number); one exercise
// missing. Every exercise is graded once, with the submissions that have
// it, and the course adds them up.
func TestGradeACourseOnLocalKafka(t *testing.T) {
	requireLocal(t)
	sess := localSession(t)
	cat := sess.Catalogue()
	ct, kp := cat.Exercise(createTopic), cat.Exercise(keyed)
	mod := workspace.ModuleFrom(streamlab.GoMod, streamlab.GoSum)
	dir := t.TempDir()
	for name, parts := range map[string][]map[string]string{
		"ada": {exerciseFiles(t, ct, true, "kafka/01-create-topic"), exerciseFiles(t, kp, true, "kafka/02-keyed-producer")},
		"bob": {exerciseFiles(t, ct, true, "kafka/01-create-topic"), exerciseFiles(t, kp, false, "kafka/keyed-producer")},
		"cy":  {exerciseFiles(t, kp, true, "kafka/02-keyed-producer")},
	} {
		write(t, filepath.Join(dir, name), map[string]string{"go.mod": string(mod.GoMod), "go.sum": string(mod.GoSum)})
		for _, files := range parts {
			write(t, filepath.Join(dir, name), files)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	class, err := gradebook.Gather(ctx, gradebook.Sources{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	opts := gradebook.CourseOptions{
		Options:   gradebook.Options{Session: sess, Jobs: 2, Out: out, ProgramCache: t.TempDir()},
		Catalogue: cat.Exercises,
		Note:      func(n string) { t.Log("note:", n) },
	}
	g, err := gradebook.GradeCourse(ctx, opts, class.Submissions)
	if err != nil {
		t.Fatal(err)
	}
	if err := gradebook.WriteCourse(out, g); err != nil {
		t.Fatal(err)
	}
	var summary strings.Builder
	_ = gradebook.WriteCourseSummary(&summary, g)
	t.Logf("the course:\n%s", summary.String())

	if len(g.Exercises) != 2 || g.Exercises[0] != ct || g.Exercises[1] != kp {
		t.Fatalf("exercises graded: %v, want %s and %s, the two the workspaces hold", g.Exercises, ct.ID, kp.ID)
	}
	want := map[string][]result.Status{
		"ada": {result.Pass, result.Pass},
		"bob": {result.Pass, result.Fail},
		"cy":  {"", result.Pass},
	}
	for _, r := range g.Rows {
		for j, e := range r.Entries {
			var got result.Status
			if e != nil {
				got = e.Result.Status
			}
			if w := want[r.Submission.Name][j]; got != w {
				t.Errorf("%s, %s: %q, want %q", r.Submission.Name, g.Exercises[j].ID, got, w)
				if e != nil {
					t.Log(describe(e.Result))
				}
			}
		}
	}
	if g.ExitCode() != 0 {
		t.Error("every exercise present was graded: the exit code should be 0")
	}

	// Each exercise's results, as a grade of that exercise writes them.
	for _, p := range []string{
		"kafka/create-topic/ada/check.json", "kafka/create-topic/ada/junit.xml", "kafka/create-topic/bob/results.json", "kafka/create-topic/gradebook.csv",
		"kafka/keyed-producer/ada/results.json", "kafka/keyed-producer/bob/check.json", "kafka/keyed-producer/cy/junit.xml", "kafka/keyed-producer/gradebook.csv",
	} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "kafka/create-topic/cy")); err == nil {
		t.Error("cy has no create-topic, yet has results for it")
	}

	// The course's gradebook.
	bobKeyed := g.Rows[1].Entries[1].Result.Score
	if bobKeyed >= kp.MaxScore() {
		t.Errorf("bob's starter scored %d of %d", bobKeyed, kp.MaxScore())
	}
	n := strconv.Itoa
	total, ctMax, kpMax := n(ct.MaxScore()+kp.MaxScore()), n(ct.MaxScore()), n(kp.MaxScore())
	wantCSV := [][]string{
		{"submission", createTopic, keyed, "total", "max_score", "errors"},
		{"ada", ctMax, kpMax, total, total, ""},
		{"bob", ctMax, n(bobKeyed), n(ct.MaxScore() + bobKeyed), total, ""},
		{"cy", "", kpMax, kpMax, total, ""},
	}
	csvBytes, err := os.ReadFile(filepath.Join(out, gradebook.GradebookFile))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(csvBytes)).ReadAll()
	if err != nil || !slices.EqualFunc(rows, wantCSV, slices.Equal) {
		t.Errorf("gradebook.csv (%v):\n%q\nwant\n%q", err, rows, wantCSV)
	}

	// Each submission's course results.json, for Gradescope.
	schema := loadSchema(t)
	for i, name := range []string{"ada", "bob", "cy"} {
		b, err := os.ReadFile(filepath.Join(out, name, gradebook.GradescopeFile))
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		for _, e := range validate(schema, v, "$") {
			t.Errorf("%s: %s", name, e)
		}
		var got struct {
			Score float64
			Tests []struct {
				Name, Status string
				Score        float64
			}
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		// The exercises' tests in order, each named after its exercise:
		// the checks of one it lacks, else its verdict's tests.
		var names []string
		for j, ex := range g.Exercises {
			if e := g.Rows[i].Entries[j]; e != nil {
				for _, tc := range e.Result.Tests {
					names = append(names, ex.ID+": "+tc.Name)
				}
				continue
			}
			for _, c := range ex.Checks {
				names = append(names, ex.ID+": "+c.Name)
			}
		}
		var sum float64
		var gotNames []string
		for _, tc := range got.Tests {
			sum += tc.Score
			gotNames = append(gotNames, tc.Name)
			if name == "cy" && strings.HasPrefix(tc.Name, ct.ID+": ") && (tc.Status != "failed" || tc.Score != 0) {
				t.Errorf("cy: %s of the missing exercise is %s, %v points", tc.Name, tc.Status, tc.Score)
			}
		}
		if !slices.Equal(gotNames, names) {
			t.Errorf("%s: tests\n%q\nwant\n%q", name, gotNames, names)
		}
		if sum != got.Score || int(got.Score) != g.Rows[i].Score() {
			t.Errorf("%s: tests summing to %v, score %v, want %d: %s", name, sum, got.Score, g.Rows[i].Score(), b)
		}
	}

	// Again into the same folder: every exercise of every workspace is
	// unchanged, so nothing runs and the gradebook reads the same.
	again, err := gradebook.GradeCourse(ctx, opts, class.Submissions)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again.Rows {
		for j, e := range r.Entries {
			if e != nil && !e.Skipped {
				t.Errorf("%s, %s: graded again, though unchanged", r.Submission.Name, again.Exercises[j].ID)
			}
		}
	}
	var b bytes.Buffer
	if err := gradebook.WriteCourseGradebook(&b, again); err != nil || !bytes.Equal(b.Bytes(), csvBytes) {
		t.Errorf("the second grade's gradebook (%v):\n%s\nthe first's:\n%s", err, b.Bytes(), csvBytes)
	}
}
