package class_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/local/localtest"
	"github.com/streamlab/streamlab/internal/classroom"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/internal/workspace"
	"github.com/streamlab/streamlab/tui/class"
)

// localKafka starts a real Kafka for one test (localtest.Start).
func localKafka(t *testing.T) containers.Cluster { return localtest.Start(t, containers.Kafka) }

// workshop is the configuration a workshop hands out: the shared cluster,
// as an external one, and the learner's name.
func workshop(cl containers.Cluster, learner string, ws string) config.Config {
	return config.Config{Cluster: "external", Learner: learner, Workspace: ws,
		Kafka: config.Kafka{Bootstrap: cl.Endpoints().KafkaBootstrap}}
}

// student is one learner's streamlab: a session sharing with the class.
type student struct {
	name   string
	solved bool
	sess   *course.Session
	pub    *classroom.Publisher
	mu     sync.Mutex
	ended  time.Time // when the session told of the check
	res    result.Result
}

// Three learners on a real Kafka each run a real check of keyed-producer
// with --class (one with the reference solution, two with the starter),
// while the instructor's class view follows the class's topic: the view
// shows all three, each with their verdict and score. The delay from
// each check's end to its row showing is logged.
func TestThreeLearnersOnLocalKafka(t *testing.T) {
	if testing.Short() && os.Getenv("STREAMLAB_REQUIRE_LOCAL") != "1" {
		t.Skip("starts a real Kafka and builds three programs; skipped with -short")
	}
	cl := localKafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	name := fmt.Sprintf("e2e-%d", time.Now().UnixNano()%1_000_000_000)
	const exercise = "kafka/keyed-producer"

	// The instructor: `streamlab class NAME` on the same configuration.
	inst := openSession(t, workshop(cl, "", filepath.Join(t.TempDir(), "ws")))
	place, err := classroom.Locate(ctx, inst)
	if err != nil {
		t.Fatal(err)
	}
	r, err := classroom.OpenReader(ctx, place, name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var ids []string
	for _, ex := range inst.Catalogue().Exercises {
		ids = append(ids, ex.ID)
	}
	m := class.New(ctx, class.Options{Class: name, Place: place.Name, Exercises: ids, Next: r.Next})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	var (
		mu    sync.Mutex
		shown = map[string]time.Time{} // learner -> when their row first showed
	)
	go func() {
		// What the program's read loop does: each batch goes to Update,
		// and the next read starts.
		for ctx.Err() == nil {
			b, err := r.Next(ctx)
			mu.Lock()
			m.Update(class.BatchMsg{Batch: b, Err: err})
			screen := text(m)
			now := time.Now()
			for _, row := range m.Rows() {
				if _, ok := shown[row.Learner]; !ok && strings.Contains(screen, " "+row.Learner+" ") {
					shown[row.Learner] = now
				}
			}
			mu.Unlock()
		}
	}()

	students := []*student{{name: "ada", solved: true}, {name: "bob"}, {name: "cy"}}
	for _, s := range students {
		opts := course.Options{
			Content: streamlab.Content, Module: workspace.ModuleFrom(streamlab.GoMod, streamlab.GoSum),
			Config: workshop(cl, s.name, filepath.Join(t.TempDir(), "ws")), StateDir: t.TempDir(),
			OnCheck: func(c course.Checked) { s.mu.Lock(); s.ended = c.Ended; s.mu.Unlock() },
		}
		if s.pub, err = classroom.Attach(&opts, classroom.PublisherOptions{Class: name}); err != nil {
			t.Fatal(err)
		}
		if s.sess, err = course.Open(opts); err != nil {
			t.Fatal(err)
		}
		if _, err := s.sess.Init(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.pub.Connect(ctx, s.sess); err != nil {
			t.Fatal(err)
		}
		if line := s.pub.Sharing(); !strings.Contains(line, "sharing your progress with class "+name+" on external at 127.0.0.1:") {
			t.Errorf("%s reads %q", s.name, line)
		}
		if _, err := s.sess.Hint(exercise); err != nil {
			t.Fatal(err)
		}
		if s.solved {
			ex := s.sess.Catalogue().Exercise(exercise)
			for _, f := range ex.Files {
				b, err := fs.ReadFile(streamlab.Content, path.Join(ex.SolutionDir, f))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(s.sess.ExerciseDir(ex), f), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var wg sync.WaitGroup
	for _, s := range students {
		wg.Go(func() {
			res, err := s.sess.Check(ctx, course.CheckRequest{Exercise: s.sess.Catalogue().Exercise(exercise)})
			if err != nil {
				t.Errorf("%s: %v", s.name, err)
			}
			s.mu.Lock()
			s.res = res
			s.mu.Unlock()
		})
	}
	wg.Wait()
	for _, s := range students {
		want := result.Fail
		if s.solved {
			want = result.Pass
		}
		if s.res.Status != want {
			t.Fatalf("%s's check: %s, want %s: %s %+v", s.name, s.res.Status, want, s.res.Message, s.res.Tests)
		}
		if err := s.sess.Close(ctx); err != nil {
			t.Error(err)
		}
		if err := s.pub.Close(ctx); err != nil || s.pub.Sent() != 1 {
			t.Errorf("%s: %d sent, %v", s.name, s.pub.Sent(), err)
		}
	}

	// Until every row shows; the checks are over, so this is a bound on
	// a failure, not a measure of speed.
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		n := len(shown)
		mu.Unlock()
		if n == len(students) {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("after a minute the view shows %d of %d learners:\n%s", n, len(students), text(m))
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range students {
		row, ok := m.Room().Row(s.name, time.Now())
		if !ok {
			t.Fatalf("%s is not in the room", s.name)
		}
		if row.Exercise != exercise || row.Status != string(s.res.Status) || row.Score != s.res.Score || row.MaxScore != s.res.MaxScore ||
			row.HintsUsed != 1 || row.Attempt != 1 || row.Done != s.solved {
			t.Errorf("%s's row %+v does not match the check %s %d/%d", s.name, row, s.res.Status, s.res.Score, s.res.MaxScore)
		}
		if wantPassed := map[bool]int{true: 1, false: 0}[s.solved]; row.Passed != wantPassed || row.Total != len(ids) {
			t.Errorf("%s: %d of %d passed", s.name, row.Passed, row.Total)
		}
		if !s.solved && len(row.Failed) == 0 {
			t.Errorf("%s failed but the row has no failed checks", s.name)
		}
		mark := map[bool]string{true: "✓ ", false: "✗ "}[s.solved]
		if !strings.Contains(text(m), fmt.Sprintf("%s%d/%d", mark, s.res.Score, s.res.MaxScore)) {
			t.Errorf("%s's verdict is not on the screen:\n%s", s.name, text(m))
		}
		t.Logf("%s: %s %d/%d, row shown %s after the check ended", s.name, s.res.Status, s.res.Score, s.res.MaxScore, shown[s.name].Sub(s.ended).Round(time.Millisecond))
	}

	// The end of the day: a new reader reads the same room from the start.
	r2, err := classroom.OpenReader(ctx, place, name)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	b, err := r2.ReadAll(ctx)
	if err != nil || len(b.Events) != 3 || b.Skipped != 0 {
		t.Fatalf("read back %d events (%d skipped): %v", len(b.Events), b.Skipped, err)
	}
}

func openSession(t *testing.T, cfg config.Config) *course.Session {
	t.Helper()
	sess, err := course.Open(course.Options{Content: streamlab.Content, Config: cfg, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Close(context.Background()) })
	return sess
}
