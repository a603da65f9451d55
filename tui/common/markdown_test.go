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
				for _, problem := range tuitest.LayoutProblemsOf(p.md, out, 2) {
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

// A lesson may hold fenced Go code: its indentation is the code's, not a
// layout fault, while the prose around it is still checked.
func TestFencedCodeIsLeftToItself(t *testing.T) {
	md := "Join the group by its name:\n\n```go\ncl, err := kgo.NewClient(\n\tkgo.ConsumerGroup(group),\n)\n```\n\nEvery instance uses the same name.\n"
	out, err := common.Markdown(md, 76, "dark", -1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ansi.Strip(out), "kgo.ConsumerGroup(group)") {
		t.Fatalf("the code is not rendered:\n%s", ansi.Strip(out))
	}
	if problems := tuitest.LayoutProblems(out, 2); len(problems) == 0 {
		t.Fatal("without the source, the code's indentation should read as a fault (else this test proves nothing)")
	}
	if problems := tuitest.LayoutProblemsOf(md, out, 2); len(problems) != 0 {
		t.Fatalf("fenced code reported as layout faults: %q", problems)
	}
}
