package checks

import "time"

// Load is what the grader published to one topic while the program ran
// (load: in the spec): the lines of a file variable, in file order, each
// stamped with the moment the grader sent it, which is its record's
// CreateTime on Kafka and its message's event time on Pulsar. A check
// that measures latency takes a line's output time minus Sent[i].
type Load struct {
	Topic string // the topic variable
	From  string // the file variable
	Lines int    // lines in the file: what the load set out to publish
	// Sent is, by line, when the grader handed it to its client; only the
	// lines it sent (a prefix of the file: they go out in order).
	Sent []time.Time
	// Published is how many of them the cluster acknowledged.
	Published int
	// Planned is how long the schedule takes from the first line to the
	// last; Took is how long the sends did, from the first to the last
	// line sent.
	Planned, Took time.Duration
	// Behind is how much later than planned the schedule ran because sends
	// fell behind it (0 when it kept pace).
	Behind time.Duration
	// Errors are the first few answers of a cluster that refused a line;
	// any such answer makes the run the cluster's error.
	Errors []string
	// Stopped says why the load ended before sending every line ("" when it
	// sent them all): the program had ended, or the run was stopped.
	Stopped string
	// Rate is the steady rate, lines per second.
	Rate int
	// Spike is the part of the schedule at the spike's rate; nil when the
	// load has no spike.
	Spike *LoadSpike
}

// LoadSpike is the part of a load's schedule at its spike's rate: the
// lines due from the spike's start to its end, First to End-1 (in file
// order, which is the order they are sent in).
type LoadSpike struct {
	Rate       int // lines per second
	First, End int
}

// SentAt is when line i was sent, and whether it was.
func (l Load) SentAt(i int) (time.Time, bool) {
	if i < 0 || i >= len(l.Sent) {
		return time.Time{}, false
	}
	return l.Sent[i], true
}

// Loads answers for what the grader published while the program ran.
type Loads interface {
	// Load is what was published to the topic variable, once its load has
	// ended (every load ends before after-run checks are evaluated);
	// false while it runs, or when the topic had no load.
	Load(topic string) (Load, bool)
}
