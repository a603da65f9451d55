package gradebook_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/result"
)

// produceConsume is pulsar-101's first exercise: publish a file, consume
// and acknowledge all of it on a subscription.
const produceConsume = "pulsar/produce-consume"

// pulsarPrograms are the reference solution and the grader's own
// mistaken programs (Go, in their own module), and the Python client's
// program with and without its acknowledgements.
func pulsarPrograms(t *testing.T) map[string]program {
	gomod, gosum := read(t, filepath.Join(learners, "go.mod")), read(t, filepath.Join(learners, "go.sum"))
	solution := read(t, filepath.Join("..", "..", "solutions", "pulsar", "01-produce-consume", "main.go"))
	mistakes := read(t, filepath.Join(learners, "pulsarmistakes", "main.go"))
	goMistake := func(mistake string) program {
		src := strings.Replace(mistakes, `switch m := os.Getenv("MISTAKE"); m {`, fmt.Sprintf("switch m := %q; m {", mistake), 1)
		if src == mistakes {
			t.Fatal("pulsarmistakes no longer reads MISTAKE: update this test")
		}
		return program{files: map[string]string{"main.go": src, "go.mod": gomod, "go.sum": gosum}}
	}
	py := read(t, filepath.Join(learners, "python", "produce_consume.py"))
	pyNoAck := strings.Replace(py, "    consumer.acknowledge(msg)\n", "", 1)
	if pyNoAck == py {
		t.Fatal("produce_consume.py no longer acknowledges: update this test")
	}
	return map[string]program{
		"go-correct": {files: map[string]string{"main.go": solution, "go.mod": gomod, "go.sum": gosum}},
		"go-late":    goMistake("late-subscription"),
		"go-no-ack":  goMistake("no-ack"),
		"py-correct": {files: map[string]string{"main.py": py}},
		"py-no-ack":  {files: map[string]string{"main.py": pyNoAck}},
	}
}

// pulsarClass: two learners hand in each correct program, so that their
// runs at once on one subscription name would show; "radia" hands in a
// git repository.
var pulsarClass = map[string]string{
	"ada": "go-correct", "alan": "go-correct", "barbara": "go-late", "claude": "go-no-ack",
	"grace": "py-correct", "hedy": "py-no-ack", "ken": "py-correct", "linus": "py-no-ack", "radia": "py-correct",
}

// A class of 9 on one local Pulsar, two at a time, one of them cloned
// from a repository: each verdict is the one a check of the program
// alone gives, and no two runs share a topic or subscription.
func TestGradeAClassOnLocalPulsar(t *testing.T) {
	bin := requireLocal(t, containers.Pulsar)
	gitEnv(t)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH")) // python3 with the clients
	sess := localSession(t)
	ex := exercise(t, produceConsume)
	programs := pulsarPrograms(t)
	root := t.TempDir()
	dir := filepath.Join(root, "class")
	for name, prog := range pulsarClass {
		if name == "radia" {
			bareRepo(t, filepath.Join(root, "radia.git"), programs[prog].files)
			continue
		}
		for f, content := range programs[prog].files {
			write(t, dir, map[string]string{name + "/" + f: content})
		}
	}
	write(t, root, map[string]string{"repos.txt": "radia.git\n"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out := filepath.Join(root, "out")
	class, err := gradebook.Gather(ctx, gradebook.Sources{Dir: dir, Repos: filepath.Join(root, "repos.txt"), Out: out})
	if err != nil {
		t.Fatal(err)
	}
	defer class.Close()
	subs := class.Submissions
	if len(subs) != len(pulsarClass) {
		t.Fatalf("%d submissions gathered, want %d", len(subs), len(pulsarClass))
	}
	if _, _, err := sess.StartCluster(ctx, containers.Pulsar, nil); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()

	alone := map[string]result.Result{}
	for name, prog := range pulsarClass {
		if alone[prog].Status != "" || name == "radia" {
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
		Session: sess, Exercise: ex, Jobs: 2, Out: out, ProgramCache: cache,
	}, subs)
	for _, e := range entries {
		prog := pulsarClass[e.Submission.Name]
		if w := alone[prog]; verdict(e.Result) != verdict(w) {
			t.Errorf("%s (%s) in the class:\n%s\nalone:\n%s", e.Submission.Name, prog, describe(e.Result), describe(w))
		}
	}
	for prog, want := range map[string]result.Status{"go-correct": result.Pass, "py-correct": result.Pass,
		"go-late": result.Fail, "go-no-ack": result.Fail, "py-no-ack": result.Fail} {
		if alone[prog].Status != want {
			t.Errorf("%s alone: %s, want %s:\n%s", prog, alone[prog].Status, want, describe(alone[prog]))
		}
	}
	if m := byName(subs); m["radia"].Commit == "" || m["radia"].Kind != gradebook.KindPython {
		t.Errorf("radia was not cloned as a Python program: %+v", m["radia"])
	}
	checkNames(t, ex, subs, names)
}
