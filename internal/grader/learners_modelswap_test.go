package grader_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/result"
)

// swapVersions is the check of ml/model-swap that its mistakes fail.
const swapVersions = "each order has one prediction, scored by the version it names, and the new version is in use within 1s of its publication"

// Programs for ml/model-swap: Python that gets it right, and the ways a
// program takes a model from a compacted topic of versions and keeps
// scoring with a replaced one, without a single error.
func init() {
	x := "ml/model-swap"
	submissions = append(submissions,
		submission{exercise: x, name: "python confluent-kafka", run: "$PY python/ml_model_swap.py", want: result.Pass, python: true},
		submission{exercise: x, name: "the latest version, read as it arrives", run: "go run ./swapmistakes", want: result.Pass},
		submission{exercise: x, name: "the models read once at the start", run: "MISTAKE=once go run ./swapmistakes", want: result.Fail,
			failing: []string{swapVersions}},
		submission{exercise: x, name: "the first record of the key, not the last", run: "MISTAKE=first go run ./swapmistakes", want: result.Fail,
			failing: []string{swapVersions}},
		submission{exercise: x, name: "a new model looked for every 10s", run: "MISTAKE=every-10s go run ./swapmistakes", want: result.Fail,
			failing: []string{swapVersions}},
	)
}

// TestModelSwapRepeats grades the reference solution of ml/model-swap and
// each of its submissions STREAMLAB_MODELSWAP_RUNS times on local Kafka:
// the verdicts depend on when the new version reaches the program, so one
// run proves little. STREAMLAB_MODELSWAP_PROGRAMS=solution,MISTAKE=once
// picks programs (see repeatPrograms).
func TestModelSwapRepeats(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv("STREAMLAB_MODELSWAP_RUNS"))
	if runs <= 0 {
		t.Skip("set STREAMLAB_MODELSWAP_RUNS=20 to grade each ml/model-swap program that many times")
	}
	repeatPrograms(t, sharedLocal(t, containers.Kafka), "ml/model-swap", runs, os.Getenv("STREAMLAB_MODELSWAP_PROGRAMS"))
}
