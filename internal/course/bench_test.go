package course_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/local"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/result"
)

// A key press to a verdict, as the UI's c does it: the session grades the
// workspace's copy of keyed-producer on a real Kafka that is already up.
// "edited" changes the program before every check (a learner's usual
// loop: one relink each time); "saved" does too, but the UI has built it
// on save, as it does when the learner presses c at least a link's time
// after saving; "unchanged" checks it again as it is.
func BenchmarkKeyPressToVerdict(b *testing.B) {
	if err := local.New(local.Options{}).Check(containers.Kafka); err != nil {
		b.Skipf("local Kafka not available: %v", err)
	}
	for _, mode := range []string{"edited", "saved", "unchanged"} {
		b.Run(mode, func(b *testing.B) {
			e := newEnv(b, "local", nil)
			ctx := context.Background()
			if _, _, err := e.Session.StartCluster(ctx, containers.Kafka, nil); err != nil {
				b.Fatal(err)
			}
			ex := e.Session.Catalogue().Exercise(keyed)
			main := filepath.Join(e.Session.ExerciseDir(ex), "main.go")
			solution, err := os.ReadFile(filepath.Join("..", "..", ex.SolutionDir, "main.go"))
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(main, solution, 0o644); err != nil {
				b.Fatal(err)
			}
			// The first build compiles the client libraries.
			if res, err := e.Session.Check(ctx, course.CheckRequest{Exercise: ex}); err != nil || res.Status != result.Pass {
				b.Fatalf("%v %+v", err, res)
			}
			var build time.Duration
			b.ResetTimer()
			for i := range b.N {
				if mode != "unchanged" {
					b.StopTimer()
					edit := fmt.Appendf(append([]byte(nil), solution...), "\n// edit %d\nvar _ = %d\n", i, i)
					if err := os.WriteFile(main, edit, 0o644); err != nil {
						b.Fatal(err)
					}
					if mode == "saved" {
						e.Session.Prebuild(ctx, ex)
					}
					b.StartTimer()
				}
				res, err := e.Session.Check(ctx, course.CheckRequest{Exercise: ex})
				if err != nil || res.Status != result.Pass {
					b.Fatalf("%v %+v", err, res)
				}
				build += res.Timings.Build
			}
			b.ReportMetric(float64(build.Milliseconds())/float64(b.N), "build-ms/op")
		})
	}
}
