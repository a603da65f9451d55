// Package classroom is a workshop's class view: learners who run streamlab
// with --class NAME publish an Event for every check they run to the
// class's topic on the shared Kafka cluster, and the instructor's
// `streamlab class NAME` reads the topic from its start and follows it,
// folding the events into a Room: one row per learner.
//
// An event says what a check found (exercise, verdict, score, the failed
// checks' messages, hints used, timings) and who ran it; never the
// learner's code, the program's output or any credential. Publishing is
// best-effort: it never delays or fails a check.
package classroom

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/charmbracelet/x/ansi"

	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/result"
)

// Version is the version of the Event format this streamlab writes.
const Version = 1

// Topic is the class's topic: one for the whole class, not prefixed by
// any learner, keyed by learner so that each learner's events stay in
// order.
func Topic(class string) string { return "streamlab.class." + class }

// CheckName refuses a class name that cannot name a topic, saying why.
func CheckName(class string) error {
	if class == "" {
		return errors.New("a class needs a name, such as streamlab class dbs-2025")
	}
	return config.CheckClass(class)
}

// Event is one check of one learner, as it travels on the class topic.
type Event struct {
	Version  int    `json:"version"`
	Learner  string `json:"learner"`
	Exercise string `json:"exercise"`
	Status   string `json:"status"` // pass, fail or error
	Score    int    `json:"score"`
	MaxScore int    `json:"max_score"`
	// ChecksPassed of Checks: the exercise's checks, the program's own
	// run not counted.
	ChecksPassed int `json:"checks_passed"`
	Checks       int `json:"checks"`
	HintsUsed    int `json:"hints_used"`
	// Attempt counts the learner's graded checks of the exercise, this
	// one included (errors are not counted: they are not the learner's).
	Attempt int  `json:"attempt"`
	GaveUp  bool `json:"gave_up,omitempty"`
	// Failed are the checks that did not pass, with what they saw: what
	// an instructor reads to help.
	Failed []Failure `json:"failed,omitempty"`
	// Message explains an error, or a fail before the checks ran.
	Message string `json:"message,omitempty"`
	// CheckMillis is the whole check's wall time (cluster, build, run,
	// checks); ProgramMillis the learner's program's share of it.
	CheckMillis   int64     `json:"check_ms"`
	ProgramMillis int64     `json:"program_ms"`
	At            time.Time `json:"at"` // when the check ended
}

// Failure is one check that did not pass.
type Failure struct {
	Check   string `json:"check"`
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// maxMessage caps each message an event carries: enough to read what a
// check saw, never a whole log.
const maxMessage = 1000

// FromCheck is the event of a check the session told of.
func FromCheck(c course.Checked) Event {
	r := c.Result
	e := Event{
		Version: Version, Learner: c.Learner, Exercise: c.Exercise.ID,
		Status: string(r.Status), Score: r.Score, MaxScore: r.MaxScore,
		HintsUsed: c.Progress.HintsUsed, Attempt: c.Progress.Attempts, GaveUp: c.Progress.GaveUp,
		Message:       clip(r.Message),
		CheckMillis:   c.Ended.Sub(c.Started).Milliseconds(),
		ProgramMillis: r.Timings.Program.Milliseconds(),
		At:            c.Ended.UTC(),
	}
	checks := map[string]bool{}
	for _, ch := range c.Exercise.Checks {
		checks[ch.Name] = true
	}
	for _, t := range r.Tests {
		if checks[t.Name] {
			e.Checks++
			if t.Status == result.Pass {
				e.ChecksPassed++
			}
		}
		if t.Status != result.Pass {
			e.Failed = append(e.Failed, Failure{Check: t.Name, Status: string(t.Status), Message: clip(t.Message)})
		}
	}
	return e
}

// Decode reads an event from a record of the class topic. key is the
// record's key, the learner's name, used when the event names none. Text
// is cleaned of control characters and escape sequences: anyone who can
// write to the topic could otherwise draw on the instructor's terminal.
func Decode(key, value []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(value, &e); err != nil {
		return e, fmt.Errorf("not a class event: %w", err)
	}
	if e.Version != Version {
		return e, fmt.Errorf("class event version %d, this streamlab reads %d", e.Version, Version)
	}
	if e.Learner == "" {
		e.Learner = string(key)
	}
	e.Learner = clean(e.Learner, 64)
	e.Exercise = clean(e.Exercise, 100)
	e.Status = clean(e.Status, 10)
	e.Message = clean(e.Message, maxMessage)
	for i, f := range e.Failed {
		e.Failed[i] = Failure{Check: clean(f.Check, 200), Status: clean(f.Status, 10), Message: clean(f.Message, maxMessage)}
	}
	switch {
	case e.Learner == "":
		return e, errors.New("a class event without a learner")
	case e.Exercise == "":
		return e, errors.New("a class event without an exercise")
	case e.At.IsZero():
		return e, errors.New("a class event without a time")
	}
	return e, nil
}

// clip cuts a message to maxMessage characters.
func clip(s string) string {
	if r := []rune(s); len(r) > maxMessage {
		return string(r[:maxMessage-1]) + "…"
	}
	return s
}

// clean strips escape sequences and control characters (newlines become
// spaces) and cuts s to n characters.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, ansi.Strip(s))
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
