package classroom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlab/streamlab/internal/course"
)

// PublisherOptions configure sharing a learner's checks with a class.
type PublisherOptions struct {
	Class string
	// Place is the class's cluster. nil: Connect, or the first check,
	// locates it from the session (see Locate).
	Place *Place
	// Timeout bounds each event's delivery (and locating the cluster);
	// 0 is DefaultTimeout. A check never waits for it: delivery happens
	// in the background, and only Close waits, at most this long.
	Timeout time.Duration
	// Warn is told, in a sentence for the learner, when a check could
	// not be shared. It is called from the publisher's own goroutine.
	Warn   func(string)
	Logger *slog.Logger
}

// DefaultTimeout is how long one event may take to reach the cluster.
const DefaultTimeout = 5 * time.Second

// queueSize is how many checks may wait to be shared: a learner checks
// every few seconds at most, so a full queue means the cluster is gone.
const queueSize = 64

// Publisher shares checks with a class: every check a session it is
// attached to grades becomes an Event on the class's topic. One
// Publisher may serve many sessions (a workshop server's learners); it is
// safe for concurrent use.
type Publisher struct {
	o     PublisherOptions
	log   *slog.Logger
	queue chan job
	done  chan struct{}

	mu       sync.Mutex
	place    *Place
	client   *kgo.Client
	closed   bool // takes no more checks; those queued are still sent
	off      bool // there is no shared cluster: checks are not shared
	stopped  bool // the client is closed: nothing more is sent
	sent     int
	failed   int
	lastErr  error
	lastWarn string
}

type job struct {
	sess  *course.Session
	event Event
}

// Attach makes every check of a session opened with opts share its
// outcome with the class; a hook already in opts.OnCheck is kept and
// called first. The caller closes the Publisher once the sessions are
// closed. This is the whole API a front end needs:
//
//	pub, err := classroom.Attach(&opts, classroom.PublisherOptions{Class: "dbs"})
//	sess, err := course.Open(opts)
//	...
//	sess.Close(ctx)
//	pub.Close(ctx)
func Attach(opts *course.Options, o PublisherOptions) (*Publisher, error) {
	p, err := NewPublisher(o)
	if err != nil {
		return nil, err
	}
	p.Attach(opts)
	return p, nil
}

// NewPublisher returns a publisher for a class, attached to no session.
func NewPublisher(o PublisherOptions) (*Publisher, error) {
	if err := CheckName(o.Class); err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Publisher{o: o, log: o.Logger, queue: make(chan job, queueSize), done: make(chan struct{}), place: o.Place}
	go p.run()
	return p, nil
}

// Attach adds the publisher to the options of a session yet to open.
func (p *Publisher) Attach(opts *course.Options) {
	prev := opts.OnCheck
	opts.OnCheck = func(c course.Checked) {
		if prev != nil {
			prev(c)
		}
		p.publish(job{sess: c.Session, event: FromCheck(c)})
	}
}

// Class is the class's name.
func (p *Publisher) Class() string { return p.o.Class }

// Connect locates the class's cluster now, for a front end that tells
// the learner where their progress goes before the first check. When the
// configuration has no shared cluster (a *NoPlaceError, which the front
// end shows), checks are not shared at all; after any other error (the
// cluster does not answer) the next check tries again.
func (p *Publisher) Connect(ctx context.Context, sess *course.Session) (Place, error) {
	p.mu.Lock()
	if p.place != nil {
		defer p.mu.Unlock()
		return *p.place, nil
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
	defer cancel()
	place, err := Locate(ctx, sess)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		var none *NoPlaceError
		p.off = errors.As(err, &none)
		return Place{}, err
	}
	if p.place == nil {
		p.place = &place
	}
	return *p.place, nil
}

// Sharing is the line that tells the learner their progress is shared
// and with whom, or "" before the cluster is located.
func (p *Publisher) Sharing() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.place == nil {
		return ""
	}
	return Sharing(p.o.Class, p.place.Name)
}

// Sharing is the sentence a learner reads when their checks are shared.
func Sharing(class, place string) string {
	return fmt.Sprintf("sharing your progress with class %s on %s", class, place)
}

// Sent is how many events reached the cluster.
func (p *Publisher) Sent() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent
}

// publish queues an event; it never waits.
func (p *Publisher) publish(j job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.off {
		return
	}
	if j.event.Learner == "" {
		p.failLocked(j.event, errors.New("the session has no learner name, and the class view lists learners by name"))
		return
	}
	select {
	case p.queue <- j:
	default:
		p.failLocked(j.event, errors.New("too many checks are waiting to be shared; the class's cluster does not take them"))
	}
}

// run delivers the queued events one at a time, in the order checked.
func (p *Publisher) run() {
	defer close(p.done)
	for j := range p.queue {
		ctx, cancel := context.WithTimeout(context.Background(), p.o.Timeout)
		err := p.send(ctx, j)
		cancel()
		p.mu.Lock()
		if err != nil {
			p.failLocked(j.event, err)
		} else {
			p.sent++
			p.lastWarn = "" // a later failure is news again
		}
		p.mu.Unlock()
	}
}

func (p *Publisher) send(ctx context.Context, j job) error {
	cl, err := p.connect(ctx, j.sess)
	if err != nil {
		return err
	}
	value, err := json.Marshal(j.event)
	if err != nil {
		return err
	}
	rec := &kgo.Record{Topic: Topic(p.o.Class), Key: []byte(j.event.Learner), Value: value}
	if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s did not take it within %s", p.placeName(), p.o.Timeout)
		}
		return err
	}
	return nil
}

// connect returns the client, locating the cluster and creating the
// topic on first use.
func (p *Publisher) connect(ctx context.Context, sess *course.Session) (*kgo.Client, error) {
	p.mu.Lock()
	cl, place, stopped := p.client, p.place, p.stopped
	p.mu.Unlock()
	if stopped {
		return nil, errors.New("streamlab closed before it could be sent")
	}
	if cl != nil {
		return cl, nil
	}
	if place == nil {
		if sess == nil {
			return nil, errors.New("no session to find the class's cluster from")
		}
		pl, err := Locate(ctx, sess)
		if err != nil {
			return nil, err
		}
		place = &pl
	}
	opts, err := place.clientOpts(kgo.ProducerLinger(0), kgo.RecordDeliveryTimeout(p.o.Timeout))
	if err != nil {
		return nil, err
	}
	cl, err = kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", place.Name, err)
	}
	if err := ensureTopic(ctx, cl, Topic(p.o.Class)); err != nil {
		cl.Close()
		return nil, fmt.Errorf("creating the class's topic on %s: %w", place.Name, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		cl.Close()
		return nil, errors.New("streamlab closed before it could be sent")
	}
	if p.place == nil {
		p.place = place
	}
	p.client = cl
	return cl, nil
}

func (p *Publisher) placeName() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.place == nil {
		return "the class's cluster"
	}
	return p.place.Name
}

// failLocked records a failure and warns, once for a run of the same
// failure: a cluster that is down says so once, not at every check.
func (p *Publisher) failLocked(e Event, err error) {
	p.failed++
	p.lastErr = err
	p.log.Warn("sharing a check with the class", "class", p.o.Class, "exercise", e.Exercise, "err", err)
	msg := fmt.Sprintf("your check of %s was not shared with class %s: %v", e.Exercise, p.o.Class, err)
	if err.Error() == p.lastWarn || p.o.Warn == nil {
		return
	}
	p.lastWarn = err.Error()
	go p.o.Warn(msg) // never under the lock: Warn may take its time
}

// Close stops taking checks, waits (as long as ctx allows, and at most
// the timeout) for the queued ones to reach the cluster, and closes the
// client. Its error says how many checks were not shared, and why.
func (p *Publisher) Close(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.queue)
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
	defer cancel()
	select {
	case <-p.done:
	case <-ctx.Done():
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	if p.client != nil {
		p.client.Close()
		p.client = nil
	}
	if p.failed > 0 {
		return fmt.Errorf("%d of your checks were not shared with class %s: %v", p.failed, p.o.Class, p.lastErr)
	}
	return nil
}

// partitions of a new class topic: keyed by learner, each learner's
// events keep their order on any count; three spread a large class.
const partitions = 3

// ensureTopic creates the class's topic unless it exists.
func ensureTopic(ctx context.Context, cl *kgo.Client, topic string) error {
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, -1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if errors.Is(err, kerr.TopicAlreadyExists) {
		return nil
	}
	return err
}
