// Package result holds a grading verdict and writes it as text for people,
// as JSON in the Exercism test-runner (v3) shape with scores for GitHub
// Classroom, or as JUnit XML for CI systems.
package result

import "time"

// Status of a whole run or of one test.
type Status string

const (
	Pass  Status = "pass"
	Fail  Status = "fail"
	Error Status = "error"
)

// ExitCode is the process exit code for a verdict: 0 pass, 1 fail, 2 error.
func (s Status) ExitCode() int {
	switch s {
	case Pass:
		return 0
	case Fail:
		return 1
	}
	return 2
}

// Test is one graded item: the program's own run, or one check.
type Test struct {
	Name     string `json:"name"`
	Status   Status `json:"status"`
	Message  string `json:"message,omitempty"`
	Output   string `json:"output,omitempty"`
	Score    int    `json:"score"`
	MaxScore int    `json:"max_score"`
	// TaskID groups tests in Exercism's shape; unused here but kept stable.
	Duration time.Duration `json:"-"`
}

// Result is the verdict on one exercise run.
type Result struct {
	Exercise string
	Status   Status
	// Message explains an error verdict (or a failure before the checks).
	Message  string
	Tests    []Test
	Score    int
	MaxScore int
	Cluster  string // provider that served the run
	Seed     uint64
	Output   string // the program's captured output
	Timings  Timings
}

// Timings splits a run's wall time, so the grader's own cost can be told
// apart from the learner program's.
type Timings struct {
	Prepare time.Duration // names, input files, topics, seed data
	Build   time.Duration
	Program time.Duration
	Checks  time.Duration
	Cleanup time.Duration
}

// Overhead is the time the grader itself spent: everything but building
// and running the learner's program.
func (t Timings) Overhead() time.Duration { return t.Prepare + t.Checks + t.Cleanup }

// Finish sets the score and the overall status from the tests, keeping an
// error already decided.
func (r *Result) Finish() {
	r.Score, r.MaxScore = 0, 0
	status := Pass
	for _, t := range r.Tests {
		r.Score += t.Score
		r.MaxScore += t.MaxScore
		switch {
		case t.Status == Error:
			if status != Error && r.Message == "" {
				r.Message = t.Name + ": " + t.Message
			}
			status = Error
		case t.Status == Fail && status == Pass:
			status = Fail
		}
	}
	if r.Status != Error {
		r.Status = status
	}
	if r.Status == Error {
		r.Score = 0
	}
}
