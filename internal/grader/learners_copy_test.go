package grader_test

import "github.com/streamlab/streamlab/internal/result"

// The crash exercises: each classic mistake fails at the fault the
// exercise injects, whatever the timing, and a correct program written
// another way passes.
func init() {
	const (
		alo      = "kafka/at-least-once"
		eos      = "kafka/exactly-once"
		none     = "every order reached the output, none lost"
		once     = "a read_committed reader sees every order exactly once"
		txns     = "the output was written in transactions"
		caughtUp = "the group committed every partition's end offset"
		aloKill  = "fault: kill instance 0 of the program as the broker accepts the commit that brings GROUP's offsets on INPUT_TOPIC to at least 100, then start it again"
		eosEnd   = "fault: kill instance 0 of the program as the broker commits its transaction number 1, then start it again"
	)
	submissions = append(submissions,
		submission{exercise: alo, name: "commits before writing", run: "MISTAKE=commit-first go run ./copymistakes", want: result.Fail,
			failing: []string{none}},
		submission{exercise: alo, name: "starts from the end", run: "MISTAKE=latest go run ./copymistakes", want: result.Fail,
			failing: []string{aloKill, none, caughtUp}},
		submission{exercise: alo, name: "transactions with the offsets inside", run: "MISTAKE=txn go run ./copymistakes", want: result.Pass},
		submission{exercise: eos, name: "at-least-once copier", run: "MISTAKE=plain go run ./copymistakes", want: result.Fail,
			failing: []string{eosEnd, once, txns}},
		submission{exercise: eos, name: "offsets committed after the transaction", run: "MISTAKE=offsets-after-txn go run ./copymistakes", want: result.Fail,
			failing: []string{once}},
		// Readers wait for the transaction the killed run left open until
		// it times out (40 s for franz-go), long after the check.
		submission{exercise: eos, name: "a new transactional id in every run", run: "MISTAKE=fresh-txn-id go run ./copymistakes", want: result.Fail,
			failing: []string{once}, mayFail: []string{txns}},
	)
}
