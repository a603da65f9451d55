package grader

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/checks"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A load (load: in exercise.yaml) is input the grader publishes while the
// program runs: the lines of a file variable, in file order, to a topic,
// paced by the schedule TopicLoad.Due computes from the moment the
// program's instances started. Each line is stamped with the moment the
// grader sent it (Kafka CreateTime, Pulsar event time) and that moment is
// kept, by line, for checks (checks.Load), so that a check can take
// output time minus input time without trusting what the program copied.
//
// A load ends when every line is published, or when the program's
// instances have all ended, or when the run is stopped; the fleet waits
// for it before it returns, so it ends before any check is evaluated and
// nothing of it outlives the run. A line the cluster refuses while the
// load runs ends the run as the cluster's error.

// catchUp is how far behind its schedule a load may fall and still send at
// once to catch up: a slow send is made up by a burst of at most this much
// of the schedule, and a longer stall moves the rest of the schedule later.
const catchUp = 50 * time.Millisecond

// flushLimit bounds how long a load that was stopped waits for the
// cluster to confirm what it had sent.
const flushLimit = 10 * time.Second

// maxLoadErrors is how many refusals a load keeps, to report.
const maxLoadErrors = 3

// pace says how long to wait before sending a line the schedule has due
// at due, now (both counted from the load's start), when the schedule has
// slipped by slip so far; and the slip from then on.
func pace(due, slip, now time.Duration) (wait, newSlip time.Duration) {
	at := due + slip
	if now < at {
		return at - now, slip
	}
	if late := now - at; late > catchUp {
		slip += late - catchUp
	}
	return 0, slip
}

// loadSet is the run's loads; as checks.Loads it gives each one's record
// once it has ended.
type loadSet struct {
	loaders []*loader
	mu      sync.Mutex
	ended   map[string]checks.Load // by topic variable
}

func (s *loadSet) Load(topic string) (checks.Load, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.ended[topic]
	return l, ok
}

// loader publishes one load.
type loader struct {
	spec  catalogue.TopicLoad
	topic string // the run's name of the topic
	lines []string
	keys  []string // nil: no keys
	pub   publisher
	ctx   context.Context // the load's own: done once it stops sending

	mu      sync.Mutex
	sent    []time.Time
	acked   int
	errs    []string
	refused error // the first line the cluster refused while the load ran
}

// publisher sends a load's lines to one topic of the cluster.
type publisher interface {
	// send hands a line to the client, stamped with at; done is called
	// once the cluster has confirmed or refused it.
	send(ctx context.Context, key *string, value string, at time.Time, done func(error))
	// flush waits until the cluster has answered for every line sent, or
	// ctx ends.
	flush(ctx context.Context) error
	close()
}

// prepareLoads readies the spec's loads once the input files exist.
func (g *run) prepareLoads() {
	ex := g.req.Exercise
	if len(ex.Load) == 0 {
		return
	}
	s := &loadSet{ended: map[string]checks.Load{}}
	for _, l := range ex.Load {
		lines, keys := g.fileRecords(l.From, l.Key) // models.go
		s.loaders = append(s.loaders, &loader{spec: l, topic: g.values[l.Topic], lines: lines, keys: keys})
	}
	g.loads = s
	g.env.Loads = s
}

// startLoads starts the run's loads, to pace themselves from now: the
// fleet starts the program's instances as it returns. fail ends the run
// as the cluster's error. stopLoads stops the loads still sending and
// waits until every load has ended and reported.
func (g *run) startLoads(ctx context.Context, fail context.CancelCauseFunc) (stopLoads func(), err error) {
	if g.loads == nil {
		return func() {}, nil
	}
	// Producers first, so that the first line is not late by their start.
	for i, l := range g.loads.loaders {
		if l.pub, err = g.publisher(l.topic); err != nil {
			for _, started := range g.loads.loaders[:i] {
				started.pub.close()
			}
			return nil, fmt.Errorf("the grader could not start publishing %s to %s: %w", l.spec.From, l.spec.Topic, err)
		}
	}
	loadCtx, cancel := context.WithCancel(ctx)
	began := time.Now()
	var wg sync.WaitGroup
	for _, l := range g.loads.loaders {
		l.ctx = loadCtx
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, report := l.run(ctx, began, g.emit, fail)
			g.loads.mu.Lock()
			g.loads.ended[l.spec.Topic] = rep
			g.loads.mu.Unlock()
			g.emit(Event{Fault: report})
		}()
	}
	return func() { cancel(); wg.Wait() }, nil
}

// run sends the lines on schedule until they are all sent or the load is
// stopped, waits for the cluster's answers, and says what it did. runCtx
// is the run's context, done when the run is stopped.
func (l *loader) run(runCtx context.Context, began time.Time, emit func(Event), fail context.CancelCauseFunc) (checks.Load, string) {
	ctx := l.ctx
	origin := began.Add(l.spec.Start)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var slip time.Duration
send:
	for i, line := range l.lines {
		wait, s := pace(l.spec.Due(i), slip, time.Since(origin))
		slip = s
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				break send
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			break
		}
		if i == 0 {
			what := fmt.Sprintf("began publishing the %s of %s", lineCount(len(l.lines)), l.spec)
			if l.spec.Start > 0 {
				what += fmt.Sprintf(", %s after the program started", l.spec.Start)
			}
			emit(Event{Fault: what})
		}
		var key *string
		if l.keys != nil {
			key = &l.keys[i]
		}
		at := time.Now()
		l.mu.Lock()
		l.sent = append(l.sent, at)
		l.mu.Unlock()
		l.pub.send(ctx, key, line, at, func(err error) { l.answered(err, fail) })
	}

	// Until the load is stopped, the cluster may take its time (a broker
	// the grader restarts); after, a bounded wait.
	if ctx.Err() == nil {
		_ = l.pub.flush(ctx)
	}
	if ctx.Err() != nil {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushLimit)
		_ = l.pub.flush(fctx)
		cancel()
	}
	l.pub.close()

	l.mu.Lock()
	defer l.mu.Unlock()
	rep := checks.Load{Topic: l.spec.Topic, From: l.spec.From, Lines: len(l.lines), Sent: slices.Clip(l.sent), Published: l.acked,
		Planned: l.spec.Due(len(l.lines) - 1), Behind: slip, Errors: l.errs, Rate: l.spec.Rate}
	if sp := l.spec.Spike; sp != nil {
		first, end := l.spec.SpikeLines(len(l.lines))
		rep.Spike = &checks.LoadSpike{Rate: l.spec.Rate * sp.Times, First: first, End: end}
	}
	var took string
	if n := len(l.sent); n > 0 {
		rep.Took = l.sent[n-1].Sub(l.sent[0])
		took = fmt.Sprintf(", %s in", rep.Took.Round(10*time.Millisecond))
	}
	if len(l.sent) < len(l.lines) {
		switch {
		case l.refused != nil:
			rep.Stopped = fmt.Sprintf("the cluster refused a line: %v", l.refused)
		case runCtx.Err() != nil:
			rep.Stopped = "the run was stopped"
		default:
			rep.Stopped = "your program had ended"
		}
		return rep, fmt.Sprintf("stopped publishing %s to %s after %d of %d lines%s: %s%s", l.spec.From, l.spec.Topic, len(l.sent), len(l.lines), took, rep.Stopped, l.unconfirmed())
	}
	report := fmt.Sprintf("published the %s of %s to %s in %s (planned: %s)", lineCount(len(l.lines)), l.spec.From, l.spec.Topic, rep.Took.Round(10*time.Millisecond), rep.Planned.Round(10*time.Millisecond))
	// Under 10 ms would print as "0s behind".
	if slip >= 10*time.Millisecond {
		report += fmt.Sprintf(", %s behind its schedule: sends were slow or the cluster was away", slip.Round(10*time.Millisecond))
	}
	return rep, report + l.unconfirmed()
}

// answered records the cluster's answer for one line. A refusal while the
// load runs ends the run as the cluster's error; after the load stopped,
// it is the load's own end cutting the line short.
// Called by the client, on a goroutine of its own.
func (l *loader) answered(err error, fail context.CancelCauseFunc) {
	l.mu.Lock()
	if err == nil {
		l.acked++
		l.mu.Unlock()
		return
	}
	if l.ctx.Err() != nil {
		l.mu.Unlock()
		return
	}
	if len(l.errs) < maxLoadErrors {
		l.errs = append(l.errs, err.Error())
	}
	first := l.refused == nil
	if first {
		l.refused = err
	}
	l.mu.Unlock()
	if first {
		fail(fmt.Errorf("the grader could not publish the load on %s (%s): the cluster refused a line: %w", l.spec.Topic, l.topic, err))
	}
}

// unconfirmed notes lines sent that the cluster never confirmed.
// Called with l.mu held.
func (l *loader) unconfirmed() string {
	if n := len(l.sent) - l.acked; n > 0 {
		return fmt.Sprintf("; the cluster did not confirm %d of the lines sent", n)
	}
	return ""
}

// publisher opens a producer of the grader's own for a load on topic.
func (g *run) publisher(topic string) (publisher, error) {
	switch b := g.be.forTopic(topic).(type) {
	case *kafkaBackend:
		return b.loadPublisher(topic)
	case *pulsarBackend:
		return b.loadPublisher(topic)
	}
	return nil, fmt.Errorf("%T cannot publish a load", g.be.forTopic(topic))
}

type kafkaPublisher struct{ cl *kgo.Client }

func (b *kafkaBackend) loadPublisher(topic string) (publisher, error) {
	cl, err := kgo.NewClient(append(slices.Clone(b.opts),
		kgo.ClientID("streamlab-load"),
		kgo.DefaultProduceTopic(topic),
		// A line leaves when it is due, not when a batch fills: its
		// CreateTime is when it was sent.
		kgo.ProducerLinger(0),
		// A broker the grader restarts (a fault) may answer "unknown topic"
		// for a while; the grader created the topic, so it exists.
		kgo.UnknownTopicRetries(-1),
		// And the load resumes the moment that broker answers again: by
		// default the client waits up to seconds between tries, and a
		// load that is late to resume looks like a stream that ended.
		kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }),
	)...)
	if err != nil {
		return nil, err
	}
	// The client asks for its producer ID at its first record, and a
	// broker that has not handed one out yet may take a few hundred
	// milliseconds to: the first lines would count that as latency.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, _, err := cl.ProducerID(ctx); err != nil {
		cl.Close()
		return nil, err
	}
	return kafkaPublisher{cl}, nil
}

func (p kafkaPublisher) send(ctx context.Context, key *string, value string, at time.Time, done func(error)) {
	r := &kgo.Record{Value: []byte(value), Timestamp: at}
	if key != nil {
		r.Key = []byte(*key)
	}
	p.cl.Produce(ctx, r, func(_ *kgo.Record, err error) { done(err) })
}

func (p kafkaPublisher) flush(ctx context.Context) error { return p.cl.Flush(ctx) }
func (p kafkaPublisher) close()                          { p.cl.Close() }

type pulsarPublisher struct{ p pulsar.Producer }

func (b *pulsarBackend) loadPublisher(topic string) (publisher, error) {
	// A fault may unload the topic while the load runs, and the client
	// then sends again what the broker had not confirmed: with
	// deduplication on and a producer name of its own, the broker drops
	// such a copy (the client's sequence ids number the lines), so the
	// input holds every line once, as the program is told.
	if err := b.deduplicate(topic); err != nil {
		return nil, err
	}
	// One entry per message, as a seed's: see Seed.
	p, err := b.client.CreateProducer(pulsar.ProducerOptions{Topic: topic, Name: "streamlab-load", DisableBatching: true})
	if err != nil {
		return nil, err
	}
	return pulsarPublisher{p}, nil
}

// deduplicate turns deduplication on for topic and waits until the broker
// reports it.
func (b *pulsarBackend) deduplicate(topic string) error {
	tn, err := utils.GetTopicName(topic)
	if err != nil {
		return err
	}
	topics := b.admin.Topics()
	if err := topics.SetDeduplicationStatus(*tn, true); err != nil {
		return fmt.Errorf("turning deduplication on for %s: %w", topic, err)
	}
	return retried(func(ctx context.Context) error {
		on, err := topics.GetDeduplicationStatusWithContext(ctx, *tn)
		if err == nil && !on {
			err = fmt.Errorf("deduplication has not reached %s yet", topic)
		}
		return err
	})
}

func (p pulsarPublisher) send(ctx context.Context, key *string, value string, at time.Time, done func(error)) {
	msg := &pulsar.ProducerMessage{Payload: []byte(value), EventTime: at}
	if key != nil {
		msg.Key = *key
	}
	p.p.SendAsync(ctx, msg, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) { done(err) })
}

func (p pulsarPublisher) flush(ctx context.Context) error { return p.p.FlushWithCtx(ctx) }
func (p pulsarPublisher) close()                          { p.p.Close() }
