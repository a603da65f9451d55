package gradebook_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/result"
)

const createTopic = "kafka/create-topic"

func courseCatalogue(t testing.TB) *catalogue.Catalogue {
	t.Helper()
	cat, err := catalogue.Load(streamlab.Content)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestExerciseFolderFindsTheWorkspacesLayout(t *testing.T) {
	cat := courseCatalogue(t)
	root := t.TempDir()
	write(t, root, map[string]string{
		"kafka/01-create-topic/main.go":       "package main\n",
		"kafka/create-topic/main.go":          "package main\n", // the numbered one wins
		"kafka/keyed-producer/main.py":        "print()\n",
		"kafka/07-consumer-group/main.go":     "package main\n", // another number: an older course
		"kafka/04-partition-ceiling":          "a file, not a folder\n",
		"kafka/.05-at-least-once/main.go":     "package main\n", // hidden
		"kafka/06-exactly-once-v2/main.go":    "package main\n", // another slug
		"pulsar/produce-consume.txt":          "not a folder\n",
		"solutions/kafka/08-compaction/x.txt": "a revealed solution, not the learner's\n",
	})
	for id, want := range map[string]string{
		createTopic:                 "kafka/01-create-topic",
		keyed:                       "kafka/keyed-producer",
		"kafka/consumer-group":      "kafka/07-consumer-group",
		"kafka/partition-ceiling":   "",
		"kafka/at-least-once":       "",
		"kafka/exactly-once":        "",
		"kafka/compaction":          "",
		"pulsar/produce-consume":    "",
		"bridge/kafka-to-pulsar":    "",
		"kafka/idempotent-producer": "",
	} {
		ex := cat.Exercise(id)
		if ex == nil {
			t.Fatalf("no exercise %s", id)
		}
		got := gradebook.ExerciseFolder(root, ex)
		if want != "" {
			want = filepath.Join(root, filepath.FromSlash(want))
		}
		if got != want {
			t.Errorf("%s: folder %q, want %q", id, got, want)
		}
	}
	if got := gradebook.WorkspaceFolder(cat.Exercise(keyed)); got != "kafka/02-keyed-producer" {
		t.Errorf("the workspace's folder of %s is %q", keyed, got)
	}
}

// courseResult is a verdict of ex: each check's status from status.
func courseResult(ex *catalogue.Exercise, status func(i int) result.Status) result.Result {
	r := result.Result{Exercise: ex.ID}
	for i, c := range ex.Checks {
		st := status(i)
		sc := 0
		if st == result.Pass {
			sc = c.Points
		}
		r.Tests = append(r.Tests, result.Test{Name: c.Name, Status: st, Score: sc, MaxScore: c.Points, Message: "checked " + c.Name})
	}
	if status(0) == result.Error {
		r.Message = "the broker went away"
	}
	r.Finish()
	return r
}

// A course of three: everything passed; a pass and an error; an
// exercise missing and a fail.
func sampleCourse(t testing.TB) *gradebook.CourseGrade {
	cat := courseCatalogue(t)
	ct, kp := cat.Exercise(createTopic), cat.Exercise(keyed)
	all := func(s result.Status) func(int) result.Status { return func(int) result.Status { return s } }
	firstFails := func(i int) result.Status {
		return map[bool]result.Status{true: result.Fail, false: result.Pass}[i == 0]
	}
	entry := func(name string, r result.Result) *gradebook.Entry {
		return &gradebook.Entry{Submission: gradebook.Submission{Name: name}, Result: r, Elapsed: 1250 * time.Millisecond}
	}
	return &gradebook.CourseGrade{
		Exercises: []*catalogue.Exercise{ct, kp},
		Rows: []gradebook.CourseRow{
			{Submission: gradebook.Submission{Name: "ada"}, Entries: []*gradebook.Entry{entry("ada", courseResult(ct, all(result.Pass))), entry("ada", courseResult(kp, all(result.Pass)))}},
			{Submission: gradebook.Submission{Name: "=bob"}, Entries: []*gradebook.Entry{entry("=bob", courseResult(ct, all(result.Pass))), entry("=bob", courseResult(kp, all(result.Error)))}},
			{Submission: gradebook.Submission{Name: "cy"}, Entries: []*gradebook.Entry{nil, entry("cy", courseResult(kp, firstFails))}},
		},
	}
}

func TestCourseGradebookHasAColumnPerExercise(t *testing.T) {
	g := sampleCourse(t)
	ct, kp := g.Exercises[0], g.Exercises[1]
	var b bytes.Buffer
	if err := gradebook.WriteCourseGradebook(&b, g); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cyKeyed := kp.MaxScore() - kp.Checks[0].Points
	total, ctMax, kpMax := strconv.Itoa(ct.MaxScore()+kp.MaxScore()), strconv.Itoa(ct.MaxScore()), strconv.Itoa(kp.MaxScore())
	want := [][]string{
		{"submission", createTopic, keyed, "total", "max_score", "errors"},
		{"ada", ctMax, kpMax, total, total, ""},
		{"'=bob", ctMax, "0", ctMax, total, keyed},
		{"cy", "", strconv.Itoa(cyKeyed), strconv.Itoa(cyKeyed), total, ""},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("gradebook.csv:\n%q\nwant\n%q", rows, want)
	}
	if g.ExitCode() != 2 {
		t.Error("an exercise in error: the exit code should be 2")
	}
	g.Rows = g.Rows[2:] // only cy: a missing exercise is no error
	if g.ExitCode() != 0 {
		t.Error("a missing exercise made the exit code 2")
	}
}

func TestCourseResultsAddUpTheExercisesForGradescope(t *testing.T) {
	schema := loadSchema(t)
	g := sampleCourse(t)
	ct, kp := g.Exercises[0], g.Exercises[1]
	for _, r := range g.Rows {
		var b bytes.Buffer
		if err := gradebook.WriteCourseGradescope(&b, g, r); err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		for _, e := range validate(schema, v, "$") {
			t.Errorf("%s: %s", r.Submission.Name, e)
		}
		var got struct {
			Score         float64
			ExecutionTime float64 `json:"execution_time"`
			Output        string
			Tests         []struct {
				Name, Status, Output string
				Score                float64
				MaxScore             float64 `json:"max_score"`
			}
		}
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Tests) != len(ct.Checks)+len(kp.Checks) {
			t.Fatalf("%s: %d tests, want every check of both exercises", r.Submission.Name, len(got.Tests))
		}
		var score, most float64
		for i, tc := range got.Tests {
			ex, c := ct, i
			if i >= len(ct.Checks) {
				ex, c = kp, i-len(ct.Checks)
			}
			if want := ex.ID + ": " + ex.Checks[c].Name; tc.Name != want {
				t.Errorf("%s: test %d is %q, want %q", r.Submission.Name, i, tc.Name, want)
			}
			score, most = score+tc.Score, most+tc.MaxScore
		}
		if score != got.Score || int(got.Score) != r.Score() || int(most) != g.MaxScore() {
			t.Errorf("%s: score %v, tests sum to %v of %v; the row's total is %d of %d", r.Submission.Name, got.Score, score, most, r.Score(), g.MaxScore())
		}
		switch r.Submission.Name {
		case "ada":
			if got.ExecutionTime != 2.5 {
				t.Errorf("ada: execution time %v, want the exercises' 1.25s each added", got.ExecutionTime)
			}
		case "=bob":
			if !strings.Contains(got.Output, "the broker went away") {
				t.Errorf("=bob: the output does not say why keyed-producer was not graded:\n%s", got.Output)
			}
		case "cy":
			for _, tc := range got.Tests[:len(ct.Checks)] {
				if tc.Status != "failed" || tc.Score != 0 || !strings.Contains(tc.Output, "kafka/01-create-topic") {
					t.Errorf("cy: a test of the missing exercise: %+v", tc)
				}
			}
			if !strings.Contains(got.Output, createTopic+": missing") {
				t.Errorf("cy: the output does not say create-topic is missing:\n%s", got.Output)
			}
		}
	}
}

func TestCourseSummary(t *testing.T) {
	g := sampleCourse(t)
	var b bytes.Buffer
	if err := gradebook.WriteCourseSummary(&b, g); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	most, ct := strconv.Itoa(g.MaxScore()), strconv.Itoa(g.Exercises[0].MaxScore())
	for i, want := range [][]string{
		{"SUBMISSION", createTopic, keyed, "TOTAL"},
		{"ada", ct + "/" + ct, "/" + most},
		{"=bob", ct + "/" + ct, "error", ct + "/" + most},
		{"cy", "-", "/" + most},
	} {
		if f := strings.Fields(lines[i]); f[0] != want[0] || !containsAll(lines[i], want[1:]) {
			t.Errorf("line %d %q lacks %q:\n%s", i, lines[i], want, b.String())
		}
	}
	for _, want := range []string{"3 submissions, 2 exercises", createTopic + ": 2 pass, 0 fail, 0 error, 1 without its folder", "error: =bob: " + keyed + ": the broker went away"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, b.String())
		}
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// courseSession passes every check; a cluster of kind fail does not
// start. It is for what no real cluster shows on demand: a cluster that
// does not start, and which clusters are asked for, in what order.
type courseSession struct {
	fail containers.Kind

	mu      sync.Mutex
	started []containers.Kind // every start asked for
	running map[containers.Kind]bool
	checked []string // exercise ids, in order
}

func (f *courseSession) StartCluster(ctx context.Context, k containers.Kind, progress func(containers.Event)) (containers.Cluster, auto.Choice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, k)
	if k == f.fail {
		return nil, auto.Choice{}, errors.New("no " + string(k) + " here")
	}
	if f.running == nil {
		f.running = map[containers.Kind]bool{}
	}
	f.running[k] = true
	return nil, auto.Choice{}, nil
}

func (f *courseSession) Check(ctx context.Context, req course.CheckRequest) (result.Result, error) {
	f.mu.Lock()
	f.checked = append(f.checked, req.Exercise.ID)
	f.mu.Unlock()
	return courseResult(req.Exercise, func(int) result.Status { return result.Pass }), nil
}

func (f *courseSession) Cluster(k containers.Kind) containers.Cluster {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running[k] {
		return noCluster{}
	}
	return nil
}

func (f *courseSession) Choice(k containers.Kind) (auto.Choice, error)   { return auto.Choice{}, nil }
func (f *courseSession) SpecFile(ex *catalogue.Exercise) ([]byte, error) { return []byte(ex.ID), nil }
func (f *courseSession) Learner() string                                 { return "" }

// noCluster stands for a running cluster: only its presence is asked.
type noCluster struct{ containers.Cluster }

// Exercises on Kafka go first and a cluster that does not start fails
// only the exercises that need it, once; an exercise nobody did is not
// graded unless asked for, and then it is a column nobody scores in.
func TestGradeCourseOrdersByClusterAndSurvivesOneThatDoesNotStart(t *testing.T) {
	cat := courseCatalogue(t)
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"ada/pulsar/01-produce-consume/main.py": "print()\n",
		"ada/pulsar/02-retention/main.py":       "print()\n",
		"ada/kafka/02-keyed-producer/main.py":   "print()\n",
		"ada/kafka/01-create-topic/main.py":     "print()\n",
		"bob/kafka/create-topic/main.py":        "print()\n",
		"bob/bridge/01-kafka-to-pulsar/main.py": "print()\n",
		"cy/notes.txt":                          "no workspace here\n",
	})
	subs, _, err := gradebook.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := &courseSession{fail: containers.Pulsar}
	var notes []string
	var begun []string
	out := t.TempDir()
	g, err := gradebook.GradeCourse(context.Background(), gradebook.CourseOptions{
		Options:   gradebook.Options{Session: f, Jobs: 2, Out: out},
		Catalogue: cat.Exercises,
		Begin:     func(ex *catalogue.Exercise, nth, of, n int) { begun = append(begun, ex.ID) },
		Note:      func(n string) { notes = append(notes, n) },
	}, subs)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ex := range g.Exercises {
		ids = append(ids, ex.ID)
	}
	wantIDs := []string{createTopic, keyed, "pulsar/produce-consume", "pulsar/retention", "bridge/kafka-to-pulsar"}
	slices.SortFunc(wantIDs, func(a, b string) int {
		return slices.Index(cat.Exercises, cat.Exercise(a)) - slices.Index(cat.Exercises, cat.Exercise(b))
	})
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("columns %q, want the exercises someone did, in course order: %q", ids, wantIDs)
	}
	if want := []string{createTopic, keyed, "bridge/kafka-to-pulsar", "pulsar/produce-consume", "pulsar/retention"}; !slices.Equal(begun, want) {
		t.Errorf("graded in the order %q, want Kafka alone, then both, then Pulsar alone: %q", begun, want)
	}
	if n := strings.Count(strings.Join(kindNames(f.started), " "), "pulsar"); n != 1 {
		t.Errorf("Pulsar was asked to start %d times (%v), want once: it did not start the first time", n, f.started)
	}
	status := map[string]string{}
	for _, r := range g.Rows {
		for j, e := range r.Entries {
			if e != nil {
				status[r.Submission.Name+" "+g.Exercises[j].ID] = string(e.Result.Status)
			}
		}
	}
	want := map[string]string{
		"ada " + createTopic: "pass", "ada " + keyed: "pass", "ada pulsar/produce-consume": "error", "ada pulsar/retention": "error",
		"bob " + createTopic: "pass", "bob bridge/kafka-to-pulsar": "error",
	}
	if !maps.Equal(status, want) {
		t.Errorf("verdicts %v, want %v", status, want)
	}
	if g.ExitCode() != 2 {
		t.Error("exercises in error: the exit code should be 2")
	}
	if !slices.ContainsFunc(notes, func(n string) bool {
		return strings.Contains(n, filepath.Join(dir, "cy")) && strings.Contains(n, "scores 0")
	}) {
		t.Errorf("no note says cy has no exercise folder: %q", notes)
	}
	// The error's results are written all the same, saying why.
	b, err := os.ReadFile(filepath.Join(gradebook.ExerciseOut(out, cat.Exercise("pulsar/retention")), "ada", gradebook.GradescopeFile))
	if err != nil || !strings.Contains(string(b), "no pulsar here") {
		t.Errorf("pulsar/retention's results.json for ada: %v\n%s", err, b)
	}

	// Asked for an exercise nobody did: a column, and a note.
	notes = nil
	g, err = gradebook.GradeCourse(context.Background(), gradebook.CourseOptions{
		Options:   gradebook.Options{Session: &courseSession{}},
		Catalogue: cat.Exercises, Exercises: []*catalogue.Exercise{cat.Exercise("kafka/compaction"), cat.Exercise(createTopic)},
		Note: func(n string) { notes = append(notes, n) },
	}, subs)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Exercises) != 2 || g.Exercises[0].ID != createTopic || g.Rows[0].Entries[1] != nil || g.Rows[0].Entries[0] == nil {
		t.Errorf("asked for compaction and create-topic: columns %v, ada's row %v", g.Exercises, g.Rows[0].Entries)
	}
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "kafka/compaction: no submission has its folder") }) {
		t.Errorf("no note says nobody did compaction: %q", notes)
	}
}

func kindNames(ks []containers.Kind) []string {
	var s []string
	for _, k := range ks {
		s = append(s, string(k))
	}
	return s
}

func TestGradeCourseWithNothingToGradeSaysWhy(t *testing.T) {
	cat := courseCatalogue(t)
	// A single workspace given as the folder of submissions.
	ws := t.TempDir()
	write(t, ws, map[string]string{"kafka/01-create-topic/main.go": "package main\n", "go.mod": "module streamlab-workspace\n"})
	subs, _, err := gradebook.Discover(ws)
	if err != nil {
		t.Fatal(err)
	}
	_, err = gradebook.GradeCourse(context.Background(), gradebook.CourseOptions{
		Options: gradebook.Options{Session: &courseSession{}}, Catalogue: cat.Exercises,
	}, subs)
	if !errors.Is(err, gradebook.ErrNothingToGrade) || !strings.Contains(err.Error(), ws+" is itself a workspace") {
		t.Errorf("a workspace given as the class: %v", err)
	}
}
