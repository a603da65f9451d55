package classroom_test

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/checks"
	"github.com/streamlab/streamlab/internal/classroom"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/progress"
	"github.com/streamlab/streamlab/internal/result"
)

func openSession(t *testing.T, cfg config.Config) *course.Session {
	t.Helper()
	cfg.Workspace = filepath.Join(t.TempDir(), "ws")
	sess, err := course.Open(course.Options{Content: streamlab.Content, Config: cfg, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Close(context.Background()) })
	return sess
}

// A class needs a cluster other learners reach: one a single streamlab
// starts for itself is refused, and so is a shared cluster without Kafka,
// each with what to do.
func TestLocateRefusesAPrivateOrPulsarOnlyCluster(t *testing.T) {
	ctx := context.Background()
	_, err := classroom.Locate(ctx, openSession(t, config.Config{Cluster: "embedded"}))
	if err == nil || !strings.Contains(err.Error(), "no one else sees") || !strings.Contains(err.Error(), "--kafka-bootstrap") {
		t.Errorf("an embedded cluster: %v", err)
	}
	pulsarOnly := config.Config{Cluster: "external", Pulsar: config.Pulsar{ServiceURL: "pulsar://127.0.0.1:6650", AdminURL: "http://127.0.0.1:8080"}}
	_, err = classroom.Locate(ctx, openSession(t, pulsarOnly))
	if err == nil || !strings.Contains(err.Error(), "needs Kafka") || !strings.Contains(err.Error(), "only Pulsar") {
		t.Errorf("a Pulsar-only cluster: %v", err)
	}
	if err := classroom.CheckName("Bad Name!"); err == nil {
		t.Error("a class name that cannot name a topic was taken")
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// A class's cluster that is down costs the learner a warning, once for a
// run of the same failure, and never an error from the check: the hook
// returns before anything is sent.
func TestPublishingToADeadClusterWarnsOnce(t *testing.T) {
	var (
		mu    sync.Mutex
		warns []string
	)
	place := classroom.PlaceAt("external", containers.Endpoints{KafkaBootstrap: []string{closedPort(t)}})
	var opts course.Options
	pub, err := classroom.Attach(&opts, classroom.PublisherOptions{Class: "dead", Place: &place, Timeout: 500 * time.Millisecond,
		Warn: func(s string) { mu.Lock(); warns = append(warns, s); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	ex := &catalogue.Exercise{ID: "kafka/keyed-producer"}
	for range 2 {
		opts.OnCheck(course.Checked{Learner: "ada", Exercise: ex, Result: result.Result{Status: result.Fail},
			Progress: progress.Exercise{Attempts: 1}, Started: time.Now(), Ended: time.Now()})
	}
	if pub.Sharing() != classroom.Sharing("dead", place.Name) {
		t.Errorf("sharing line %q", pub.Sharing())
	}
	err = pub.Close(context.Background())
	if err == nil || !strings.Contains(err.Error(), "2 of your checks were not shared with class dead") {
		t.Errorf("Close: %v", err)
	}
	// Warn runs on a goroutine of its own: wait for the first.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(warns)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warns) != 1 || !strings.Contains(warns[0], "your check of kafka/keyed-producer was not shared with class dead") {
		t.Errorf("warnings: %q", warns)
	}
}

// FromCheck keeps what an instructor needs and nothing of the program:
// checks passed of the exercise's own checks, the failed ones' messages,
// hints and attempts from the progress; never the program's output.
func TestFromCheck(t *testing.T) {
	ex := &catalogue.Exercise{ID: "kafka/keyed-producer", Spec: catalogue.Spec{Checks: []checks.Spec{{Name: "topic exists"}, {Name: "keys"}}}}
	end := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	e := classroom.FromCheck(course.Checked{
		Learner: "ada", Exercise: ex, Started: end.Add(-4 * time.Second), Ended: end,
		Progress: progress.Exercise{Attempts: 3, HintsUsed: 2},
		Result: result.Result{Status: result.Fail, Score: 2, MaxScore: 5, Output: "SECRET program output",
			Timings: result.Timings{Program: 1500 * time.Millisecond},
			Tests: []result.Test{
				{Name: "the program runs to completion", Status: result.Pass, Output: "SECRET"},
				{Name: "topic exists", Status: result.Pass, Score: 2, MaxScore: 2},
				{Name: "keys", Status: result.Fail, Message: "3 records have no key", MaxScore: 3, Output: "SECRET"},
			}},
	})
	if e.Checks != 2 || e.ChecksPassed != 1 || e.HintsUsed != 2 || e.Attempt != 3 || e.CheckMillis != 4000 || e.ProgramMillis != 1500 {
		t.Errorf("%+v", e)
	}
	if len(e.Failed) != 1 || e.Failed[0] != (classroom.Failure{Check: "keys", Status: "fail", Message: "3 records have no key"}) {
		t.Errorf("failed: %+v", e.Failed)
	}
	if b, _ := jsonOf(e); strings.Contains(b, "SECRET") {
		t.Errorf("the program's output travelled: %s", b)
	}
}

func jsonOf(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
