package common

import (
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/inspect"
	"github.com/streamlab/streamlab/internal/result"
)

// Navigation.
type (
	// OpenLabMsg opens a lab's lesson at a step.
	OpenLabMsg struct {
		LabID string
		Step  int
	}
	// OpenExerciseMsg opens an exercise.
	OpenExerciseMsg struct{ ID string }
	// OpenClusterMsg opens the cluster view, inspecting an exercise's last
	// run ("" for the most recent run).
	OpenClusterMsg struct{ ExerciseID string }
	// BackMsg returns to the previous screen.
	BackMsg struct{}
	// StylesChangedMsg says the styles changed (the terminal's background
	// turned out light or dark): what was rendered must be again.
	StylesChangedMsg struct{}
	// StatusMsg shows a short note in the footer.
	StatusMsg struct {
		Text  string
		Error bool
	}
)

// Checks. The exercise screen asks; the root model starts the cluster and
// the grader and streams the run back.
type (
	// CheckRequestMsg asks for a check of an exercise.
	CheckRequestMsg struct {
		ExerciseID string
		Watch      bool // set when a saved file asked for it
	}
	// CheckCancelMsg cancels the running check (and the cluster start it
	// waits for).
	CheckCancelMsg struct{ ExerciseID string }
	// CheckStartedMsg says the check is under way; Waiting is set while it
	// waits for its cluster to start.
	CheckStartedMsg struct {
		ExerciseID string
		Waiting    bool
	}
	// CheckQueuedMsg is the check's place in line while a server's queue
	// holds it back (1: next); 0 once it runs.
	CheckQueuedMsg struct {
		ExerciseID string
		Place      int
	}
	// CheckEventsMsg carries the grader's events in the order they came.
	CheckEventsMsg struct {
		ExerciseID string
		Events     []grader.Event
	}
	// CheckDoneMsg is the verdict. Err is a failure to save progress. A
	// check the learner cancelled ends with an error verdict whose message
	// is Cancelled.
	CheckDoneMsg struct {
		ExerciseID string
		Result     result.Result
		Err        error
	}
)

// Cancelled is the message of a check the learner cancelled.
const Cancelled = "cancelled"

// Clusters.
type (
	// ClusterRequestMsg asks for a cluster of a kind to be started.
	ClusterRequestMsg struct{ Kind containers.Kind }
	// ClusterCancelMsg abandons a cluster start.
	ClusterCancelMsg struct{ Kind containers.Kind }
	// ClusterEventMsg is one progress event of a starting cluster.
	ClusterEventMsg struct{ Event containers.Event }
	// ClusterChangedMsg says the status of a kind's cluster changed.
	ClusterChangedMsg struct{ Kind containers.Kind }
	// ClusterChoiceMsg says which provider would serve a kind's cluster,
	// before it is started.
	ClusterChoiceMsg struct {
		Kind   containers.Kind
		Choice auto.Choice
		Err    error
	}
	// ClusterStartedMsg ends a start: ready, or failed with Err.
	ClusterStartedMsg struct {
		Kind   containers.Kind
		Choice auto.Choice
		Err    error
	}
)

// Exercise actions done in commands.
type (
	// HintMsg says how many hints are now shown.
	HintMsg struct {
		ExerciseID string
		Used       int
		Err        error
	}
	// ResetDoneMsg ends a reset; Backup is where replaced files went.
	ResetDoneMsg struct {
		ExerciseID string
		Backup     string
		Err        error
	}
	// SolutionMsg carries the reference solution.
	SolutionMsg struct {
		ExerciseID string
		Files      []course.SolutionFile
		Dir        string // where it was written in the workspace, if it was
		Err        error
	}
	// EditorClosedMsg comes back when $EDITOR exits.
	EditorClosedMsg struct{ Err error }
)

// InspectedMsg is one look at a run's resources.
type InspectedMsg struct {
	ExerciseID string // what was asked for
	Snapshot   inspect.Snapshot
	Run        *course.Run // nil: no run to look at yet
	Err        error
}
