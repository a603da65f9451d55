package course

import (
	"fmt"
	"sort"
	"strings"

	"github.com/streamlab/streamlab/internal/catalogue"
)

// UsageError is a request streamlab cannot act on as given: a folder that
// does not exist, a Go program outside a module, no workspace yet. Nothing
// was graded, so it is neither a fail nor a cluster error.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// UnknownExercise is a name that is no exercise's id.
type UnknownExercise struct {
	Name    string
	Closest []string // the ids most like Name, best first
	All     []string
}

func (e *UnknownExercise) Error() string {
	switch len(e.Closest) {
	case 0:
		return fmt.Sprintf("no exercise %q; the exercises are: %s", e.Name, strings.Join(e.All, ", "))
	case 1:
		return fmt.Sprintf("no exercise %q; did you mean %s?", e.Name, e.Closest[0])
	}
	return fmt.Sprintf("no exercise %q; did you mean one of: %s?", e.Name, strings.Join(e.Closest, ", "))
}

// find resolves an id, or a slug that only one exercise has.
func find(cat *catalogue.Catalogue, name string) (*catalogue.Exercise, error) {
	if ex := cat.Exercise(name); ex != nil {
		return ex, nil
	}
	var bySlug []*catalogue.Exercise
	for _, ex := range cat.Exercises {
		if ex.Slug == name {
			bySlug = append(bySlug, ex)
		}
	}
	if len(bySlug) == 1 {
		return bySlug[0], nil
	}
	type scored struct {
		id string
		d  int
	}
	var close []scored
	var all []string
	for _, ex := range cat.Exercises {
		all = append(all, ex.ID)
		d := min(distance(name, ex.ID), distance(name, ex.Slug))
		if d <= max(2, len(name)/3) {
			close = append(close, scored{ex.ID, d})
		}
	}
	sort.SliceStable(close, func(i, j int) bool { return close[i].d < close[j].d })
	e := &UnknownExercise{Name: name, All: all}
	for _, c := range close {
		e.Closest = append(e.Closest, c.id)
	}
	return nil, e
}

// distance is the Levenshtein distance between a and b, in bytes: ids
// are ASCII.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
