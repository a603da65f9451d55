package class_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"

	"github.com/streamlab/streamlab/internal/classroom"
	"github.com/streamlab/streamlab/tui/class"
	"github.com/streamlab/streamlab/tui/tuitest"
)

// screenOf plays a program's output through a terminal emulator, since
// bubbletea v2 redraws only the cells that change.
type screenOf struct {
	mu  sync.Mutex
	tm  *teatest.TestModel
	emu *vt.Emulator
}

func (s *screenOf) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := io.ReadAll(s.tm.Output())
	// Without a TTY, bubbletea counts on the terminal driver to turn \n
	// into \r\n; do what it would.
	_, _ = s.emu.Write(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")))
	return s.emu.String()
}

func (s *screenOf) waitFor(t *testing.T, texts ...string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		scr := s.text()
		missing := ""
		for _, want := range texts {
			if !strings.Contains(scr, want) {
				missing = want
			}
		}
		if missing == "" {
			return scr
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q is not on the screen:\n%s", missing, scr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The view as a running program: it reads the topic through Next, shows
// the history once read, takes each new check as it comes (the read is
// re-armed after every batch), opens a learner's details, and quits.
func TestFlowFollowsTheTopic(t *testing.T) {
	batches := make(chan classroom.Batch, 4)
	next := func(ctx context.Context) (classroom.Batch, error) {
		select {
		case b := <-batches:
			return b, nil
		case <-ctx.Done():
			return classroom.Batch{}, ctx.Err()
		}
	}
	m := class.New(context.Background(), class.Options{Class: "dbs", Place: "external at kafka:9092",
		Exercises: []string{"kafka/create-topic", "kafka/keyed-producer"}, Next: next, Now: func() time.Time { return now }})
	emu := vt.NewEmulator(80, 24)
	go func() { _, _ = io.Copy(io.Discard, emu) }() // answers to terminal queries: nobody reads them
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII)))
	s := &screenOf{tm: tm, emu: emu}

	s.waitFor(t, "class dbs", "reading the class's checks so far")
	batches <- classroom.Batch{Events: []classroom.Event{check("ana", "kafka/create-topic", "pass", 5)}, CaughtUp: true}
	scr := s.waitFor(t, "ana", "✓ 8/8", "1 learner")
	if strings.Contains(scr, "reading the class's checks") {
		t.Errorf("the history is read:\n%s", scr)
	}
	batches <- classroom.Batch{Events: []classroom.Event{check("bo", "kafka/keyed-producer", "fail", 0)}}
	s.waitFor(t, "bo", "✗ 3/8", "2 learners")
	tm.Send(tuitest.Key("b"))
	tm.Send(tuitest.Key("enter"))
	s.waitFor(t, "class dbs › bo", "What the checks saw", "12 of 40 records have no key")
	tm.Send(tuitest.Key("ctrl+c"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}
