package checks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/twmb/franz-go/pkg/kerr"
	"go.yaml.in/yaml/v3"
)

// ---- kafka.max-lag, pulsar.max-backlog
//
// How far behind the load the program's consumer fell, sampled while the
// program runs: what it was at its worst cannot be read back afterwards.
// Kafka: the group's lag, its committed offsets' distance from the end
// offsets, summed over the topic's partitions (what kafka-consumer-groups
// shows; a group commits every 5 s with auto-commit, so up to 5 s of the
// load shows as lag between commits). Pulsar: the subscription's
// msgBacklog from the topic's stats, which the broker computes from the
// subscription's cursor, so it survives an unload of the topic (the
// stats' counters, such as msgInCounter, start again from 0 after one).

func init() {
	register("kafka.max-lag", "kafka", "sampled every 250ms while the program runs, the group's lag on the topic (end offsets minus committed offsets, summed over partitions) never exceeds max messages",
		func(p kafkaLagParams) (Check, error) {
			if p.Group == "" || p.Topic == "" {
				return nil, errors.New("needs group (the group variable your program consumes as) and topic (the topic variable it consumes)")
			}
			m, err := maxMessages(&p.Max)
			return lagCheck{kind: "kafka", Topic: p.Topic, Owner: p.Group, Max: m}, err
		})
	register("pulsar.max-backlog", "pulsar", "sampled every 250ms while the program runs, the subscription's backlog on the topic never exceeds max messages",
		func(p pulsarBacklogParams) (Check, error) {
			if p.Subscription == "" || p.Topic == "" {
				return nil, errors.New("needs subscription (the subscription variable your program consumes as) and topic (the topic variable it consumes)")
			}
			m, err := maxMessages(&p.Max)
			return lagCheck{kind: "pulsar", Topic: p.Topic, Owner: p.Subscription, Max: m}, err
		})
}

type kafkaLagParams struct {
	Group string    `yaml:"group"`
	Topic string    `yaml:"topic"`
	Max   yaml.Node `yaml:"max"`
}

type pulsarBacklogParams struct {
	Subscription string    `yaml:"subscription"`
	Topic        string    `yaml:"topic"`
	Max          yaml.Node `yaml:"max"`
}

func maxMessages(n *yaml.Node) (int64, error) {
	if n.Kind == 0 {
		return 0, errors.New("max is missing: the most messages the consumer may fall behind, like 500")
	}
	m, err := strconv.ParseInt(n.Value, 10, 64)
	if n.Kind != yaml.ScalarNode || err != nil || m < 0 {
		return 0, lineErr(n, "max must be a whole number of messages (0 or more), like 500, not %q", n.Value)
	}
	return m, nil
}

// lagEvery is how often a lag check samples while the program runs.
const lagEvery = 250 * time.Millisecond

// lagCheck is kafka.max-lag (Owner is the group variable) or
// pulsar.max-backlog (Owner is the subscription variable).
type lagCheck struct {
	kind  string
	Topic string
	Owner string
	Max   int64
}

func (c lagCheck) Vars() []string { return []string{c.Topic, c.Owner} }
func (c lagCheck) Needs() string  { return c.kind }

// lagSample is one look at the lag.
type lagSample struct {
	at  time.Time
	lag int64
	// owned: the group had committed on the topic, or the subscription
	// existed. A Kafka sample counts either way (what no commit covers is
	// lag); a Pulsar one only when the subscription exists.
	owned bool
	// committed is the group's committed offsets summed over the
	// topic's partitions (Kafka): it moves with every commit, so samples
	// tell a group that commits seldom from one that keeps falling behind.
	committed int64
}

// lagWatch is what a lag check's sampler has seen.
type lagWatch struct {
	began time.Time // when sampling began: just before the program started
	halt  func()    // stops the sampler and waits for it

	mu          sync.Mutex
	samples     []lagSample
	failed      int
	lastErr     error
	partitioned bool // the Pulsar topic is partitioned; learned once
	final       bool // the look after the program ended was taken
}

type lagKey struct{ c lagCheck }

// Observe samples the lag every lagEvery from just before the program
// starts until the check is first evaluated (the program has ended).
func (c lagCheck) Observe(ctx context.Context, env *Env) (func(), error) {
	w := &lagWatch{began: time.Now()}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	w.halt = sync.OnceFunc(func() { cancel(); <-done })
	env.remember(lagKey{c}, func(any) any { return w })
	go func() {
		defer close(done)
		tick := time.NewTicker(lagEvery)
		defer tick.Stop()
		for {
			sctx, stop := context.WithTimeout(rctx, 2*time.Second)
			at := time.Now()
			s, ok, err := c.sample(sctx, env, &w.partitioned)
			stop()
			if rctx.Err() != nil {
				return
			}
			s.at = at
			w.mu.Lock()
			switch {
			case err != nil:
				w.failed++
				w.lastErr = err
			case ok:
				w.samples = append(w.samples, s)
			}
			w.mu.Unlock()
			select {
			case <-rctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return w.halt, nil
}

// sample looks at the lag once; ok is false when there was nothing to
// look at yet (no topic, or no subscription).
func (c lagCheck) sample(ctx context.Context, env *Env, partitioned *bool) (lagSample, bool, error) {
	topic, owner := env.Var(c.Topic), env.Var(c.Owner)
	if c.kind == "kafka" {
		return kafkaLag(ctx, env, topic, owner)
	}
	backlog, ok, err := env.subscriptionBacklog(ctx, topic, owner, partitioned)
	return lagSample{lag: backlog, owned: ok}, ok, err
}

// kafkaLag is the group's lag on topic: every partition's end offset less
// its committed offset (or 0 when it has none), summed.
func kafkaLag(ctx context.Context, env *Env, topic, group string) (lagSample, bool, error) {
	adm := env.admin()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if errors.Is(err, kerr.UnknownTopicOrPartition) {
		return lagSample{}, false, nil
	}
	if err != nil {
		return lagSample{}, false, fmt.Errorf("listing end offsets of %s: %w", topic, err)
	}
	committed, err := adm.FetchOffsetsForTopics(ctx, group, topic)
	if errors.Is(err, kerr.GroupIDNotFound) {
		err, committed = nil, nil
	}
	if err != nil {
		return lagSample{}, false, fmt.Errorf("fetching committed offsets of group %s: %w", group, err)
	}
	var s lagSample
	for part, end := range ends[topic] {
		at := int64(0)
		if o, ok := committed.Lookup(topic, part); ok && o.Err == nil && o.At >= 0 {
			at, s.owned = o.At, true
		}
		s.lag += max(end.Offset-at, 0)
		s.committed += at
	}
	return s, true, nil
}

// subscriptionBacklog is the subscription's backlog on topic; ok is false
// when the topic or the subscription does not exist (yet). partitioned
// is learned from the first answer, so later samples ask once.
func (e *Env) subscriptionBacklog(ctx context.Context, topic, sub string, partitioned *bool) (int64, bool, error) {
	if !*partitioned {
		st, ok, err := e.topicStats(ctx, topic)
		if err != nil {
			return 0, false, err
		}
		if ok {
			s, ok := st.Subscriptions[sub]
			return s.MsgBacklog, ok, nil
		}
	}
	ps, ok, err := e.partitionedStats(ctx, topic)
	if err != nil || !ok {
		return 0, false, err
	}
	*partitioned = true
	s, ok := ps.Subscriptions[sub]
	return s.MsgBacklog, ok, nil
}

// partitionedStats are the stats of a partitioned topic, summed over its
// partitions; ok is false when there is no such partitioned topic.
func (e *Env) partitionedStats(ctx context.Context, topic string) (utils.PartitionedTopicStats, bool, error) {
	tn, err := utils.GetTopicName(topic)
	if err != nil {
		return utils.PartitionedTopicStats{}, false, fmt.Errorf("topic name %q: %w", topic, err)
	}
	st, err := e.Pulsar.Admin.Topics().GetPartitionedStatsWithContext(ctx, *tn, false)
	if PulsarNotFound(err) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("reading stats of %s: %w", topic, err)
	}
	return st, st.Metadata.Partitions > 0, nil
}

func (c lagCheck) Evaluate(ctx context.Context, env *Env) Outcome {
	w, _ := env.remember(lagKey{c}, func(old any) any { return old }).(*lagWatch)
	if w == nil {
		return errored(errors.New("the check was not sampling before the program ran"))
	}
	// The program has ended: one last look sees what it left behind
	// (its final commit may have come after the last sample).
	w.halt()
	w.mu.Lock()
	if !w.final {
		w.final = true
		at := time.Now()
		if s, ok, err := c.sample(ctx, env, &w.partitioned); err == nil && ok {
			s.at = at
			w.samples = append(w.samples, s)
		}
	}
	samples, failures, lastErr := w.samples, w.failed, w.lastErr
	w.mu.Unlock()
	if failures > len(samples) {
		return errored(fmt.Errorf("the grader could not read the %s in %d of %d samples: %w", c.what(), failures, failures+len(samples), lastErr))
	}
	var l *Load
	if env.Loads != nil {
		if ld, ok := env.Loads.Load(c.Topic); ok {
			l = &ld
		}
	}
	return c.judge(samples, lagRun{topic: env.Var(c.Topic), owner: env.Var(c.Owner), began: w.began, load: l})
}

func (c lagCheck) what() string {
	if c.kind == "kafka" {
		return "group's lag"
	}
	return "subscription's backlog"
}

// lagRun is what judging a lag check needs besides the samples.
type lagRun struct {
	topic, owner string    // the run's names
	began        time.Time // when sampling began
	load         *Load     // the load on the topic; nil when it had none
}

func (c lagCheck) judge(samples []lagSample, r lagRun) Outcome {
	var peak lagSample
	owned := false
	for _, s := range samples {
		if s.lag > peak.lag || peak.at.IsZero() {
			peak = s
		}
		owned = owned || s.owned
	}
	if c.kind == "pulsar" && !owned {
		return failed("Subscription %s never appeared on %s while your program ran: consume $%s as the subscription named in $%s.", r.owner, r.topic, c.Topic, c.Owner)
	}
	if len(samples) == 0 {
		return failed("Topic %s did not exist while your program ran, so group %s had nothing to consume.", r.topic, r.owner)
	}
	subject := fmt.Sprintf("Group %s's lag on %s", r.owner, r.topic)
	if c.kind == "pulsar" {
		subject = fmt.Sprintf("The backlog of subscription %s on %s", r.owner, r.topic)
	}
	peaked := fmt.Sprintf("%s peaked at %d message%s %s (threshold %d)", subject, peak.lag, plural(int(peak.lag)), whenInLoad(peak.at, r.load, r.began), c.Max)
	last := samples[len(samples)-1]
	left := ""
	if last.lag > 0 {
		left = fmt.Sprintf(", and was %d when your program ended", last.lag)
	}
	if peak.lag <= c.Max {
		return passed("%s%s; sampled every %s, %d times.", peaked, left, lagEvery, len(samples))
	}
	if c.kind == "kafka" {
		if !owned {
			return failed("%s: group %s never committed an offset on %s while your program ran, so everything published counted as lag. Consume as a member of $%s and commit as you go.", peaked, r.owner, r.topic, c.Owner)
		}
		if still, after, ok := seldomCommits(samples); ok {
			return failed("%s%s: group %s had committed nothing for %s when its lag peaked, and its next commit brought the lag down to %d: your program kept up, but committed seldom. Commit once per batch, after its records are produced, or auto-commit every few hundred milliseconds (auto-commit every 5s, the default, shows up to 5s of the load as lag).",
				peaked, left, r.owner, seconds(still), after)
		}
		return failed("%s%s: your program consumed more slowly than the load published. Do not wait on each order: a synchronous send or a commit per order is a round trip to the broker each; send asynchronously, then flush and commit once per batch; or run more consumers in $%s, up to %s's partitions.",
			peaked, left, c.Owner, r.topic)
	}
	return failed("%s%s: your program received and acknowledged more slowly than the load published. A message stays in the backlog until it is acknowledged: acknowledge each one as soon as it is handled, do not wait on each send, or run more consumers on a Shared or Key_Shared subscription.",
		peaked, left)
}

// seldomCommits tells a lag that peaked because the group's commits came
// far apart: when it peaked, the committed offsets had stood still for at
// least two samples, and the next commit took most of it away, which a
// program that had fallen behind cannot do. It returns how long they
// stood still before the peak, and the lag after that next commit.
func seldomCommits(samples []lagSample) (still time.Duration, after int64, ok bool) {
	p := 0
	for i, s := range samples {
		if s.lag > samples[p].lag {
			p = i
		}
	}
	peak := samples[p]
	first := p
	for first > 0 && samples[first-1].committed == peak.committed {
		first--
	}
	still = peak.at.Sub(samples[first].at)
	for _, s := range samples[p+1:] {
		if s.committed != peak.committed {
			return still, s.lag, still >= 2*lagEvery && s.lag*4 <= peak.lag
		}
	}
	return 0, 0, false
}

// whenInLoad says when at was, relative to the load on the topic: "6.2s
// into the load, during the spike"; relative to the program's start when
// the topic had no load.
func whenInLoad(at time.Time, l *Load, began time.Time) string {
	if l == nil || len(l.Sent) == 0 {
		return seconds(at.Sub(began)) + " after your program started"
	}
	first, last := l.Sent[0], l.Sent[len(l.Sent)-1]
	if at.Before(first) {
		return "before the load began"
	}
	when := seconds(at.Sub(first)) + " into the load"
	switch sp := l.Spike; {
	case at.After(last):
		return when + ", after its last line"
	case sp == nil || sp.First >= len(l.Sent) || sp.End <= sp.First:
		return when
	case at.Before(l.Sent[sp.First]):
		return when + ", before the spike"
	case !at.After(l.Sent[min(sp.End, len(l.Sent))-1]):
		return when + ", during the spike"
	}
	return when + ", after the spike"
}
