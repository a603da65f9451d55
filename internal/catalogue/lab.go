package catalogue

import (
	"bytes"
	"path"
	"strings"

	"github.com/streamlab/streamlab/internal/checks"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
	"go.yaml.in/yaml/v3"
)

// LabFile is the lesson file in every lab folder.
const LabFile = "lab.md"

// ExerciseScheme marks a link to an exercise in lesson text:
// [the keyed producer](exercise:kafka/keyed-producer).
const ExerciseScheme = "exercise:"

// Lab is a lesson: front matter, then markdown whose level-two headings
// start its steps.
type Lab struct {
	ID        string
	Title     string
	Summary   string
	File      string
	Exercises []string // ids, in the order the learner meets them
	Steps     []Step
}

// Step is one screen of a lesson.
type Step struct {
	Title     string
	Markdown  string
	Exercises []string // ids linked from this step
	Line      int
}

type labFront struct {
	ID        string   `yaml:"id"`
	Title     string   `yaml:"title"`
	Summary   string   `yaml:"summary"`
	Exercises []string `yaml:"exercises"`
}

// parseLab reads a lab.md. It reports problems with their line in the file.
func parseLab(file string, src []byte, c *collector) (*Lab, bool) {
	before := len(c.ps)
	front, body, bodyLine, ok := splitFrontMatter(src)
	if !ok {
		c.add(file, 1, "a lab starts with YAML front matter between --- lines (id, title, exercises)")
		return nil, false
	}
	// The front matter starts on the file's second line, after "---".
	const offset = 1
	var doc yaml.Node
	if err := yaml.Unmarshal(front, &doc); err != nil {
		c.add(file, syntaxErrLine(front, err)+offset, "front matter is not valid YAML: %s", stripLine(err.Error()))
		return nil, false
	}
	var fm labFront
	idLine := 1 + offset
	if len(doc.Content) > 0 {
		if err := checks.StrictDecode(doc.Content[0], &fm); err != nil {
			addErr(c, file, offset, err)
			return nil, false
		}
		idLine = keyLine(doc.Content[0], "id") + offset
	}
	want := path.Base(path.Dir(file))
	if fm.ID == "" || fm.ID != folderSlug(want) {
		c.add(file, idLine, "id must be %q, the folder's name without its number", folderSlug(want))
	}
	if fm.Title == "" {
		c.add(file, 2, "title is missing")
	}
	lab := &Lab{ID: fm.ID, Title: fm.Title, Summary: fm.Summary, File: file, Exercises: fm.Exercises}
	lab.Steps = splitSteps(body, bodyLine)
	if len(lab.Steps) == 0 {
		c.add(file, bodyLine, "no steps: each step starts with a level-two heading (## ...)")
	}
	return lab, len(c.ps) == before
}

// splitFrontMatter separates "---\nyaml\n---\n" from the markdown after it.
func splitFrontMatter(src []byte) (front, body []byte, bodyLine int, ok bool) {
	s := strings.ReplaceAll(string(src), "\r\n", "\n")
	if !strings.HasPrefix(s, "---\n") {
		return nil, nil, 0, false
	}
	end := strings.Index(s[4:], "\n---\n")
	if end < 0 {
		return nil, nil, 0, false
	}
	front = []byte(s[4 : 4+end+1])
	rest := s[4+end+5:]
	bodyLine = strings.Count(s[:4+end+5], "\n") + 1
	return front, []byte(rest), bodyLine, true
}

// splitSteps cuts the markdown at its level-two headings, and collects the
// exercise links in each step, using goldmark's parse so that a "##" inside
// a code block is not taken for a heading.
func splitSteps(body []byte, firstLine int) []Step {
	md := goldmark.New()
	doc := md.Parser().Parse(text.NewReader(body))
	type cut struct {
		start int
		title string
	}
	var cuts []cut
	links := map[int][]string{} // byte offset of a link -> ids
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if n.Level == 2 && n.Lines().Len() > 0 {
				seg := n.Lines().At(0)
				start := bytes.LastIndex(body[:seg.Start], []byte("\n")) + 1
				cuts = append(cuts, cut{start: start, title: string(n.Lines().Value(body))})
			}
		case *ast.Link:
			if dest := string(n.Destination); strings.HasPrefix(dest, ExerciseScheme) {
				off := linkOffset(n)
				links[off] = append(links[off], strings.TrimPrefix(dest, ExerciseScheme))
			}
		}
		return ast.WalkContinue, nil
	})
	var steps []Step
	for i, ct := range cuts {
		end := len(body)
		if i+1 < len(cuts) {
			end = cuts[i+1].start
		}
		st := Step{
			Title:    strings.TrimSpace(ct.title),
			Markdown: strings.TrimSpace(string(body[ct.start:end])) + "\n",
			Line:     firstLine + bytes.Count(body[:ct.start], []byte("\n")),
		}
		for off, ids := range links {
			if off >= ct.start && off < end {
				st.Exercises = append(st.Exercises, ids...)
			}
		}
		steps = append(steps, st)
	}
	return steps
}

// linkOffset finds where a link sits in the source: links are inline, so
// their position comes from the nearest text segment.
func linkOffset(n ast.Node) int {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if t, ok := c.(*ast.Text); ok {
			return t.Segment.Start
		}
	}
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Type() == ast.TypeBlock && p.Lines().Len() > 0 {
			return p.Lines().At(0).Start
		}
	}
	return 0
}
