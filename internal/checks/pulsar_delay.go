package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/streamlab/streamlab/internal/datagen"
)

// ---- pulsar.delayed-delivery
//
// When a message reaches a consumer can only be seen as it happens. So the
// check holds a consumer of its own on a Shared subscription (the broker
// delays messages only for Shared and Key_Shared ones), subscribed before
// the program starts, and notes when each message arrives. A message asked
// for DELAY after it was published is due at its publish time (stamped by
// the producing client) plus DELAY; the broker may hand it over up to one
// tick of its delay timer sooner (delayedDeliveryTickTimeMillis, 1 s by
// default, unless isDelayedDeliveryDeliverAtTimeStrict), and the clocks and
// millisecond stamps add a little more: that is the allowance.

func init() {
	register("pulsar.delayed-delivery", "pulsar", "a Shared subscription the grader holds from before the program runs receives every input line exactly once, none sooner than its publish time plus the delay variable",
		func(p delayParams) (Check, error) {
			if p.Topic == "" || p.Subscription == "" || p.Input == "" || p.Delay == "" {
				return nil, errors.New("needs topic, subscription, input and delay")
			}
			return p, nil
		})
}

// delaySlack is allowed on top of the broker's tick: publish times are
// whole milliseconds from the producer's clock, and the check's consumer
// takes a moment to hand a message over.
const delaySlack = 500 * time.Millisecond

// delaySettle is how long past every message's due time the check waits
// for stragglers before it judges.
const delaySettle = 2 * time.Second

type delayParams struct {
	Topic        string `yaml:"topic"`
	Subscription string `yaml:"subscription"` // the check's own, created before the program runs
	Input        string `yaml:"input"`
	Delay        string `yaml:"delay"` // a duration variable: how long each message is held
}

func (p delayParams) Vars() []string { return []string{p.Topic, p.Subscription, p.Input, p.Delay} }
func (p delayParams) Needs() string  { return "pulsar" }

// delivery is one message as the check's consumer received it.
type delivery struct {
	at        time.Time // when the consumer received it
	published time.Time
	value     []byte
}

// deliveries is what the check's consumer has received so far.
type deliveries struct {
	tick      time.Duration // the broker's delay timer: it may deliver this much early
	allowance time.Duration // tick and slack
	mu        sync.Mutex
	got       []delivery
	err       error
	deadline  time.Time // set by the first evaluation
}

func (w *deliveries) add(d delivery) {
	w.mu.Lock()
	w.got = append(w.got, d)
	w.mu.Unlock()
}

func (w *deliveries) snapshot() ([]delivery, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.got), w.err
}

type deliveriesKey struct{ p delayParams }

// Observe subscribes before the program runs and records every delivery.
func (p delayParams) Observe(ctx context.Context, env *Env) (func(), error) {
	tick, err := env.deliveryTick(ctx)
	if err != nil {
		return nil, err
	}
	topic, sub := env.Var(p.Topic), env.Var(p.Subscription)
	c, err := env.Pulsar.Client.Subscribe(pulsar.ConsumerOptions{
		Topic:                       topic,
		SubscriptionName:            sub,
		Type:                        pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
	})
	if err != nil {
		return nil, fmt.Errorf("subscribing to %s as %s: %w", topic, sub, err)
	}
	w := &deliveries{tick: tick, allowance: tick + delaySlack}
	env.remember(deliveriesKey{p}, func(any) any { return w })
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			m, err := c.Receive(rctx)
			if err != nil {
				if rctx.Err() == nil {
					w.mu.Lock()
					w.err = fmt.Errorf("receiving from %s: %w", topic, err)
					w.mu.Unlock()
				}
				return
			}
			w.add(delivery{at: time.Now(), published: m.PublishTime(), value: m.Payload()})
			_ = c.Ack(m)
		}
	}()
	return func() { cancel(); <-done; c.Close() }, nil
}

// deliveryTick is how much sooner than asked the broker may hand over a
// delayed message; an error when it cannot delay messages at all.
func (e *Env) deliveryTick(ctx context.Context) (time.Duration, error) {
	cfg, err := e.Pulsar.Admin.Brokers().GetRuntimeConfigurationsWithContext(ctx)
	if err != nil {
		// A cluster that keeps its configuration to itself: assume the defaults.
		return time.Second, nil
	}
	if cfg["delayedDeliveryEnabled"] == "false" {
		return 0, errors.New("the broker has delayed delivery turned off (delayedDeliveryEnabled=false): no program can pass this exercise on this cluster")
	}
	tick := time.Second
	if ms, err := strconv.Atoi(cfg["delayedDeliveryTickTimeMillis"]); err == nil && ms >= 0 {
		tick = time.Duration(ms) * time.Millisecond
	}
	if cfg["isDelayedDeliveryDeliverAtTimeStrict"] == "true" {
		tick = 0
	}
	return tick, nil
}

func (p delayParams) Evaluate(ctx context.Context, env *Env) Outcome {
	w, _ := env.remember(deliveriesKey{p}, func(old any) any { return old }).(*deliveries)
	if w == nil {
		return errored(errors.New("the check's consumer was not subscribed before the program ran"))
	}
	delayText := env.Var(p.Delay)
	delay, err := time.ParseDuration(delayText)
	if err != nil {
		return errored(fmt.Errorf("$%s is %q, not a duration", p.Delay, delayText))
	}
	topic, sub := env.Var(p.Topic), env.Var(p.Subscription)
	lines := datagen.Lines(env.Input(p.Input))

	// The program has ended, so every message it published is due by now
	// plus DELAY: wait until all have arrived, or that time has passed.
	w.mu.Lock()
	if w.deadline.IsZero() {
		w.deadline = time.Now().Add(delay + w.allowance + delaySettle)
	}
	deadline := w.deadline
	w.mu.Unlock()
	var published, held int64
	for {
		st, ok, err := env.topicStats(ctx, topic)
		if err != nil {
			return errored(err)
		}
		if !ok {
			return failed("Topic %s does not exist any more: was it deleted? The exercise expects to find it.", topic)
		}
		published, held = st.MsgCounterIn, st.Subscriptions[sub].MsgDelayed
		got, _ := w.snapshot()
		// Nothing published by the time the program ended: nothing will come.
		if published == 0 || (len(got) >= len(lines) && int64(len(got)) >= published) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return errored(fmt.Errorf("waiting for deliveries on %s: %w", topic, ctx.Err()))
		case <-time.After(200 * time.Millisecond):
		}
	}
	got, err := w.snapshot()
	if err != nil {
		return errored(err)
	}
	if len(got) == 0 {
		switch {
		case published == 0:
			return failed("Nothing was published to %s: publish every order of $%s to it.", topic, p.Input)
		case held > 0:
			return failed("None of the %d messages published to %s reached subscription %s within %s after your program ended: the broker still holds %d of them for later. Did you ask for a longer delay than $%s (%s)?",
				published, topic, sub, delay+w.allowance+delaySettle, held, p.Delay, delayText)
		}
		return failed("None of the %d messages published to %s reached subscription %s. Did your program consume them itself on $%s? It should only publish.", published, topic, sub, p.Subscription)
	}
	return judgeDelays(got, lines, delayInfo{delay: delay, tick: w.tick, allowance: w.allowance, held: held, topic: topic, sub: sub, delayVar: p.Delay})
}

// delayInfo is what judgeDelays needs to know besides the deliveries.
type delayInfo struct {
	delay           time.Duration
	tick, allowance time.Duration // the broker's timer tick; the tick and slack
	held            int64         // messages the broker still holds for later
	topic, sub      string
	delayVar        string
}

// judgeDelays finds the messages delivered sooner than asked, then
// compares what arrived with the input.
func judgeDelays(ds []delivery, lines []string, in delayInfo) Outcome {
	var early []string
	var soonest, latestEarly time.Duration = -1, 0
	for _, d := range ds {
		waited := d.at.Sub(d.published)
		if soonest < 0 || waited < soonest {
			soonest = waited
		}
		if waited < in.delay-in.allowance {
			early = append(early, fmt.Sprintf("%s after %s", messageName(d.value), seconds(waited)))
			latestEarly = max(latestEarly, waited)
		}
	}
	if len(early) > 0 {
		when := fmt.Sprintf("only %s at most after they were published, sooner than $%s (%s): the delay your program asks for is too short.", seconds(latestEarly), in.delayVar, in.delay)
		if latestEarly < in.allowance {
			when = fmt.Sprintf("as soon as they were published: the broker was not asked to hold them for $%s (%s).", in.delayVar, in.delay)
		}
		return failed("%d of %d messages reached subscription %s too early (%s): they were delivered %s Publish each message with DeliverAfter: $%s (or DeliverAt: now plus $%s), with $%s read as a duration, not as a number of milliseconds. Waiting in your program does not help: a message's time starts when it is published.",
			len(early), len(ds), in.sub, examples(early), when, in.delayVar, in.delayVar, in.delayVar)
	}
	values := make([][]byte, len(ds))
	for i, d := range ds {
		values[i] = d.value
	}
	if o := compareToInput(values, lines, "subscription "+in.sub); o.Status != Pass {
		if in.held > 0 {
			o.Message += fmt.Sprintf(" The broker still holds %d message%s for later: were they asked for a longer delay than $%s (%s)?", in.held, plural(int(in.held)), in.delayVar, in.delay)
		}
		return o
	}
	return passed("All %d orders reached subscription %s no sooner than $%s (%s) after they were published; the soonest after %s (allowing %s early for the broker's %s timer tick and the clocks).",
		len(lines), in.sub, in.delayVar, in.delay, seconds(soonest), in.allowance, in.tick)
}

// messageName names a message by its order_id, or by its text.
func messageName(value []byte) string {
	if id, ok := JSONField(value, "order_id"); ok {
		return id
	}
	return strings.TrimSpace(short(string(value)))
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
