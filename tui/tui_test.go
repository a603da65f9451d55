package tui_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/tui"
	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/exercise"
	"github.com/streamlab/streamlab/tui/tuitest"
)

func newModel(t *testing.T, opts tuitest.Options) (*tui.Model, *tuitest.Env) {
	env := tuitest.NewEnv(t, opts)
	m := tui.New(context.Background(), tui.Options{Session: env.Session, Now: func() time.Time { return tuitest.Now }})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return m, env
}

func screen(m *tui.Model) string { return ansi.Strip(m.View().Content) }

// press sends a key and runs what follows until the screen settles on
// the one named (or fails).
func press(t *testing.T, m *tui.Model, k, active string) {
	t.Helper()
	tuitest.Drive(t, m, tuitest.Key(k), func(tea.Msg) bool { return m.Active() == active }, 5*time.Second)
}

func TestNavigation(t *testing.T) {
	m, _ := newModel(t, tuitest.Options{})
	if m.Active() != "home" || !strings.Contains(screen(m), "Your course") {
		t.Fatalf("starts at home:\n%s", screen(m))
	}
	press(t, m, "enter", "exercise")
	if !strings.Contains(screen(m), "kafka/create-topic") {
		t.Fatalf("the next exercise should open:\n%s", screen(m))
	}
	press(t, m, "?", "help")
	if !strings.Contains(screen(m), "Keys · Create a topic") {
		t.Fatalf("help should be about the exercise:\n%s", screen(m))
	}
	press(t, m, "esc", "exercise")
	press(t, m, "l", "lesson")
	if !strings.Contains(screen(m), "Step 2 of 4") {
		t.Fatalf("l should open the step that links the exercise:\n%s", screen(m))
	}
	// Opening the cluster view starts the cluster (esc would cancel that).
	tuitest.Drive(t, m, tuitest.Key("i"), func(tea.Msg) bool {
		return m.Active() == "cluster" && strings.Contains(screen(m), "kafka ●")
	}, 10*time.Second)
	press(t, m, "esc", "lesson")
	press(t, m, "esc", "exercise")
	press(t, m, "esc", "home")
	press(t, m, "esc", "home")
}

func TestQuitStopsTheCluster(t *testing.T) {
	m, env := newModel(t, tuitest.Options{})
	tuitest.Drive(t, m, common.ClusterRequestMsg{Kind: containers.Kafka}, func(msg tea.Msg) bool {
		_, ok := msg.(common.ClusterStartedMsg)
		return ok || env.Session.Cluster(containers.Kafka) != nil && !strings.Contains(screen(m), "◌")
	}, 10*time.Second)
	if env.Session.Cluster(containers.Kafka) == nil {
		t.Fatal("the cluster did not start")
	}
	if !strings.Contains(screen(m), "kafka ●") {
		t.Fatalf("the header should show the cluster ready:\n%s", screen(m))
	}
	quit := false
	tuitest.Drive(t, m, tuitest.Key("q"), func(msg tea.Msg) bool {
		_, quit = msg.(tea.QuitMsg)
		return quit
	}, 30*time.Second)
	if env.Session.Cluster(containers.Kafka) != nil {
		t.Fatal("quitting left the cluster running")
	}
}

// failing is a provider that cannot start anything, as on a machine
// without Java.
type failing struct{}

func (failing) Name() string { return "local" }
func (failing) Start(ctx context.Context, k containers.Kind, progress func(containers.Event)) (containers.Cluster, error) {
	containers.Report(progress, containers.Event{Provider: "local", Kind: k, Stage: containers.StagePreparing, Message: "looking for Java"})
	err := errors.New("local provider: no Java found (JAVA_HOME is not set and there is no java on PATH); install a JDK 17+")
	containers.Report(progress, containers.Event{Provider: "local", Kind: k, Stage: containers.StageFailed, Err: err})
	return nil, err
}

func TestClusterFailureIsAnErrorNotAFail(t *testing.T) {
	m, env := newModel(t, tuitest.Options{Provider: "local", Choose: func(string, containers.Kind, auto.Options) (auto.Choice, error) {
		return auto.Choice{Provider: failing{}, Why: "chosen with --cluster local"}, nil
	}})
	env.Starter(t, "kafka/keyed-producer")
	tuitest.Drive(t, m, common.OpenExerciseMsg{ID: "kafka/keyed-producer"}, func(tea.Msg) bool { return m.Active() == "exercise" }, 5*time.Second)
	ex := m.Exercise("kafka/keyed-producer")
	tuitest.Drive(t, m, tuitest.Key("c"), func(tea.Msg) bool { return ex.State() == exercise.Done }, 10*time.Second)
	if r := ex.Result(); r.Status != result.Error || !strings.Contains(r.Message, "no Java found") {
		t.Fatalf("a cluster that cannot start is an error verdict: %+v", r)
	}
	if s := screen(m); !strings.Contains(s, "could not grade") {
		t.Fatalf("the exercise should say it could not grade:\n%s", s)
	}
	if env.Session.Progress().Get("kafka/keyed-producer").Attempts != 0 {
		t.Fatal("an infrastructure error was recorded as an attempt")
	}
	press(t, m, "i", "cluster")
	s := screen(m)
	for _, want := range []string{"✗ failed", "Why: local provider: no Java found", "What to do: install a JDK 17+"} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q on the cluster screen:\n%s", want, s)
		}
	}
}

func TestSmallTerminals(t *testing.T) {
	m, _ := newModel(t, tuitest.Options{})
	for _, size := range [][2]int{{1, 1}, {19, 5}, {20, 6}, {40, 12}, {80, 24}, {300, 100}} {
		m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		for _, k := range []string{"enter", "?", "esc", "i", "esc", "esc"} {
			tuitest.Drive(t, m, tuitest.Key(k), func(tea.Msg) bool { return true }, time.Second)
			v := m.View().Content
			lines := strings.Split(v, "\n")
			if len(lines) > size[1] {
				t.Errorf("%v after %s: %d lines", size, k, len(lines))
			}
			for _, l := range lines {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("%v after %s: a line of %d cells: %q", size, k, w, ansi.Strip(l))
				}
			}
		}
	}
}

// Esc during a check stops the program (through the grader's context)
// and the check ends as cancelled, not as a failure.
func TestEscCancelsARunningCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	m, env := newModel(t, tuitest.Options{})
	dir := env.Starter(t, "kafka/keyed-producer")
	slow := "package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc main() {\n\tfmt.Println(\"started, now waiting\")\n\ttime.Sleep(time.Minute)\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(slow), 0o644); err != nil {
		t.Fatal(err)
	}
	tuitest.Drive(t, m, common.OpenExerciseMsg{ID: "kafka/keyed-producer"}, func(tea.Msg) bool { return m.Active() == "exercise" }, 5*time.Second)
	ex := m.Exercise("kafka/keyed-producer")
	tuitest.Drive(t, m, tuitest.Key("c"), func(tea.Msg) bool {
		return strings.Contains(screen(m), "started, now waiting")
	}, 2*time.Minute)
	start := time.Now()
	tuitest.Drive(t, m, tuitest.Key("esc"), func(tea.Msg) bool { return ex.State() == exercise.Done }, 20*time.Second)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancelling took %s", d)
	}
	if !strings.Contains(screen(m), "check cancelled") {
		t.Fatalf("no cancelled note:\n%s", screen(m))
	}
	if p := env.Session.Progress().Get("kafka/keyed-producer"); p.Attempts != 0 {
		t.Errorf("a cancelled check was recorded: %+v", p)
	}
	// The next check runs normally, and quitting stops it.
	tuitest.Drive(t, m, tuitest.Key("c"), func(tea.Msg) bool {
		return ex.State() == exercise.Running && strings.Contains(screen(m), "started, now waiting")
	}, time.Minute)
	start = time.Now()
	tuitest.Drive(t, m, tuitest.Key("q"), func(msg tea.Msg) bool { _, ok := msg.(tea.QuitMsg); return ok }, 30*time.Second)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("quitting during a check took %s", d)
	}
}
