package help_test

import (
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/help"
	"github.com/streamlab/streamlab/tui/tuitest"
)

func TestHelp(t *testing.T) {
	env := tuitest.NewEnv(t, tuitest.Options{})
	c := tuitest.Common(env.Session, 78, 21)
	m := help.New(c)
	m.SetSize(78, 21)
	km := c.KeyMap
	m.For("Exercise", [][]key.Binding{{km.Check, km.Cancel, km.Watch}, {km.Hint, km.Reset}})
	v := ansi.Strip(m.View())
	for _, want := range []string{"Keys · Exercise", "c", "check", "watch", "q", "quit"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q:\n%s", want, v)
		}
	}
	for _, k := range []string{"esc", "?"} {
		_, cmd := m.Update(tuitest.Key(k))
		if _, ok := tuitest.Find[common.BackMsg](tuitest.Msgs(cmd, 0)); !ok {
			t.Errorf("%s should close the help", k)
		}
	}
	// The progress path changes with every run: leave it out of the golden file.
	golden.RequireEqual(t, strings.ReplaceAll(tuitest.ASCII(m.View()), env.StateDir, "$STATE"))
}
