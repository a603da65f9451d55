package common_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/streamlab/streamlab/tui/common"
	"github.com/streamlab/streamlab/tui/lesson"
	"github.com/streamlab/streamlab/tui/tuitest"
)

// Every piece of the course's markdown — lesson steps, tasks, hints —
// renders without raw backticks, stray leading spaces or list lines that
// slip under their bullet, and within its width, in both styles.
func TestCourseMarkdown(t *testing.T) {
	env := tuitest.NewEnv(t, tuitest.Options{})
	cat := env.Session.Catalogue()
	type piece struct{ name, md string }
	var pieces []piece
	for _, lab := range cat.Labs {
		for i, st := range lab.Steps {
			pieces = append(pieces, piece{fmt.Sprintf("%s step %d", lab.ID, i+1), lesson.Markdown(st)})
		}
	}
	for _, ex := range cat.Exercises {
		pieces = append(pieces, piece{ex.ID + " task", ex.Task})
		for i, h := range ex.Hints {
			pieces = append(pieces, piece{fmt.Sprintf("%s hint %d", ex.ID, i+1), h})
		}
	}
	for _, style := range []string{"dark", "light"} {
		for _, width := range []int{76, 40} {
			for _, p := range pieces {
				out, err := common.Markdown(p.md, width, style, -1)
				if err != nil {
					t.Fatalf("%s: %v", p.name, err)
				}
				for _, problem := range tuitest.LayoutProblems(out, 2) {
					t.Errorf("%s, %s at %d: %s", p.name, style, width, problem)
				}
				for _, l := range strings.Split(out, "\n") {
					if w := ansi.StringWidth(l); w > width && !strings.ContainsAny(ansi.Strip(l), "│─") {
						t.Errorf("%s, %s at %d: a line of %d cells: %q", p.name, style, width, w, ansi.Strip(l))
					}
				}
			}
		}
	}
}
