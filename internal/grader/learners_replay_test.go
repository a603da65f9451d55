package grader_test

import "github.com/streamlab/streamlab/internal/result"

// Wrong replays from a point in time: each copies the wrong records, or
// the right ones wrongly, and fails exactly the checks that say so.
func init() {
	const (
		since = "exactly the records stamped at or after SINCE were copied"
		order = "each customer's orders are in seq order"
		kept  = "the copies keep their original timestamps"
		fetch = "each partition was read from the offset for SINCE, not from its start"
	)
	ex := "kafka/replay-from-time"
	submissions = append(submissions,
		submission{exercise: ex, name: "copies everything", run: "MISTAKE=everything go run ./replaymistakes", want: result.Fail,
			failing: []string{since, fetch}},
		submission{exercise: ex, name: "after instead of at or after", run: "MISTAKE=after go run ./replaymistakes", want: result.Fail,
			failing: []string{since, fetch}},
		// SINCE is never in UTC, and is at most three hours from it: the
		// replay starts hours off and still copies something.
		submission{exercise: ex, name: "SINCE read as local time", run: "TZ=UTC MISTAKE=local-time go run ./replaymistakes", want: result.Fail,
			// Hours early or hours late, as the run's UTC offset falls.
			failing: []string{since}, mayFail: []string{fetch}},
		submission{exercise: ex, name: "the last 24 hours by the clock", run: "MISTAKE=wall-clock go run ./replaymistakes", want: result.Fail,
			failing: []string{since, fetch}},
		submission{exercise: ex, name: "reads from the end", run: "MISTAKE=from-end go run ./replaymistakes", want: result.Fail,
			failing: []string{since, order, kept, fetch}},
		submission{exercise: ex, name: "copies stamped anew", run: "MISTAKE=new-timestamps go run ./replaymistakes", want: result.Fail,
			failing: []string{kept}},
		// The right output, read the slow way: only the fetches tell.
		submission{exercise: ex, name: "reads the whole day and filters", run: "MISTAKE=filter go run ./replaymistakes", want: result.Fail,
			failing: []string{fetch}},
	)
}
