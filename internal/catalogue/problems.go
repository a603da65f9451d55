package catalogue

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with the content, at a file and line.
type Problem struct {
	File string
	Line int // 0 when the problem is with the file as a whole
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// Problems is every problem a load found; loading reports them all at once
// so an author fixes a catalogue in one pass.
type Problems []Problem

func (ps Problems) Error() string {
	sorted := append(Problems(nil), ps...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].File != sorted[j].File {
			return sorted[i].File < sorted[j].File
		}
		return sorted[i].Line < sorted[j].Line
	})
	lines := make([]string, len(sorted))
	for i, p := range sorted {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problem%s in the course content:\n%s", len(ps), map[bool]string{true: "", false: "s"}[len(ps) == 1], strings.Join(lines, "\n"))
}

type collector struct{ ps Problems }

func (c *collector) add(file string, line int, format string, a ...any) {
	c.ps = append(c.ps, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, a...)})
}
