package gradebook_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/local"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/internal/workspace"
)

// learners are the grader's own test programs: real mistakes, real clients.
const learners = "../grader/testdata/learners"

// requireLocal skips when this machine cannot run a local Kafka (or the
// kinds given) or the Python clients, unless STREAMLAB_REQUIRE_LOCAL=1
// (CI), where that must fail rather than pass by skipping. It returns the
// Python clients' bin folder.
func requireLocal(t testing.TB, kinds ...containers.Kind) string {
	t.Helper()
	required := os.Getenv("STREAMLAB_REQUIRE_LOCAL") == "1"
	skip := func(format string, a ...any) {
		t.Helper()
		if required {
			t.Fatalf("STREAMLAB_REQUIRE_LOCAL=1 but "+format, a...)
		}
		t.Skipf(format, a...)
	}
	if len(kinds) == 0 {
		kinds = []containers.Kind{containers.Kafka}
	}
	if testing.Short() && !required {
		t.Skip("grades a class on a local cluster")
	}
	for _, k := range kinds {
		if err := local.New(local.Options{}).Check(k); err != nil {
			skip("local %s not available (%v); run scripts/fetch-%s", k, err, k)
		}
	}
	py := os.Getenv("STREAMLAB_PYTHON")
	if py == "" {
		py = filepath.Join(local.CacheDir(), "python", "bin", "python")
	}
	if _, err := os.Stat(py); err != nil {
		skip("no Python with the Kafka and Pulsar clients at %s: run scripts/fetch-python-clients", py)
	}
	return filepath.Dir(py)
}

// localSession is an instructor's session on a local Kafka, with its own
// state folder and no workspace.
func localSession(t testing.TB) *course.Session {
	t.Helper()
	sess, err := course.Open(course.Options{
		Content: streamlab.Content, Module: workspace.ModuleFrom(streamlab.GoMod, streamlab.GoSum),
		Config:   config.Config{Cluster: "local", Workspace: filepath.Join(t.TempDir(), "ws")},
		StateDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = sess.Close(ctx)
	})
	return sess
}

// program is one way of solving (or not) kafka/keyed-producer.
type program struct {
	files map[string]string
	// want is the verdict for the programs whose verdict is not compared
	// with a check of their own (the hang and the flood).
	want result.Status
}

func read(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// keyedPrograms are Go programs (own module, the exercise's default
// build), Python programs (main.py and streamlab.yaml), a shell command,
// one that never exits and one that floods its output.
func keyedPrograms(t testing.TB) map[string]program {
	mistakes := read(t, filepath.Join(learners, "keyedmistakes", "main.go"))
	gomod, gosum := read(t, filepath.Join(learners, "go.mod")), read(t, filepath.Join(learners, "go.sum"))
	goProgram := func(mistake string) program {
		src := strings.Replace(mistakes, `mistake := os.Getenv("MISTAKE")`, fmt.Sprintf("mistake := %q", mistake), 1)
		if src == mistakes {
			t.Fatal("keyedmistakes no longer reads MISTAKE: update this test")
		}
		return program{files: map[string]string{"main.go": src, "go.mod": gomod, "go.sum": gosum}}
	}
	py := read(t, filepath.Join(learners, "python", "keyed_producer.py"))
	pyOrderID := strings.Replace(py, `key=order["customer_id"]`, `key=order["order_id"]`, 1)
	if pyOrderID == py {
		t.Fatal("keyed_producer.py no longer keys by customer_id: update this test")
	}
	return map[string]program{
		"go-correct":    goProgram(""),
		"go-reencoded":  goProgram("reencoded"),
		"go-twice":      goProgram("twice"),
		"go-order-id":   goProgram("order-id"),
		"go-reversed":   goProgram("reversed"),
		"go-partition0": goProgram("partition0"),
		"py-correct":    {files: map[string]string{"main.py": py}},
		"py-order-id":   {files: map[string]string{"main.py": pyOrderID}},
		"py-yaml":       {files: map[string]string{"streamlab.yaml": "run: python3 produce.py\n", "produce.py": py}},
		"sh-nothing":    {files: map[string]string{"streamlab.yaml": "run: echo I produce nothing\n"}},
		// Produces everything, then never exits; a child of its own too.
		"hang": {want: result.Fail, files: map[string]string{"main.py": py + `
import subprocess, time
subprocess.Popen(["sleep", "100000"])
while True:
    time.sleep(1)
`}},
		// Produces everything, then writes without end.
		"flood": {want: result.Fail, files: map[string]string{"main.py": py + `
import sys
line = "x" * 1000 + "\n"
while True:
    sys.stdout.write(line)
`}},
	}
}

// class is who submitted what: several learners hand in the same
// program, and two names read alike once made safe for a broker.
var keyedClass = map[string]string{
	"Ada Lovelace": "go-correct", "ada_lovelace": "py-correct", "alan": "go-correct", "barbara": "go-reencoded",
	"claude": "go-twice", "donald": "go-twice", "edsger": "go-order-id", "frances": "go-order-id",
	"grace": "go-reversed", "hedy": "go-partition0", "ivan": "go-partition0", "john": "py-correct",
	"ken": "py-correct", "leslie": "py-order-id", "margaret": "py-order-id", "niklaus": "py-yaml",
	"ole": "sh-nothing", "peter": "go-reversed", "radia": "hang", "sophie": "flood", "tony": "go-correct",
}

// A class of 21 on one local Kafka, two at a time: each verdict is the one
// a check of the program alone gives, no two runs share a name, and the
// program that hangs and the one that floods fail only themselves.
func TestGradeAClassOnLocalKafka(t *testing.T) {
	bin := requireLocal(t)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH")) // python3 with the clients
	sess := localSession(t)
	ex := exercise(t, keyed)
	programs := keyedPrograms(t)
	dir := t.TempDir()
	for name, prog := range keyedClass {
		for f, content := range programs[prog].files {
			write(t, dir, map[string]string{name + "/" + f: content})
		}
	}
	subs, _, err := gradebook.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != len(keyedClass) {
		t.Fatalf("%d submissions discovered, want %d", len(subs), len(keyedClass))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, _, err := sess.StartCluster(ctx, containers.Kafka, nil); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir() // the programs built, gone with the test

	// Each program alone, as `streamlab check --dir D --run R` grades it.
	alone := map[string]result.Result{}
	for name, prog := range keyedClass {
		if programs[prog].want != "" || alone[prog].Status != "" {
			continue
		}
		s := gradebook.Detect(name, filepath.Join(dir, name))
		r, err := sess.Check(ctx, course.CheckRequest{Exercise: ex, Dir: s.Dir, Run: s.Run, GradeOnly: true, ProgramCache: cache})
		if err != nil {
			t.Fatalf("%s alone: %v", prog, err)
		}
		alone[prog] = r
	}

	entries, names := gradeClass(ctx, t, gradebook.Options{
		Session: sess, Exercise: ex, Jobs: 2, Out: t.TempDir(), ProgramCache: cache,
	}, subs)
	for _, e := range entries {
		prog := keyedClass[e.Submission.Name]
		got := e.Result
		if want := programs[prog].want; want != "" {
			if got.Status != want || got.Tests[0].Status != result.Fail {
				t.Errorf("%s (%s): %s, want %s with the program's own run failed:\n%s", e.Submission.Name, prog, got.Status, want, describe(got))
			}
			continue
		}
		if w := alone[prog]; verdict(got) != verdict(w) {
			t.Errorf("%s (%s) in the class:\n%s\nalone:\n%s", e.Submission.Name, prog, describe(got), describe(w))
		}
	}
	// The expected verdicts, so that a class where everything errors
	// (equal to an all-error check alone) cannot pass.
	for prog, want := range map[string]result.Status{"go-correct": result.Pass, "go-reencoded": result.Pass, "py-correct": result.Pass, "py-yaml": result.Pass,
		"go-twice": result.Fail, "go-order-id": result.Fail, "go-reversed": result.Fail, "go-partition0": result.Fail, "py-order-id": result.Fail, "sh-nothing": result.Fail} {
		if alone[prog].Status != want {
			t.Errorf("%s alone: %s, want %s:\n%s", prog, alone[prog].Status, want, describe(alone[prog]))
		}
	}
	if gradebook.ExitCode(entries) != 0 {
		t.Error("every submission was graded: the exit code should be 0")
	}

	checkNames(t, ex, subs, names)
}

// checkNames: every name of a submission's run starts with its prefix
// (the last part of a Pulsar topic's full name), and no two submissions
// used one name.
func checkNames(t *testing.T, ex *catalogue.Exercise, subs []gradebook.Submission, names map[string]map[string]string) {
	t.Helper()
	owner := map[string]string{}
	for _, s := range subs {
		vars := names[s.Name]
		if len(vars) == 0 && s.Problem == "" {
			t.Errorf("%s: no names reported", s.Name)
		}
		for v, name := range vars {
			if ex.Variables[indexOf(ex, v)].Kind == catalogue.KindFile {
				continue
			}
			if own := name[strings.LastIndex(name, "/")+1:]; !strings.HasPrefix(own, s.Prefix+"-") {
				t.Errorf("%s: %s is %q, without its prefix %q", s.Name, v, name, s.Prefix)
			}
			if prev, ok := owner[name]; ok {
				t.Errorf("%s and %s both used %q", prev, s.Name, name)
			}
			owner[name] = s.Name
		}
	}
}

func indexOf(ex *catalogue.Exercise, name string) int {
	for i, v := range ex.Variables {
		if v.Name == name {
			return i
		}
	}
	panic("no variable " + name)
}

// verdict is what a grade decides: the status and each check's status.
func verdict(r result.Result) string {
	var b strings.Builder
	b.WriteString(string(r.Status))
	for _, t := range r.Tests {
		fmt.Fprintf(&b, "|%s=%s", t.Name, t.Status)
	}
	return b.String()
}

func describe(r result.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %s %d/%d %s\n", r.Status, r.Score, r.MaxScore, r.Message)
	for _, t := range r.Tests {
		fmt.Fprintf(&b, "    %s %s: %s\n", t.Status, t.Name, t.Message)
	}
	return b.String()
}

// gradeClass grades subs two at a time and logs the class's summary. It
// returns the entries and, per submission, the names its run gave each
// variable, for checking that no two runs shared one.
func gradeClass(ctx context.Context, t *testing.T, opts gradebook.Options, subs []gradebook.Submission) ([]gradebook.Entry, map[string]map[string]string) {
	t.Helper()
	var mu sync.Mutex
	names := map[string]map[string]string{} // submission → variable → name
	opts.Events = func(s gradebook.Submission, e grader.Event) {
		if e.Vars != nil {
			mu.Lock()
			names[s.Name] = e.Vars
			mu.Unlock()
		}
	}
	t0 := time.Now()
	entries, err := gradebook.Grade(ctx, opts, subs)
	if err != nil {
		t.Fatal(err)
	}
	var summary strings.Builder
	_ = gradebook.WriteSummary(&summary, entries)
	t.Logf("the class, in %s:\n%s", time.Since(t0).Round(time.Second), summary.String())
	return entries, names
}
