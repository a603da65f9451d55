package grader_test

import "github.com/streamlab/streamlab/internal/result"

// Programs for kafka/compaction: another client that gets it right, and
// the mistakes a compacted topic hides until much later.
func init() {
	const (
		topic      = "the topic has 3 partitions and cleanup.policy=compact set on it"
		state      = "each live customer's last record is its state"
		tombstones = "each deleted customer's last record is a tombstone"
	)
	submissions = append(submissions,
		submission{exercise: "kafka/compaction", name: "python confluent-kafka", run: "$PY python/compaction.py", want: result.Pass, python: true},
		submission{exercise: "kafka/compaction", name: "topic left with the broker's delete policy", run: "MISTAKE=default-policy go run ./compactionmistakes", want: result.Fail,
			failing: []string{topic}},
		submission{exercise: "kafka/compaction", name: "deletion written as an empty value", run: "MISTAKE=empty-value go run ./compactionmistakes", want: result.Fail,
			failing: []string{tombstones}},
		submission{exercise: "kafka/compaction", name: "deletion written as a deleted record", run: "MISTAKE=deleted-record go run ./compactionmistakes", want: result.Fail,
			failing: []string{tombstones}},
		submission{exercise: "kafka/compaction", name: "tombstones without a key", run: "MISTAKE=keyless-tombstone go run ./compactionmistakes", want: result.Fail,
			failing: []string{tombstones}},
		submission{exercise: "kafka/compaction", name: "tombstones written after all the states", run: "MISTAKE=deletes-last go run ./compactionmistakes", want: result.Fail,
			failing: []string{state}},
		submission{exercise: "kafka/compaction", name: "a deleted customer's counts kept", run: "MISTAKE=no-reset go run ./compactionmistakes", want: result.Fail,
			failing: []string{state}},
	)
}
