package tui_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/containers/external"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/streamlab/streamlab/tui"
	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/exercise"
	"github.com/streamlab/streamlab/tui/tuitest"
)

// lines is the screen's text, line by line.
func lines(m *tui.Model) []string { return strings.Split(screen(m), "\n") }

// passed ends a check of the exercise on the screen with a pass, as the
// grader would have, progress included.
func passed(t *testing.T, m *tui.Model, env *tuitest.Env, id string) {
	t.Helper()
	if err := env.Session.Progress().Record(id, "pass"); err != nil {
		t.Fatal(err)
	}
	m.Update(common.CheckStartedMsg{ExerciseID: id})
	m.Update(common.CheckDoneMsg{ExerciseID: id, Result: result.Result{Exercise: id, Status: result.Pass, Score: 8, MaxScore: 8,
		Tests: []result.Test{{Name: "every record is keyed by its customer_id", Status: result.Pass, Score: 8, MaxScore: 8}}}})
}

// Every screen's footer ends with ? help and q quit, whole, at 80 columns
// and narrower: the less important keys make room; nothing is cut with …
func TestFooterFits(t *testing.T) {
	m, env := newModel(t, tuitest.Options{})
	env.Starter(t, "kafka/keyed-producer")
	check := func(what string) {
		t.Helper()
		for _, w := range []int{120, 80, 64, 48, 32, 24} {
			m.Update(tea.WindowSizeMsg{Width: w, Height: 24})
			ls := lines(m)
			foot := ls[len(ls)-1]
			if !strings.Contains(foot, "? help") || !strings.Contains(foot, "q quit") || strings.Contains(foot, "…") {
				t.Errorf("%s at %d columns: footer %q", what, w, foot)
			}
		}
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	}
	check("home")
	tuitest.Drive(t, m, common.OpenExerciseMsg{ID: "kafka/keyed-producer"}, func(tea.Msg) bool { return m.Active() == "exercise" }, 5*time.Second)
	check("exercise")
	if ls := lines(m); !strings.Contains(ls[len(ls)-1], "c check") {
		t.Errorf("at 80 columns the exercise footer should still offer c check: %q", ls[len(ls)-1])
	}
	passed(t, m, env, "kafka/keyed-producer")
	check("exercise after a pass")
	press(t, m, "?", "help")
	if keys, _, _ := strings.Cut(screen(m), "Everywhere"); strings.Contains(keys, "…") || !strings.Contains(keys, "next exercise") || !strings.Contains(keys, "page down") {
		t.Errorf("the exercise's keys do not fit the help screen at 80 columns:\n%s", keys)
	}
	check("help")
	press(t, m, "esc", "exercise")
	press(t, m, "l", "lesson")
	check("lesson")
	press(t, m, "esc", "exercise")
	press(t, m, "esc", "home")
}

// The course's progress is in the header of every screen.
func TestProgressOnEveryScreen(t *testing.T) {
	m, env := newModel(t, tuitest.Options{})
	for _, id := range []string{"kafka/create-topic", "kafka/keyed-producer"} {
		if err := env.Session.Progress().Record(id, "pass"); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string) {
		t.Helper()
		head := lines(m)[0]
		if !strings.Contains(head, fmt.Sprintf("2/%d", len(env.Session.Catalogue().Exercises))) || !strings.Contains(head, "█") || !strings.Contains(head, "░") {
			t.Errorf("%s: no course progress in the header %q", what, head)
		}
	}
	check("home")
	press(t, m, "enter", "exercise")
	check("exercise")
	press(t, m, "?", "help")
	check("help")
	press(t, m, "esc", "exercise")
	press(t, m, "l", "lesson")
	check("lesson")
	tuitest.Drive(t, m, common.OpenClusterMsg{}, func(tea.Msg) bool {
		return m.Active() == "cluster" && strings.Contains(screen(m), "kafka ●")
	}, 10*time.Second)
	check("cluster")
}

// The exercise screen after a pass, as a learner sees it at 80×24.
func TestExerciseAfterAPass(t *testing.T) {
	orig, _ := os.Getwd()
	env := tuitest.NewEnv(t, tuitest.Options{})
	env.Starter(t, "kafka/keyed-producer")
	t.Chdir(env.Root) // the exercise folder shows relative to it
	m := tui.New(context.Background(), tui.Options{Session: env.Session, Now: func() time.Time { return tuitest.Now }})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	tuitest.Drive(t, m, common.OpenExerciseMsg{ID: "kafka/keyed-producer"}, func(msg tea.Msg) bool {
		_, ok := msg.(exercise.TaskRenderedMsg)
		return ok
	}, 5*time.Second)
	passed(t, m, env, "kafka/keyed-producer")
	s := screen(m)
	for _, want := range []string{"✓ passed · 8/8 points", "n: next exercise", "Total each customer's orders as a consumer group", "? help", "q quit", fmt.Sprintf("1/%d", len(env.Session.Catalogue().Exercises))} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q:\n%s", want, s)
		}
	}
	got := tuitest.ASCII(m.View().Content)
	t.Chdir(orig)
	golden.RequireEqual(t, got)
}

// keptUp chooses a cluster kept up by `streamlab cluster up` for Kafka,
// as auto.Choose does when its state file names one.
func keptUp(_ string, k containers.Kind, _ auto.Options) (auto.Choice, error) {
	if k != containers.Kafka {
		return auto.Choice{}, os.ErrNotExist
	}
	return auto.Choice{
		Provider: external.New("local (kept up)", containers.Endpoints{KafkaBootstrap: []string{"127.0.0.1:1"}}),
		Why:      "reusing the local cluster kept up by `streamlab cluster up` (pid 4242)",
	}, nil
}

// A cluster kept up by `streamlab cluster up` is not "not started": home
// says it is up and will be reused.
func TestKeptUpClusterIsShown(t *testing.T) {
	m, _ := newModel(t, tuitest.Options{Provider: "auto", Choose: keptUp})
	for _, msg := range tuitest.Msgs(m.Init(), time.Second) {
		tuitest.Drive(t, m, msg, func(tea.Msg) bool { return true }, time.Second)
	}
	var kafka string
	for _, l := range lines(m) {
		if strings.HasPrefix(strings.TrimSpace(l), "kafka ") {
			kafka = l
		}
	}
	if strings.Contains(kafka, "not started") || !strings.Contains(kafka, "kept up") || !strings.Contains(kafka, "reused") {
		t.Fatalf("home should say the kept-up cluster will be reused: %q\n%s", kafka, screen(m))
	}
}

// A workshop's server that runs no Pulsar cluster: home says Pulsar
// exercises cannot be checked there, not that the first check starts one.
func TestWorkshopWithoutPulsarIsShown(t *testing.T) {
	noPulsar := func(name string, k containers.Kind, o auto.Options) (auto.Choice, error) {
		if k == containers.Pulsar {
			return auto.Choice{}, fmt.Errorf("no pulsar in this workshop: %w", course.ErrNoCluster)
		}
		return keptUp(name, k, o)
	}
	m, _ := newModel(t, tuitest.Options{Provider: "external", Choose: noPulsar})
	for _, msg := range tuitest.Msgs(m.Init(), time.Second) {
		tuitest.Drive(t, m, msg, func(tea.Msg) bool { return true }, time.Second)
	}
	var pulsar string
	for _, l := range lines(m) {
		if strings.HasPrefix(strings.TrimSpace(l), "pulsar ") {
			pulsar = l
		}
	}
	if strings.Contains(pulsar, "first check") || !strings.Contains(pulsar, "this workshop runs no Pulsar cluster") {
		t.Fatalf("home should say the workshop has no Pulsar cluster: %q\n%s", pulsar, screen(m))
	}
}
