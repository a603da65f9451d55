package grader_test

import "github.com/streamlab/streamlab/internal/result"

// Submissions for kafka/idempotent-producer, where the grader withholds
// the broker's answers to some produce requests. Every client without
// idempotence writes a retried batch twice, which both the exactly-once
// and the per-customer order checks see; a producer with acks=0 asks for
// no answers, so the required faults never happen.
func init() {
	const (
		ex         = "kafka/idempotent-producer"
		once       = "every input line arrived exactly once"
		order      = "each customer's orders are in seq order"
		firstLost  = "fault: lose the acknowledgements of 2 produce requests to instance 0 as the broker accepts the produce request that brings the records it wrote to TOPIC to at least 1"
		middleLost = "fault: lose the acknowledgement of one produce request to instance 0 as the broker accepts the produce request that brings the records it wrote to TOPIC to at least 200"
	)
	duplicated := []string{once, order}
	submissions = append(submissions,
		submission{exercise: ex, name: "python confluent-kafka with enable.idempotence", run: "$PY python/idempotent_producer.py", want: result.Pass, python: true},
		submission{exercise: ex, name: "sarama with Idempotent", run: "IDEMPOTENT=1 go run ./idemsarama", want: result.Pass},

		submission{exercise: ex, name: "franz-go with DisableIdempotentWrite", run: "MISTAKE=no-idempotence go run ./idemmistakes", want: result.Fail, failing: duplicated},
		submission{exercise: ex, name: "franz-go without idempotence, one record at a time", run: "MISTAKE=one-by-one go run ./idemmistakes", want: result.Fail, failing: duplicated},
		submission{exercise: ex, name: "sarama default config", run: "go run ./idemsarama", want: result.Fail, failing: duplicated},
		submission{exercise: ex, name: "python confluent-kafka default config", run: "IDEMPOTENCE=off $PY python/idempotent_producer.py", want: result.Fail, python: true, failing: duplicated},
		submission{exercise: ex, name: "kafka-go, which has no idempotence", run: "BALANCER=hash go run ./keyedkafkago", want: result.Fail, failing: duplicated},
		submission{exercise: ex, name: "acks=0", run: "MISTAKE=acks-zero go run ./idemmistakes", want: result.Fail, failing: []string{firstLost, middleLost}},
	)
}
