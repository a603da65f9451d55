package grader_test

import "github.com/streamlab/streamlab/internal/result"

// Bridges for bridge/kafka-to-pulsar, killed once as Kafka accepts a
// commit and once as a later commit leaves the program. Committing before
// Pulsar has a batch loses it at the first; publishing without
// deduplication publishes a batch twice at the second; deduplicating
// with one producer for all partitions drops what the broker takes for
// old.
func init() {
	const (
		ex   = "bridge/kafka-to-pulsar"
		once = "every order reached Pulsar exactly once"
	)
	submissions = append(submissions,
		submission{exercise: ex, name: "synchronous sends from a producer per partition", run: "MISTAKE=sync go run ./bridgemistakes", want: result.Pass},
		submission{exercise: ex, name: "commits before publishing", run: "MISTAKE=commit-first go run ./bridgemistakes", want: result.Fail,
			failing: []string{once}, mayFail: []string{"each customer's orders arrived in order"}},
		submission{exercise: ex, name: "publishes without deduplication", run: "MISTAKE=no-dedup go run ./bridgemistakes", want: result.Fail,
			failing: []string{once}, mayFail: []string{"each customer's orders arrived in order"}},
		submission{exercise: ex, name: "one producer for every partition", run: "MISTAKE=one-producer go run ./bridgemistakes", want: result.Fail,
			failing: []string{once}, mayFail: []string{"each customer's orders arrived in order"}},
	)
}
