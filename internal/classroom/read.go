package classroom

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Reader reads a class's topic from its start and then follows it. It
// joins no consumer group and commits nothing: any number of instructors
// can watch a class, each from the start.
type Reader struct {
	client *kgo.Client
	place  Place
	topic  string
	// end is each partition's end offset when the reader opened; next
	// the offset after the last record read. The history is read once
	// next has reached end everywhere.
	end      map[int32]int64
	next     map[int32]int64
	caughtUp bool
	told     bool // a batch has said CaughtUp
}

// Batch is what one Next returns: the events read, the records that were
// not events, and whether the topic's history (what was on it when the
// reader opened) has now been read whole.
type Batch struct {
	Events   []Event
	Skipped  int
	CaughtUp bool
}

// OpenReader opens a reader of class's topic at place, creating the topic
// if no learner has published yet, so that the first check shows as
// soon as it is made.
func OpenReader(ctx context.Context, place Place, class string) (*Reader, error) {
	if err := CheckName(class); err != nil {
		return nil, err
	}
	topic := Topic(class)
	opts, err := place.clientOpts(
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", place.Name, err)
	}
	r := &Reader{client: cl, place: place, topic: topic, next: map[int32]int64{}}
	if err := ensureTopic(ctx, cl, topic); err != nil {
		cl.Close()
		return nil, fmt.Errorf("class %s on %s: %w", class, place.Name, err)
	}
	ends, err := endOffsets(ctx, kadm.NewClient(cl), topic)
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("reading class %s on %s: %w", class, place.Name, err)
	}
	r.end = map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { r.end[o.Partition] = o.Offset })
	r.caughtUp = r.reached()
	return r, nil
}

// endOffsets lists the topic's end offsets. A topic created a moment ago
// is not known to every broker yet: that is waited out, as long as ctx
// allows.
func endOffsets(ctx context.Context, adm *kadm.Client, topic string) (kadm.ListedOffsets, error) {
	for {
		ends, err := adm.ListEndOffsets(ctx, topic)
		if err == nil {
			err = ends.Error()
		}
		if err == nil || !kerr.IsRetriable(err) {
			return ends, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (the last answer: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Place is where the reader reads.
func (r *Reader) Place() Place { return r.place }

// Next waits for the next records and returns them as events. The first
// call returns at once, empty, when the topic has no history. Only ctx
// ending or a problem the client cannot retry is an error.
func (r *Reader) Next(ctx context.Context) (Batch, error) {
	if r.caughtUp && !r.told { // the history is empty
		r.told = true
		return Batch{CaughtUp: true}, nil
	}
	fetches := r.client.PollFetches(ctx)
	if err := ctx.Err(); err != nil {
		return Batch{}, err
	}
	var b Batch
	var errs []error
	fetches.EachError(func(topic string, p int32, err error) {
		errs = append(errs, fmt.Errorf("reading partition %d of %s: %w", p, topic, err))
	})
	fetches.EachRecord(func(rec *kgo.Record) {
		r.next[rec.Partition] = rec.Offset + 1
		e, err := Decode(rec.Key, rec.Value)
		if err != nil {
			b.Skipped++
			return
		}
		b.Events = append(b.Events, e)
	})
	if !r.caughtUp && r.reached() {
		r.caughtUp = true
	}
	b.CaughtUp, r.told = r.caughtUp, r.caughtUp
	if len(b.Events) == 0 && b.Skipped == 0 && len(errs) > 0 {
		return b, errors.Join(errs...)
	}
	return b, nil
}

// reached reports whether every partition has been read to its end
// offset of when the reader opened.
func (r *Reader) reached() bool {
	for p, end := range r.end {
		if r.next[p] < end {
			return false
		}
	}
	return true
}

// ReadAll reads the topic's history: every event on it when the reader
// opened.
func (r *Reader) ReadAll(ctx context.Context) (Batch, error) {
	var all Batch
	for !all.CaughtUp {
		b, err := r.Next(ctx)
		if err != nil {
			return all, err
		}
		all.Events = append(all.Events, b.Events...)
		all.Skipped += b.Skipped
		all.CaughtUp = b.CaughtUp
	}
	return all, nil
}

// Close closes the reader's client.
func (r *Reader) Close() {
	r.client.Close()
}
