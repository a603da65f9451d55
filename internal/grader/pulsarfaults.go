package grader

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"

	"github.com/streamlab/streamlab/internal/checks"
)

// Pulsar's faults. An unload is what a broker does when a topic moves to
// another broker (on a standalone, the same broker loads it again): it
// closes the topic, and every producer and consumer on it reconnects. A
// redelivery is what a subscription shows after its broker crashed: a
// broker stores a subscription's acknowledgements in batches (at most once
// a second by default), so the broker that takes the topic over starts
// from the position stored last, and delivers again what was acknowledged
// after it. The grader makes that happen on purpose, by a given number of
// messages, by moving the subscription's cursor back.

// adminPatience is how long the grader retries an admin call of a fault:
// two faults on one topic (an unload while the cursor moves) refuse each
// other for a moment, as a topic being fenced refuses everything.
const adminPatience = 20 * time.Second

// retried calls op until it succeeds, fails with a 404 (which it returns
// at once: what is missing is not the grader's to wait for), or patience
// runs out.
func retried(op func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminPatience)
	defer cancel()
	for {
		err := op(ctx)
		if err == nil || checks.PulsarNotFound(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// cursor is where a subscription stands on a topic, from the broker's
// internal statistics: its mark-delete position (every entry up to it is
// acknowledged) and the topic's ledgers, oldest first, with their entry
// counts.
type cursor struct {
	acked   int64 // entries up to and including the mark-delete position
	ledgers []ledger
}

type ledger struct{ id, entries int64 }

// readCursor reads sub's cursor on topic. A subscription that does not
// exist yet has acknowledged nothing.
func readCursor(ctx context.Context, env *checks.Env, topic, sub string) (cursor, error) {
	tn, err := utils.GetTopicName(topic)
	if err != nil {
		return cursor{}, err
	}
	st, err := env.Pulsar.Admin.Topics().GetInternalStatsWithContext(ctx, *tn)
	if err != nil {
		return cursor{}, err
	}
	cs, ok := st.Cursors[sub]
	if !ok {
		return cursor{}, nil
	}
	return cursorOf(st.Ledgers, st.CurrentLedgerEntries, cs.MarkDeletePosition)
}

// cursorOf counts the entries up to a mark-delete position "ledger:entry".
// The topic's last ledger is still open: its entry count is the current
// one, not the (zero) count the ledger list has for it.
func cursorOf(infos []utils.LedgerInfo, current int64, markDelete string) (cursor, error) {
	l, e, err := position(markDelete)
	if err != nil {
		return cursor{}, err
	}
	c := cursor{}
	for i, li := range infos {
		n := li.Entries
		if i == len(infos)-1 && n == 0 {
			n = current
		}
		c.ledgers = append(c.ledgers, ledger{li.LedgerID, n})
		switch {
		case li.LedgerID < l:
			c.acked += n
		case li.LedgerID == l:
			c.acked += e + 1
		}
	}
	return c, nil
}

// position parses "ledger:entry".
func position(s string) (ledgerID, entryID int64, err error) {
	a, b, ok := strings.Cut(s, ":")
	if ok {
		ledgerID, err = strconv.ParseInt(a, 10, 64)
		if err == nil {
			entryID, err = strconv.ParseInt(b, 10, 64)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("a cursor position %q is not ledger:entry", s)
	}
	return ledgerID, entryID, nil
}

// back is the position n acknowledged entries back: resetting the cursor
// there delivers those n entries again (or every acknowledged entry, when
// fewer were).
func (c cursor) back(n int64) (utils.MessageID, int64) {
	n = min(n, c.acked)
	idx := c.acked - n // the index of the first entry to deliver again
	for _, l := range c.ledgers {
		if idx < l.entries {
			return utils.MessageID{LedgerID: l.id, EntryID: idx, PartitionIndex: -1}, n
		}
		idx -= l.entries
	}
	return utils.Earliest, n
}

// keepAcknowledged gives every topic a Pulsar fault touches a retention
// policy. Without one, a broker deletes a ledger once no subscription
// needs it, and an unloaded topic starts a new ledger: what a subscription
// acknowledged would be gone, with nothing for a redelivery to deliver
// again, and an output topic nobody subscribes to would lose everything
// written before its last unload, before the checks read it. A broker that
// crashed with acknowledgements not yet stored has not deleted their ledger
// either: keeping it is what makes the grader's redelivery the crash's.
func (f *fleet) keepAcknowledged(ctx context.Context) error {
	keep := utils.RetentionPolicies{RetentionTimeInMinutes: 60, RetentionSizeInMB: 64}
	seen := map[string]bool{}
	for _, fault := range f.g.req.Exercise.Faults {
		name := fault.Topic
		switch {
		case fault.Unload != "":
			name = fault.Unload
		case fault.Redeliver == "":
			continue
		}
		topic := f.g.values[name]
		if seen[topic] {
			continue
		}
		seen[topic] = true
		tn, err := utils.GetTopicName(topic)
		if err != nil {
			return err
		}
		topics := f.g.env.Pulsar.Admin.Topics()
		err = retried(func(ctx context.Context) error { return topics.SetRetentionWithContext(ctx, *tn, keep) })
		if err != nil {
			return fmt.Errorf("keeping the messages of %s through the faults: %w", topic, err)
		}
		// A topic's policies reach its broker shortly after they are set.
		err = retried(func(ctx context.Context) error {
			got, err := topics.GetRetentionWithContext(ctx, *tn, true)
			if err == nil && (got == nil || *got != keep) {
				err = errors.New("the retention policy has not reached the topic yet")
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("keeping the messages of %s through the faults: %w", topic, err)
		}
	}
	return nil
}

// unload unloads the fault's topic Times times, Every apart, in the
// background, stopping early when the program has ended.
func (f *fleet) unload(fr *firing) {
	f.background.Add(1)
	go func() {
		defer f.background.Done()
		fault := fr.fault
		topic := f.g.values[fault.Unload]
		var done []string
		var problem string
		for i := range fault.Times {
			if i > 0 {
				select {
				case <-f.over:
				case <-time.After(fault.Every):
				}
				select {
				case <-f.over:
					problem = fmt.Sprintf("stopped after %d of %d: the program had ended", i, fault.Times)
				default:
				}
				if problem != "" {
					break
				}
			}
			at := time.Since(f.began)
			err := f.unloadOnce(topic)
			if checks.PulsarNotFound(err) {
				problem = fmt.Sprintf("unload %d of %d: %s did not exist", i+1, fault.Times, topic)
				break
			}
			if err != nil {
				// The grader could not do its part: the cluster's error,
				// never the program's failure.
				problem = fmt.Sprintf("unload %d of %d failed: %v", i+1, fault.Times, err)
				f.stop(fmt.Errorf("the grader could not unload %s: %w", topic, err))
				break
			}
			done = append(done, at.Round(10*time.Millisecond).String())
		}
		after := fmt.Sprintf("unloaded it at %s after the program started", strings.Join(done, ", "))
		if len(done) == 0 {
			after = "it was never unloaded"
		}
		if problem != "" {
			after += " (" + problem + ")"
		}
		f.backgroundDone(fr, after)
	}()
}

func (f *fleet) unloadOnce(topic string) error {
	tn, err := utils.GetTopicName(topic)
	if err != nil {
		return err
	}
	return retried(func(ctx context.Context) error {
		return f.g.env.Pulsar.Admin.Topics().UnloadWithContext(ctx, *tn)
	})
}

// redeliver moves the fault's subscription back by Count acknowledged
// entries.
func (f *fleet) redeliver(fr *firing) {
	f.background.Add(1)
	go func() {
		defer f.background.Done()
		fault := fr.fault
		topic, sub := f.g.values[fault.Topic], f.g.values[fault.Redeliver]
		var after string
		err := retried(func(ctx context.Context) (err error) {
			after, err = f.rewind(ctx, topic, sub, int64(fault.Count))
			return err
		})
		if err != nil {
			after = "it could not be moved: " + err.Error()
			f.stop(fmt.Errorf("the grader could not move %s back: %w", sub, err))
		}
		f.backgroundDone(fr, after)
	}()
}

func (f *fleet) rewind(ctx context.Context, topic, sub string, n int64) (string, error) {
	env := f.g.env
	c, err := readCursor(ctx, env, topic, sub)
	if err != nil {
		return "", err
	}
	if c.acked == 0 {
		return "", errors.New("the subscription had acknowledged nothing yet")
	}
	to, moved := c.back(n)
	tn, err := utils.GetTopicName(topic)
	if err != nil {
		return "", err
	}
	if err := env.Pulsar.Admin.Subscriptions().ResetCursorToMessageIDWithContext(ctx, *tn, sub, to); err != nil {
		return "", err
	}
	what := fmt.Sprintf("the last %d messages it had acknowledged", moved)
	if moved < n {
		what = fmt.Sprintf("every message it had acknowledged (%d, fewer than %d)", moved, n)
	}
	return fmt.Sprintf("its cursor went back to %d:%d, so %s are delivered again (its consumers were disconnected and reconnect)", to.LedgerID, to.EntryID, what), nil
}
