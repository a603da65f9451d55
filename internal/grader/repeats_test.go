package grader_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/result"
)

// TestRepeats grades the reference solution of the exercise named in
// STREAMLAB_REPEAT (for example kafka/broker-restart) and each of its
// submissions STREAMLAB_REPEAT_RUNS times (default 20) on a local Kafka
// of its own: a verdict that depends on when a fault lands is proved by
// many runs, not one. STREAMLAB_REPEAT_PROGRAMS picks programs as
// repeatPrograms says. It is skipped unless STREAMLAB_REPEAT is set.
func TestRepeats(t *testing.T) {
	id := os.Getenv("STREAMLAB_REPEAT")
	if id == "" {
		t.Skip("set STREAMLAB_REPEAT=EXERCISE (and STREAMLAB_REPEAT_RUNS=20) to grade its programs many times")
	}
	runs, err := strconv.Atoi(os.Getenv("STREAMLAB_REPEAT_RUNS"))
	if err != nil || runs <= 0 {
		runs = 20
	}
	// A cluster of its own: the exercise may restart its broker.
	cs := newClusters(t, localProvider(t, containers.Kafka))
	ex := loadCourse(t).Exercise(id)
	if ex == nil {
		t.Fatalf("STREAMLAB_REPEAT=%s: the course has no such exercise", id)
	}
	repeatPrograms(t, cs.get(ex.Kinds()[0]), id, runs, os.Getenv("STREAMLAB_REPEAT_PROGRAMS"))
}

// repeatPrograms grades the exercise's reference solution and each of its
// submissions runs times on cl, and reports per program how many runs got
// the verdict it should. only, a comma-separated list, picks the programs
// whose name or command holds one of its items ("" picks all).
func repeatPrograms(t *testing.T, cl containers.Cluster, id string, runs int, only string) {
	ex := loadCourse(t).Exercise(id)
	progs := []submission{{name: "solution", want: result.Pass}}
	for _, s := range submissions {
		if s.exercise == ex.ID {
			progs = append(progs, s)
		}
	}
	picked := func(s submission) bool {
		for item := range strings.SplitSeq(only, ",") {
			if item != "" && (strings.Contains(s.name, item) || strings.Contains(s.run, item)) {
				return true
			}
		}
		return only == ""
	}
	for _, s := range progs {
		if !picked(s) {
			continue
		}
		dir, run := "internal/grader/testdata/learners", s.run
		if s.name == "solution" {
			dir = ex.SolutionDir
		}
		if s.python {
			run = strings.ReplaceAll(run, "$PY", pythonWithClients(t))
		}
		right := 0
		for i := range runs {
			r := grade(t, cl, ex, dir, run)
			if r.Status == s.want {
				right++
				continue
			}
			t.Errorf("%s, run %d: %s, want %s:\n%s", s.name, i+1, r.Status, s.want, describe(r))
		}
		t.Logf("%s: %d of %d runs %s", s.name, right, runs, map[result.Status]string{result.Pass: "passed", result.Fail: "failed"}[s.want])
	}
}
