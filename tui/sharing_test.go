package tui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/streamlab/streamlab/tui"
	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/tuitest"
)

// A learner whose checks go to a class reads so when the UI starts, and
// sees the class named in the header of every screen; when they are not
// shared, the reason is a warning and the header names no class.
func TestSharingWithAClassIsShown(t *testing.T) {
	env := tuitest.NewEnv(t, tuitest.Options{})
	const line = "sharing your progress with class dbs on external at kafka.workshop:9092"
	m := tui.New(context.Background(), tui.Options{Session: env.Session, Now: func() time.Time { return tuitest.Now },
		Class: "dbs", Sharing: line})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	status, ok := tuitest.Find[common.StatusMsg](tuitest.Msgs(m.Init(), time.Second))
	if !ok || status.Text != line || status.Error {
		t.Fatalf("the start should say where progress goes: %+v", status)
	}
	m.Update(status)
	if s := screen(m); !strings.Contains(s, line) || !strings.Contains(lines(m)[0], "⇄ class dbs") {
		t.Errorf("home:\n%s", s)
	}
	press(t, m, "enter", "exercise")
	if head := lines(m)[0]; !strings.Contains(head, "⇄ class dbs") {
		t.Errorf("the exercise screen's header names no class: %q", head)
	}

	const why = "your checks are not shared with class dbs: the class lives on a shared Kafka cluster, but ..."
	m = tui.New(context.Background(), tui.Options{Session: env.Session, Sharing: why})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	status, ok = tuitest.Find[common.StatusMsg](tuitest.Msgs(m.Init(), time.Second))
	if !ok || status.Text != why || !status.Error {
		t.Fatalf("not sharing should be a warning: %+v", status)
	}
	if head := lines(m)[0]; strings.Contains(head, "class") {
		t.Errorf("a class is named though nothing is shared: %q", head)
	}
}
