package grader_test

import "github.com/streamlab/streamlab/internal/result"

// Programs for kafka/broker-restart: the copier that takes the outage's
// silence for the end of the stream, and correct ones written another way
// (retries of its own, with franz-go's defaults; confluent-kafka in
// Python).
func init() {
	x := "kafka/broker-restart"
	submissions = append(submissions,
		submission{exercise: x, name: "retries in its own loops, caught up 5s in a row", run: "go run ./restartmistakes", want: result.Pass},
		submission{exercise: x, name: "stops after 5s without an order", run: "MISTAKE=idle go run ./restartmistakes", want: result.Fail, realBroker: true,
			failing: []string{"every order reached the output, none lost", "the group committed every partition's end offset"}},
		submission{exercise: x, name: "python confluent-kafka", run: "$PY python/broker_restart.py", want: result.Pass, python: true},
	)
}
