package home_test

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/home"
	"github.com/streamlab/streamlab/tui/tuitest"
)

func newHome(t *testing.T) (*home.Model, common.Common) {
	env := tuitest.NewEnv(t, tuitest.Options{})
	c := tuitest.Common(env.Session, 78, 21)
	return home.New(c), c
}

func TestCursorStartsOnTheNextExercise(t *testing.T) {
	env := tuitest.NewEnv(t, tuitest.Options{})
	c := tuitest.Common(env.Session, 78, 21)
	if lab, ex := home.New(c).Selected(); lab != "kafka-101" || ex != "kafka/create-topic" {
		t.Fatalf("selected %s %s", lab, ex)
	}
	if err := env.Session.Progress().Record("kafka/create-topic", "pass"); err != nil {
		t.Fatal(err)
	}
	if _, ex := home.New(c).Selected(); ex != "kafka/keyed-producer" {
		t.Fatalf("after a pass the cursor should move on, got %s", ex)
	}
}

func TestKeys(t *testing.T) {
	m, _ := newHome(t)
	m.Update(tuitest.Key("up"))
	if lab, ex := m.Selected(); lab != "kafka-101" || ex != "" {
		t.Fatalf("up from the first exercise should select its lab, got %s %s", lab, ex)
	}
	_, cmd := m.Update(tuitest.Key("enter"))
	if msg, ok := tuitest.Find[common.OpenLabMsg](tuitest.Msgs(cmd, 0)); !ok || msg.LabID != "kafka-101" {
		t.Fatalf("enter on a lab: %v", msg)
	}
	m.Update(tuitest.Key("down"))
	m.Update(tuitest.Key("j"))
	_, cmd = m.Update(tuitest.Key("enter"))
	if msg, ok := tuitest.Find[common.OpenExerciseMsg](tuitest.Msgs(cmd, 0)); !ok || msg.ID != "kafka/keyed-producer" {
		t.Fatalf("enter on an exercise: %v", msg)
	}
	_, cmd = m.Update(tuitest.Key("i"))
	if _, ok := tuitest.Find[common.OpenClusterMsg](tuitest.Msgs(cmd, 0)); !ok {
		t.Fatal("i should open the cluster view")
	}
	for range 100 {
		m.Update(tuitest.Key("down"))
	}
	if _, ex := m.Selected(); ex == "" {
		t.Fatal("the cursor should stop on the last exercise")
	}
}

func TestView(t *testing.T) {
	m, c := newHome(t)
	if err := c.Session.Progress().Record("kafka/create-topic", "pass"); err != nil {
		t.Fatal(err)
	}
	if err := c.Session.Progress().Record("kafka/keyed-producer", "fail"); err != nil {
		t.Fatal(err)
	}
	c.Clusters.Set(common.ClusterStatus{Kind: containers.Kafka, State: common.ClusterReady, Provider: "embedded", Took: 42e6})
	m = home.New(c)
	golden.RequireEqual(t, tuitest.ASCII(m.View()))
}

// Narrow and short terminals cut lines; they never panic or overflow.
func TestSmallSizes(t *testing.T) {
	m, _ := newHome(t)
	for _, size := range [][2]int{{1, 1}, {10, 3}, {30, 8}, {200, 60}} {
		m.SetSize(size[0], size[1])
		m.Update(tuitest.Key("down"))
		v := m.View()
		lines := strings.Split(v, "\n")
		if len(lines) != size[1] {
			t.Errorf("%v: %d lines", size, len(lines))
		}
		for _, l := range lines {
			if w := lipgloss.Width(l); w > size[0] {
				t.Errorf("%v: line of width %d: %q", size, w, l)
			}
		}
	}
}

// A workshop's server that runs no Pulsar cluster: the Pulsar line says
// so instead of promising a start with the first check.
func TestViewWorkshopWithoutPulsar(t *testing.T) {
	env := tuitest.NewEnv(t, tuitest.Options{Provider: "external"})
	c := tuitest.Common(env.Session, 78, 21)
	c.Clusters.Set(common.ClusterStatus{Kind: containers.Kafka, Provider: "local (kept up)", KeptUp: true})
	c.Clusters.Set(common.ClusterStatus{Kind: containers.Pulsar, NoCluster: true})
	golden.RequireEqual(t, tuitest.ASCII(home.New(c).View()))
}
