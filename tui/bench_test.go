package tui_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/inspect"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/tui"
	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/tuitest"
)

const benchEx = "kafka/keyed-producer"

func benchModel(b *testing.B) (*tui.Model, *tuitest.Env) {
	env := tuitest.NewEnv(b, tuitest.Options{})
	env.Starter(b, benchEx)
	m := tui.New(context.Background(), tui.Options{Session: env.Session})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return m, env
}

func drive(b *testing.B, m *tui.Model, msg tea.Msg, done func() bool) {
	b.Helper()
	tuitest.Drive(b, m, msg, func(tea.Msg) bool { return done() }, 10*time.Second)
}

// The exercise screen after a failed check with program output, every
// hint and the solution shown: the most the UI draws in one frame.
func BenchmarkViewExercise(b *testing.B) {
	m, env := benchModel(b)
	drive(b, m, common.OpenExerciseMsg{ID: benchEx}, func() bool { return m.Active() == "exercise" })
	if err := env.Session.Progress().Record(benchEx, "pass"); err != nil {
		b.Fatal(err)
	}
	m.Update(common.CheckStartedMsg{ExerciseID: benchEx})
	var events []grader.Event
	for i := range 200 {
		events = append(events, grader.Event{Line: fmt.Sprintf("sent order %d of customer c%02d", i, i%15)})
	}
	m.Update(common.CheckEventsMsg{ExerciseID: benchEx, Events: events})
	tests := []result.Test{
		{Name: "the program runs to completion", Status: result.Fail, Message: "The program exited with status 1."},
		{Name: "every input line arrived exactly once", Status: result.Fail, MaxScore: 2, Message: strings.Repeat("In topic t, 3 of 120 input lines are missing. ", 4)},
		{Name: "every record is keyed by its customer_id", Status: result.Fail, MaxScore: 2, Message: "None of the 120 records has a key: set each record's key to its customer_id when producing."},
		{Name: "each customer's orders are in one partition", Status: result.Fail, MaxScore: 2, Message: "15 of 15 customer_id values are spread over several partitions."},
	}
	m.Update(common.CheckDoneMsg{ExerciseID: benchEx, Result: result.Result{Status: result.Fail, Tests: tests, MaxScore: 8}})
	for range 3 {
		drive(b, m, tuitest.Key("h"), func() bool { return true })
	}
	drive(b, m, tuitest.Key("s"), func() bool { return strings.Contains(m.View().Content, "Reference solution") })
	benchView(b, m)
}

// A lesson step rendered by glamour in the dark style.
func BenchmarkViewLesson(b *testing.B) {
	m, _ := benchModel(b)
	drive(b, m, common.OpenLabMsg{LabID: "kafka-101", Step: 2}, func() bool { return strings.Contains(m.View().Content, "partition") })
	benchView(b, m)
}

// The cluster screen with the inspector on six partitions and a group.
func BenchmarkViewCluster(b *testing.B) {
	m, env := benchModel(b)
	ex := env.Session.Catalogue().Exercise(benchEx)
	drive(b, m, common.OpenClusterMsg{ExerciseID: benchEx}, func() bool { return m.Active() == "cluster" })
	var parts []inspect.Partition
	for i := range 6 {
		parts = append(parts, inspect.Partition{ID: int32(i), End: int64(10 + 7*i), Keys: 2 + i%3, Sampled: int64(10 + 7*i), Examples: []string{"c01", "c07", "c13"}})
	}
	snap := inspect.Snapshot{Kind: containers.Kafka, Taken: time.Now(),
		Topics: []inspect.Topic{{Name: "sl-keyed-producer-topic-0badc0de", Exists: true, Partitions: parts}},
		Groups: []inspect.Group{{Name: "sl-consumer-group-group-0badc0de", Exists: true, State: "Empty", Lag: []inspect.Lag{{Topic: "t", Partition: 0, Committed: 10, End: 12, Lag: 2}}}},
	}
	m.Update(common.InspectedMsg{ExerciseID: benchEx, Snapshot: snap, Run: &course.Run{Exercise: ex, Cluster: benchCluster{}, Started: time.Now()}})
	benchView(b, m)
}

func BenchmarkViewHome(b *testing.B) {
	m, _ := benchModel(b)
	benchView(b, m)
}

func benchView(b *testing.B, m *tui.Model) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}

type benchCluster struct{}

func (benchCluster) Kind() containers.Kind           { return containers.Kafka }
func (benchCluster) Endpoints() containers.Endpoints { return containers.Endpoints{} }
func (benchCluster) Stop(context.Context) error      { return nil }

// BenchmarkStartup is the work between main and the first frame: load
// and validate the embedded course, open the progress, build the models
// and draw the home screen.
func BenchmarkStartup(b *testing.B) {
	b.Setenv("STREAMLAB_STATE_DIR", b.TempDir())
	b.ReportAllocs()
	for b.Loop() {
		sess, err := course.Open(course.Options{Content: streamlab.Content, Config: config.Config{Cluster: "embedded", Workspace: b.TempDir()}})
		if err != nil {
			b.Fatal(err)
		}
		m := tui.New(context.Background(), tui.Options{Session: sess})
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		if v := m.View(); !strings.Contains(v.Content, "Your course") {
			b.Fatal("no home screen")
		}
	}
}

// BenchmarkFirstFrame runs a real program and stops the clock when its
// first frame with the home screen has been written.
func BenchmarkFirstFrame(b *testing.B) {
	b.Setenv("STREAMLAB_STATE_DIR", b.TempDir())
	for b.Loop() {
		out := &frameWriter{seen: make(chan struct{})}
		sess, err := course.Open(course.Options{Content: streamlab.Content, Config: config.Config{Cluster: "embedded", Workspace: b.TempDir()}})
		if err != nil {
			b.Fatal(err)
		}
		m := tui.New(context.Background(), tui.Options{Session: sess})
		p := tea.NewProgram(m, tea.WithInput(nil), tea.WithOutput(out), tea.WithWindowSize(80, 24), tea.WithoutSignals())
		done := make(chan struct{})
		go func() { _, _ = p.Run(); close(done) }()
		select {
		case <-out.seen:
		case <-time.After(5 * time.Second):
			b.Fatal("no first frame within 5s")
		}
		b.StopTimer()
		p.Kill()
		<-done
		b.StartTimer()
	}
}

// frameWriter signals once the home screen's title has been written.
type frameWriter struct {
	mu   sync.Mutex
	buf  strings.Builder
	seen chan struct{}
	once sync.Once
}

func (w *frameWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "Your course") {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

var _ io.Writer = (*frameWriter)(nil)
