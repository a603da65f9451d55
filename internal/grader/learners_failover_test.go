package grader_test

import "github.com/streamlab/streamlab/internal/result"

// Submissions for pulsar/failover, where the grader kills whichever
// instance holds the subscription's active consumer.
func init() {
	const (
		ex       = "pulsar/failover"
		failover = "the subscription is Failover"
		single   = "one instance worked at a time, and the standby took over"
		killed   = "fault: kill the instance whose consumer is SUBSCRIPTION's active one on INPUT_TOPIC once SUBSCRIPTION has acknowledged at least 100 messages of INPUT_TOPIC"
	)
	submissions = append(submissions,
		submission{exercise: ex, name: "python pulsar-client", run: "$PY python/failover.py", want: result.Pass, python: true},
		submission{exercise: ex, name: "one Shared subscription", run: "MISTAKE=shared go run ./failovermistakes", want: result.Fail,
			failing: []string{failover, single, killed}},
		submission{exercise: ex, name: "a subscription per instance", run: "MISTAKE=own-subscription go run ./failovermistakes", want: result.Fail,
			failing: []string{failover, single, killed}},
		submission{exercise: ex, name: "Exclusive, the second instance retrying", run: "MISTAKE=exclusive-retry go run ./failovermistakes", want: result.Fail,
			failing: []string{failover}},
	)
}
