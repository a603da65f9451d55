package gradebook_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/gradebook"
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
