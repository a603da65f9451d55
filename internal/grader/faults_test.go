package grader_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/embedded"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
)

// killable is a cluster a test can crash.
type killable interface {
	containers.Cluster
	Kill() error
}

// A broker that dies while the program runs makes the run an error — the
// cluster's fault — never a failure charged to the learner.
func testBrokerKilledMidCheck(t *testing.T, p containers.Provider, id string) {
	ctx := context.Background()
	ex := loadCourse(t).Exercise(id)
	cl, err := p.Start(ctx, ex.Cluster, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop(ctx)
	k, ok := cl.(killable)
	if !ok {
		t.Fatalf("%T cannot be killed", cl)
	}
	var killErr error
	r := grader.Run(ctx, grader.Request{
		Exercise: ex, Dir: t.TempDir(), Cluster: cl, Provider: p.Name(),
		// The "program" crashes the broker and exits: every check then
		// finds an unreachable cluster.
		Run: "sleep 0.2",
		Events: func(e grader.Event) {
			if e.Stage == grader.StageRunning {
				killErr = k.Kill()
			}
		},
	})
	if killErr != nil {
		t.Fatal(killErr)
	}
	if r.Status != result.Error {
		t.Fatalf("status %s, want error:\n%s", r.Status, describe(r))
	}
	if !strings.Contains(r.Message, "cluster") {
		t.Fatalf("message %q does not say the cluster failed", r.Message)
	}
	if r.Status.ExitCode() != 2 {
		t.Fatalf("exit code %d, want 2", r.Status.ExitCode())
	}
}

// A broker that dies while the program still waits on it ends the run
// there, as the cluster's error: the program is not left to its limit.
func testBrokerKilledUnderTheProgram(t *testing.T, p containers.Provider, id string) {
	ctx := context.Background()
	ex := loadCourse(t).Exercise(id)
	cl, err := p.Start(ctx, ex.Cluster, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop(ctx)
	k := cl.(killable)
	r := grader.Run(ctx, grader.Request{
		Exercise: ex, Dir: t.TempDir(), Cluster: cl, Provider: p.Name(),
		Run: "sleep 600",
		Events: func(e grader.Event) {
			if e.Stage == grader.StageRunning {
				_ = k.Kill()
			}
		},
	})
	if r.Status != result.Error || !strings.Contains(r.Message, "stopped answering while your program ran") {
		t.Fatalf("status %s, message %q; want the cluster's error raised while the program ran", r.Status, r.Message)
	}
}

func TestBrokerKilledUnderTheProgramEmbedded(t *testing.T) {
	testBrokerKilledUnderTheProgram(t, embedded.New(), "kafka/keyed-producer")
}

func TestBrokerKilledUnderTheProgramLocal(t *testing.T) {
	testBrokerKilledUnderTheProgram(t, localProvider(t, containers.Kafka), "kafka/keyed-producer")
}

func TestBrokerKilledMidCheckEmbedded(t *testing.T) {
	testBrokerKilledMidCheck(t, embedded.New(), "kafka/keyed-producer")
}

func TestBrokerKilledMidCheckLocal(t *testing.T) {
	testBrokerKilledMidCheck(t, localProvider(t, containers.Kafka), "kafka/keyed-producer")
}

func TestPulsarKilledMidCheckLocal(t *testing.T) {
	testBrokerKilledMidCheck(t, localProvider(t, containers.Pulsar), "pulsar/shared-scale-out")
}

// A learner program that deletes the namespace the exercise gave it gets a
// failure that says so — the cluster is fine, the namespace is gone.
func TestDeletedNamespaceIsAClearFailure(t *testing.T) {
	cl := newClusters(t, localProvider(t, containers.Pulsar)).get(containers.Pulsar)
	ex := loadCourse(t).Exercise("pulsar/retention")
	r := grader.Run(context.Background(), grader.Request{Exercise: ex, Dir: t.TempDir(), Cluster: cl,
		Run: `set -e; t=${TOPIC#persistent://}
			curl -sSf -X DELETE "$PULSAR_ADMIN_URL/admin/v2/persistent/$t"
			curl -sSf -X DELETE "$PULSAR_ADMIN_URL/admin/v2/namespaces/$NAMESPACE"`})
	if r.Status != result.Fail || r.Tests[0].Status != result.Pass {
		t.Fatalf("status %s, want fail (with the program itself succeeding):\n%s", r.Status, describe(r))
	}
	var retention result.Test
	for _, test := range r.Tests {
		if strings.Contains(test.Name, "retains") {
			retention = test
		}
	}
	if retention.Status != result.Fail || !strings.Contains(retention.Message, "does not exist any more") {
		t.Fatalf("retention check: %+v", retention)
	}
}

// A program that never exits is stopped at the exercise's time limit, with
// its children, and the learner is told why.
func TestProgramThatHangsIsStoppedAtItsLimit(t *testing.T) {
	ctx := context.Background()
	cl, err := embedded.New().Start(ctx, containers.Kafka, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop(ctx)
	ex := *loadCourse(t).Exercise("kafka/keyed-producer")
	ex.Timeout = 500 * time.Millisecond
	r := grader.Run(ctx, grader.Request{Exercise: &ex, Dir: t.TempDir(), Cluster: cl, Run: "sleep 1000 & sleep 1000"})
	if r.Status != result.Fail {
		t.Fatalf("status %s, want fail:\n%s", r.Status, describe(r))
	}
	prog := r.Tests[0]
	if prog.Status != result.Fail || !strings.Contains(prog.Message, "time limit") {
		t.Fatalf("program test %+v does not report the time limit", prog)
	}
	if r.Timings.Program > 10*ex.Timeout+5*time.Second {
		t.Fatalf("the program ran %s, far past its limit", r.Timings.Program)
	}
}

// Cancelling (Ctrl-C, Esc) stops the program and ends the run as an error.
func TestCancelledRunIsAnError(t *testing.T) {
	ctx := context.Background()
	cl, err := embedded.New().Start(ctx, containers.Kafka, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop(ctx)
	ex := loadCourse(t).Exercise("kafka/keyed-producer")
	runCtx, cancel := context.WithCancel(ctx)
	r := grader.Run(runCtx, grader.Request{
		Exercise: ex, Dir: t.TempDir(), Cluster: cl, Run: "sleep 1000",
		Events: func(e grader.Event) {
			if e.Stage == grader.StageRunning {
				time.AfterFunc(200*time.Millisecond, cancel)
			}
		},
	})
	if r.Status != result.Error || !strings.Contains(r.Message, "cancelled") {
		t.Fatalf("status %s %q, want error: cancelled", r.Status, r.Message)
	}
}

// Runs kept for inspection leave topics and groups; RemoveLeftovers (what
// `reset` calls) deletes them, and only this learner's of this exercise.
func TestRemoveLeftovers(t *testing.T) {
	ctx := context.Background()
	cl, err := embedded.New().Start(ctx, containers.Kafka, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop(ctx)
	cat := loadCourse(t)
	ex := cat.Exercise("kafka/consumer-group")
	for _, learner := range []string{"ada", "bob"} {
		r := grader.Run(ctx, grader.Request{Exercise: ex, Dir: t.TempDir(), Cluster: cl, Run: "true", Keep: true, Prefix: learner})
		if r.Status == result.Error {
			t.Fatal(describe(r))
		}
	}
	n, err := grader.RemoveLeftovers(ctx, cl, ex, "ada")
	if err != nil || n != 2 {
		t.Fatalf("removed %d (%v), want ada's two topics", n, err)
	}
	if n, _ := grader.RemoveLeftovers(ctx, cl, ex, "ada"); n != 0 {
		t.Fatalf("a second removal found %d more", n)
	}
	if n, _ := grader.RemoveLeftovers(ctx, cl, ex, "bob"); n != 2 {
		t.Fatalf("bob's topics were touched: %d left to remove, want 2", n)
	}
}
