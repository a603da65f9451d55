// Package catalogue loads the course: labs (markdown lessons) and exercises
// (a spec, a starter and a reference solution each). Loading validates the
// whole catalogue up front and reports every problem with its file and line.
package catalogue

import (
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Catalogue is the loaded course.
type Catalogue struct {
	Labs      []*Lab
	Exercises []*Exercise // in course order: lab by lab
	byID      map[string]*Exercise
	labs      map[string]*Lab
}

// Exercise returns the exercise with id, or nil.
func (c *Catalogue) Exercise(id string) *Exercise { return c.byID[id] }

// Lab returns the lab with id, or nil.
func (c *Catalogue) Lab(id string) *Lab { return c.labs[id] }

// Load reads labs/, exercises/ and solutions/ from fsys. The error, if any,
// is a Problems listing everything wrong.
func Load(fsys fs.FS) (*Catalogue, error) {
	c := &collector{}
	cat := &Catalogue{byID: map[string]*Exercise{}, labs: map[string]*Lab{}}

	// Exercises: exercises/<track>/<NN-slug>/.
	starters := folders(fsys, "exercises", c)
	for _, dir := range starters {
		ex, _ := loadExercise(fsys, dir, c)
		if ex == nil {
			continue
		}
		if prev, dup := cat.byID[ex.ID]; dup {
			c.add(dir, 0, "exercise id %s is also used by %s", ex.ID, prev.Dir)
			continue
		}
		cat.byID[ex.ID] = ex
	}
	// Solutions mirror exercises; anything else there is a stray.
	have := map[string]bool{}
	for _, dir := range starters {
		have[strings.TrimPrefix(dir, "exercises/")] = true
	}
	for _, dir := range folders(fsys, "solutions", c) {
		if !have[strings.TrimPrefix(dir, "solutions/")] {
			c.add(dir, 0, "solution has no exercise at %s", "exercises/"+strings.TrimPrefix(dir, "solutions/"))
		}
	}

	// Labs: labs/<NN-id>/lab.md.
	entries, err := fs.ReadDir(fsys, "labs")
	if err != nil {
		c.add("labs", 0, "cannot read the labs folder: %v", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			c.add(path.Join("labs", e.Name()), 0, "stray file: labs/ holds one folder per lab")
			continue
		}
		file := path.Join("labs", e.Name(), LabFile)
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			c.add(path.Join("labs", e.Name()), 0, "no %s", LabFile)
			continue
		}
		lab, _ := parseLab(file, src, c)
		if lab == nil {
			continue
		}
		if _, dup := cat.labs[lab.ID]; dup {
			c.add(file, 2, "lab id %s is used twice", lab.ID)
			continue
		}
		cat.labs[lab.ID] = lab
		cat.Labs = append(cat.Labs, lab)
	}

	// References: every exercise in exactly one lab; every link resolves.
	for _, lab := range cat.Labs {
		for _, id := range lab.Exercises {
			ex := cat.byID[id]
			switch {
			case ex == nil:
				c.add(lab.File, 0, "lists exercise %s, which does not exist", id)
			case ex.Lab != "":
				c.add(lab.File, 0, "lists exercise %s, which lab %s lists too", id, ex.Lab)
			default:
				ex.Lab = lab.ID
				cat.Exercises = append(cat.Exercises, ex)
			}
		}
		for _, st := range lab.Steps {
			for _, id := range st.Exercises {
				if cat.byID[id] == nil {
					c.add(lab.File, st.Line, "step %q links to exercise %s, which does not exist", st.Title, id)
				}
			}
		}
	}
	var orphans []string
	for id, ex := range cat.byID {
		if ex.Lab == "" {
			orphans = append(orphans, id)
		}
	}
	sort.Strings(orphans)
	for _, id := range orphans {
		c.add(cat.byID[id].Dir, 0, "exercise %s is in no lab: list it in a lab's front matter", id)
	}

	if len(c.ps) > 0 {
		return cat, c.ps
	}
	return cat, nil
}

// folders lists root/<track>/<folder> directories, reporting stray files.
func folders(fsys fs.FS, root string, c *collector) []string {
	tracks, err := fs.ReadDir(fsys, root)
	if err != nil {
		c.add(root, 0, "cannot read the %s folder: %v", root, err)
		return nil
	}
	var out []string
	for _, t := range tracks {
		if !t.IsDir() {
			c.add(path.Join(root, t.Name()), 0, "stray file: %s/ holds one folder per track", root)
			continue
		}
		exs, _ := fs.ReadDir(fsys, path.Join(root, t.Name()))
		for _, e := range exs {
			p := path.Join(root, t.Name(), e.Name())
			if !e.IsDir() {
				c.add(p, 0, "stray file: a track holds one folder per exercise")
				continue
			}
			out = append(out, p)
		}
	}
	return out
}
