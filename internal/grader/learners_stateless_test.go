package grader_test

import "github.com/streamlab/streamlab/internal/result"

// Submissions for pulsar/stateless-brokers, where the grader unloads both
// topics and moves the subscription back by 20 acknowledged orders. Any
// program that publishes whatever it receives publishes those 20 again;
// remembering what was published, or broker deduplication, does not.
func init() {
	const (
		ex   = "pulsar/stateless-brokers"
		once = "every order reached the output exactly once"
	)
	submissions = append(submissions,
		submission{exercise: ex, name: "remembers the orders it published, broker deduplication on", run: "MISTAKE=remember go run ./statelessmistakes", want: result.Pass},
		submission{exercise: ex, name: "python pulsar-client with broker deduplication", run: "$PY python/stateless_brokers.py", want: result.Pass, python: true},
		submission{exercise: ex, name: "publishes every delivery", run: "MISTAKE=plain go run ./statelessmistakes", want: result.Fail, failing: []string{once}},
		submission{exercise: ex, name: "acknowledges before publishing", run: "MISTAKE=ack-first go run ./statelessmistakes", want: result.Fail, failing: []string{once}},
	)
}
