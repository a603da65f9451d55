package course

import (
	"context"

	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/result"
)

// Gate admits checks. A server grading many learners on one machine gives
// every learner's session the same Gate (Options.Gate), so that only so
// many checks run at once and the others wait their turn rather than all
// building and running together on a CPU and a cluster that cannot keep up.
type Gate interface {
	// Wait returns once a check may run, with the function that frees its
	// place. place hears the check's place in line (1: next) while it
	// waits, and 0 once it is admitted. When ctx ends first it returns
	// ctx's error.
	Wait(ctx context.Context, place func(int)) (release func(), err error)
}

// admit waits for the session's gate, if it has one; the check has not
// started while it waits, so a cancel there is an error verdict like any
// other cancel.
func (s *Session) admit(ctx context.Context, ex *catalogue.Exercise, queued func(int)) (func(), *result.Result) {
	if s.opts.Gate == nil {
		return func() {}, nil
	}
	if queued == nil {
		queued = func(int) {}
	}
	release, err := s.opts.Gate.Wait(ctx, func(place int) {
		s.log.Debug("check waiting its turn", "exercise", ex.ID, "place", place)
		queued(place)
	})
	if err != nil {
		res := notChecked(ex, "the check was cancelled while it waited its turn: "+err.Error(), "the check was cancelled before it ran")
		return nil, &res
	}
	return release, nil
}
