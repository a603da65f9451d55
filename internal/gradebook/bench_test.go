package gradebook_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
)

// BenchmarkGradeClassJobs grades 20 submissions of kafka/keyed-producer
// on one local Kafka with --jobs 1, then with --jobs 2, and reports the
// wall time of each and their ratio (jobs1/jobs2: above 1 is a speed-up).
// The programs are built once before timing, as a re-grade finds them.
//
//	go test -run '^$' -bench GradeClassJobs -benchtime 1x ./internal/gradebook/
func BenchmarkGradeClassJobs(b *testing.B) {
	bin := requireLocal(b)
	b.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	sess := localSession(b)
	ex := exercise(b, keyed)
	programs := keyedPrograms(b)
	dir := b.TempDir()
	n := 0
	names := make([]string, 0, len(keyedClass))
	for name := range keyedClass {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		prog := keyedClass[name]
		if programs[prog].want != "" || n == 20 { // no hang: its time limit would be the measure
			continue
		}
		for f, content := range programs[prog].files {
			write(b, dir, map[string]string{name + "/" + f: content})
		}
		n++
	}
	for i := 0; n < 20; i++ { // tops the class up to 20 with more correct programs
		for f, content := range programs["py-correct"].files {
			write(b, dir, map[string]string{"extra" + string(rune('a'+i)) + "/" + f: content})
		}
		n++
	}
	subs, _, err := gradebook.Discover(dir)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := sess.StartCluster(ctx, containers.Kafka, nil); err != nil {
		b.Fatal(err)
	}
	cache := b.TempDir()
	grade := func(jobs int) time.Duration {
		t0 := time.Now()
		entries, err := gradebook.Grade(ctx, gradebook.Options{Session: sess, Exercise: ex, Jobs: jobs, ProgramCache: cache}, subs)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range entries {
			if e.Result.Status == result.Error {
				b.Fatalf("%s: %s", e.Submission.Name, e.Result.Message)
			}
		}
		return time.Since(t0)
	}
	grade(2) // builds every Go program once
	b.ResetTimer()
	var one, two time.Duration
	for b.Loop() {
		one += grade(1)
		two += grade(2)
	}
	b.ReportMetric(one.Seconds()/float64(b.N), "s-jobs1/op")
	b.ReportMetric(two.Seconds()/float64(b.N), "s-jobs2/op")
	b.ReportMetric(one.Seconds()/two.Seconds(), "jobs1/jobs2")
}

// BenchmarkGraderOverhead grades 10 trivial submissions (the Python keyed
// producer: 100 records) one at a time on one local Kafka, already up as
// a class finds it, and splits each grade into the program's own run
// (from its start to its exit) and the grader's time around it: names,
// topics and input data before; the checks and clean-up after. It
// reports the medians per submission and the ratio of a whole grade to
// the program's run.
//
//	go test -run '^$' -bench GraderOverhead -benchtime 1x ./internal/gradebook/
func BenchmarkGraderOverhead(b *testing.B) {
	const n = 10
	bin := requireLocal(b)
	b.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	sess := localSession(b)
	ex := exercise(b, keyed)
	prog := keyedPrograms(b)["py-correct"]
	dir := b.TempDir()
	for i := range n {
		for f, content := range prog.files {
			write(b, dir, map[string]string{fmt.Sprintf("sub%02d/%s", i, f): content})
		}
	}
	subs, _, err := gradebook.Discover(dir)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := sess.StartCluster(ctx, containers.Kafka, nil); err != nil {
		b.Fatal(err)
	}

	type stamps struct{ running, checking, done time.Time }
	var whole, program, before, after []time.Duration
	grade := func(subs []gradebook.Submission, keep bool) {
		var mu sync.Mutex
		at := map[string]*stamps{}
		for _, s := range subs {
			at[s.Name] = &stamps{}
		}
		entries, err := gradebook.Grade(ctx, gradebook.Options{
			Session: sess, Exercise: ex, Jobs: 1,
			Events: func(s gradebook.Submission, e grader.Event) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case e.Stage == grader.StageRunning && at[s.Name].running.IsZero():
					at[s.Name].running = time.Now()
				case e.Stage == grader.StageChecking && at[s.Name].checking.IsZero():
					at[s.Name].checking = time.Now()
				}
			},
			Done: func(e gradebook.Entry) {
				mu.Lock()
				defer mu.Unlock()
				at[e.Submission.Name].done = time.Now()
			},
		}, subs)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range entries {
			if e.Result.Status != result.Pass {
				b.Fatalf("%s: %s %s", e.Submission.Name, e.Result.Status, e.Result.Message)
			}
			if !keep {
				continue
			}
			st := at[e.Submission.Name]
			start := st.done.Add(-e.Elapsed)
			whole = append(whole, e.Elapsed)
			program = append(program, st.checking.Sub(st.running))
			before = append(before, st.running.Sub(start))
			after = append(after, st.done.Sub(st.checking))
		}
	}
	grade(subs[:1], false) // the first run's connections and Python's compiled modules
	b.ResetTimer()
	for b.Loop() {
		grade(subs, true)
	}
	b.StopTimer()
	own := make([]time.Duration, len(whole))
	for i := range whole {
		own[i] = whole[i] - program[i]
	}
	b.ReportMetric(median(whole).Seconds(), "s-grade/sub")
	b.ReportMetric(median(program).Seconds(), "s-program/sub")
	b.ReportMetric(median(own).Seconds(), "s-grader/sub")
	b.ReportMetric(median(before).Seconds(), "s-before/sub")
	b.ReportMetric(median(after).Seconds(), "s-after/sub")
	b.ReportMetric(median(whole).Seconds()/median(program).Seconds(), "grade/program")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}
