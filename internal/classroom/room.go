package classroom

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The stuck rule: a learner is stuck on the exercise they checked last,
// while it has not passed, once StuckFails of its checks in a row have
// failed, or once StuckIdle has gone by since their last check. An error
// (the cluster's doing) neither counts as a fail nor breaks the run.
const (
	StuckFails = 3
	StuckIdle  = 10 * time.Minute
)

// Room is a class as its events tell it: one row per learner. It is
// built by Add in the order the topic holds the events, and is not safe
// for concurrent use.
type Room struct {
	course   map[string]bool // the course's exercise ids
	learners map[string]*learner
	events   int
	skipped  int
}

// learner is what the room remembers of one learner.
type learner struct {
	last   Event
	passed map[string]time.Time // exercise -> its first pass
	since  map[string]time.Time // exercise -> when the learner turned to it
	lastOn map[string]time.Time // exercise -> its latest check
	fails  int                  // failed checks in a row of last.Exercise
}

// NewRoom is an empty room for a course of the given exercises: the
// course-wide progress counts passes of these only.
func NewRoom(exercises []string) *Room {
	r := &Room{course: map[string]bool{}, learners: map[string]*learner{}}
	for _, id := range exercises {
		r.course[id] = true
	}
	return r
}

// Add folds events into the room, in the order they were read.
func (r *Room) Add(events ...Event) {
	for _, e := range events {
		r.events++
		l := r.learners[e.Learner]
		if l == nil {
			l = &learner{passed: map[string]time.Time{}, since: map[string]time.Time{}, lastOn: map[string]time.Time{}}
			r.learners[e.Learner] = l
		}
		if _, ok := l.since[e.Exercise]; !ok {
			// Time on an exercise counts from the learner's check just
			// before its first one (when they moved on to it), or from
			// that first check when there is none.
			start := e.At
			if !l.last.At.IsZero() && l.last.At.Before(start) {
				start = l.last.At
			}
			l.since[e.Exercise] = start
		}
		if e.Exercise != l.last.Exercise {
			l.fails = 0
		}
		switch e.Status {
		case "fail":
			l.fails++
		case "pass":
			l.fails = 0
			if _, ok := l.passed[e.Exercise]; !ok {
				l.passed[e.Exercise] = e.At
			}
		}
		l.lastOn[e.Exercise] = e.At
		l.last = e
	}
}

// Skip counts records of the topic that were not events.
func (r *Room) Skip(n int) { r.skipped += n }

// Skipped is how many records were not events.
func (r *Room) Skipped() int { return r.skipped }

// Events is how many events the room has taken.
func (r *Room) Events() int { return r.events }

// Learners is how many learners have checked anything.
func (r *Room) Learners() int { return len(r.learners) }

// Total is how many exercises the course has.
func (r *Room) Total() int { return len(r.course) }

// Row is one learner at a moment.
type Row struct {
	Learner string
	// Exercise is the one checked last, and the rest of the fields up to
	// Message describe that check.
	Exercise     string
	Status       string
	Score        int
	MaxScore     int
	ChecksPassed int
	Checks       int
	HintsUsed    int
	Attempt      int
	GaveUp       bool
	Failed       []Failure
	Message      string
	// Done: the exercise has passed, on this check or an earlier one.
	Done bool
	// OnExercise is the time from when the learner turned to the
	// exercise to its first pass, or to its latest check.
	OnExercise  time.Duration
	Last        time.Time     // the latest check
	Idle        time.Duration // since the latest check
	FailsInARow int
	Stuck       bool
	StuckWhy    string
	// Passed of Total: the course's exercises passed.
	Passed, Total int
}

// Row is one learner's row at now, and whether the learner is known.
func (r *Room) Row(name string, now time.Time) (Row, bool) {
	l := r.learners[name]
	if l == nil {
		return Row{}, false
	}
	e := l.last
	row := Row{
		Learner: name, Exercise: e.Exercise, Status: e.Status,
		Score: e.Score, MaxScore: e.MaxScore, ChecksPassed: e.ChecksPassed, Checks: e.Checks,
		HintsUsed: e.HintsUsed, Attempt: e.Attempt, GaveUp: e.GaveUp,
		Failed: e.Failed, Message: e.Message,
		Last: e.At, Idle: max(now.Sub(e.At), 0), FailsInARow: l.fails,
		Total: len(r.course),
	}
	end := l.lastOn[e.Exercise]
	if at, ok := l.passed[e.Exercise]; ok {
		row.Done, end = true, at
	}
	row.OnExercise = max(end.Sub(l.since[e.Exercise]), 0)
	for id := range l.passed {
		if r.course[id] {
			row.Passed++
		}
	}
	if !row.Done {
		var why []string
		if l.fails >= StuckFails {
			why = append(why, fmt.Sprintf("%d fails in a row", l.fails))
		}
		if row.Idle >= StuckIdle {
			why = append(why, "idle "+Duration(row.Idle))
		}
		row.Stuck, row.StuckWhy = len(why) > 0, strings.Join(why, ", ")
	}
	return row, true
}

// Sort is an order of the room's rows.
type Sort int

const (
	ByName     Sort = iota
	ByProgress      // most exercises passed first
	ByActivity      // latest check first
	ByStuck         // stuck first, the longest stuck at the top
	sorts
)

func (s Sort) String() string {
	return [...]string{"name", "progress", "last activity", "stuck"}[s]
}

// Next is the order after s, round the list.
func (s Sort) Next() Sort { return (s + 1) % sorts }

// Rows are the learners whose names contain filter (any case), at now,
// in the order asked. Ties go by name.
func (r *Room) Rows(now time.Time, by Sort, filter string) []Row {
	filter = strings.ToLower(filter)
	rows := make([]Row, 0, len(r.learners))
	for name := range r.learners {
		if strings.Contains(strings.ToLower(name), filter) {
			row, _ := r.Row(name, now)
			rows = append(rows, row)
		}
	}
	slices.SortFunc(rows, func(a, b Row) int {
		var c int
		switch by {
		case ByProgress:
			c = cmp.Compare(b.Passed, a.Passed)
		case ByActivity:
			c = b.Last.Compare(a.Last)
		case ByStuck:
			c = cmp.Compare(rank(b), rank(a))
			if c == 0 && a.Stuck {
				c = cmp.Or(cmp.Compare(b.FailsInARow, a.FailsInARow), a.Last.Compare(b.Last))
			}
		}
		return cmp.Or(c, strings.Compare(a.Learner, b.Learner))
	})
	return rows
}

// rank puts stuck learners first, then those whose last check did not
// pass, then the rest.
func rank(r Row) int {
	switch {
	case r.Stuck:
		return 2
	case !r.Done:
		return 1
	}
	return 0
}

// Duration is a span as the room shows it: 45s, 12m, 1h05m.
func Duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
