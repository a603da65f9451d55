package checks

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/streamlab/streamlab/internal/datagen"
)

// The Pulsar primitives. Topics, subscriptions and namespaces are named by
// spec variable, as for Kafka.

func init() {
	register("pulsar.values-match-input", "pulsar", "a reader from the earliest position finds exactly the input lines (optionally only those with a field set)",
		func(p pulsarValuesParams) (Check, error) {
			if p.Topic == "" || p.Input == "" {
				return nil, errors.New("needs topic and input")
			}
			return p, nil
		})
	register("pulsar.subscription", "pulsar", "the subscription exists, with the given type and at least the given number of consumers",
		func(p subscriptionParams) (Check, error) {
			if p.Topic == "" || p.Subscription == "" {
				return nil, errors.New("needs topic and subscription")
			}
			if p.Type != "" && !validSubTypes[p.Type] {
				return nil, fmt.Errorf("subscription_type must be one of %s", strings.Join(sortedKeys(validSubTypes), ", "))
			}
			return p, nil
		})
	register("pulsar.subscription-drained", "pulsar", "the subscription delivered at least every input message and has no backlog",
		func(p drainedParams) (Check, error) {
			if p.Topic == "" || p.Subscription == "" {
				return nil, errors.New("needs topic and subscription")
			}
			return p, nil
		})
	register("pulsar.namespace-retention", "pulsar", "the namespace's own retention policy keeps at least the given time and size",
		func(p retentionParams) (Check, error) {
			if p.Namespace == "" || (p.Minutes == 0 && p.SizeMB == 0) {
				return nil, errors.New("needs namespace and minutes and/or size_mb")
			}
			return p, nil
		})
	register("pulsar.output-ids", "pulsar", "every input's field appears exactly once as an output message value",
		func(p outputIDsParams) (Check, error) {
			if p.Topic == "" || p.Input == "" || p.Field == "" {
				return nil, errors.New("needs topic, input and field")
			}
			return p, nil
		})
	register("pulsar.distinct-property", "pulsar", "output messages carry at least the given number of distinct values of a property",
		func(p distinctParams) (Check, error) {
			if p.Topic == "" || p.Property == "" || p.Min < 1 {
				return nil, errors.New("needs topic, property and min (at least 1)")
			}
			return p, nil
		})
	register("pulsar.key-affinity", "pulsar", "all output for one input group (e.g. a customer) carries one value of a property (e.g. the consumer)",
		func(p affinityParams) (Check, error) {
			if p.Topic == "" || p.Input == "" || p.Field == "" || p.GroupBy == "" || p.Property == "" {
				return nil, errors.New("needs topic, input, field, group_by and property")
			}
			return p, nil
		})
	register("pulsar.output-order", "pulsar", "within each input group, output arrives in the order of a numeric input field",
		func(p outputOrderParams) (Check, error) {
			if p.Topic == "" || p.Input == "" || p.Field == "" || p.GroupBy == "" || p.Order == "" {
				return nil, errors.New("needs topic, input, field, group_by and order")
			}
			return p, nil
		})
}

// ---- pulsar.values-match-input

type pulsarValuesParams struct {
	Topic string `yaml:"topic"`
	Input string `yaml:"input"`
	// Where keeps only the input lines whose field is true (e.g. poison).
	Where string `yaml:"where"`
	// OnMissing and OnDuplicates replace the generic hint after lines
	// that are missing or came more than once, naming the exercise's
	// mistake.
	OnMissing    string `yaml:"on_missing"`
	OnDuplicates string `yaml:"on_duplicates"`
	// AllowDuplicates passes a topic that holds every line, some more
	// than once, as at-least-once delivery may leave it.
	AllowDuplicates bool `yaml:"allow_duplicates"`
}

func (p pulsarValuesParams) Vars() []string { return []string{p.Topic, p.Input} }
func (p pulsarValuesParams) Needs() string  { return "pulsar" }

func (p pulsarValuesParams) Evaluate(ctx context.Context, env *Env) Outcome {
	msgs, o := env.messagesOf(ctx, p.Topic)
	if o != nil {
		return *o
	}
	var lines []string
	for _, l := range datagen.Lines(env.Input(p.Input)) {
		if p.Where == "" {
			lines = append(lines, l)
		} else if v, _ := JSONField([]byte(l), p.Where); v == "true" {
			lines = append(lines, l)
		}
	}
	values := make([][]byte, len(msgs))
	for i, m := range msgs {
		values[i] = m.Value
	}
	return compareLines(values, lines, env.Var(p.Topic), valuesParams{OnMissing: p.OnMissing, OnDuplicates: p.OnDuplicates, AllowDuplicates: p.AllowDuplicates})
}

// ---- pulsar.subscription

var validSubTypes = map[string]bool{"Exclusive": true, "Shared": true, "Failover": true, "Key_Shared": true}

type subscriptionParams struct {
	Topic        string `yaml:"topic"`
	Subscription string `yaml:"subscription"`
	Type         string `yaml:"subscription_type"`
	MinConsumers int    `yaml:"min_consumers"`
}

func (p subscriptionParams) Vars() []string { return []string{p.Topic, p.Subscription} }
func (p subscriptionParams) Needs() string  { return "pulsar" }

func (p subscriptionParams) Evaluate(ctx context.Context, env *Env) Outcome {
	topic, sub := env.Var(p.Topic), env.Var(p.Subscription)
	st, ok, err := env.topicStats(ctx, topic)
	if err != nil {
		return errored(err)
	}
	if !ok {
		return failed("Topic %s does not exist.", topic)
	}
	s, ok := st.Subscriptions[sub]
	if !ok {
		return failed("There is no subscription %s on %s. Subscribe with the name in $%s.%s", sub, topic, p.Subscription, otherSubs(st.Subscriptions))
	}
	var problems []string
	if p.Type != "" && s.SubType != p.Type {
		problems = append(problems, fmt.Sprintf("its type is %s, expected %s", orNone(s.SubType), p.Type))
	}
	if len(s.Consumers) < p.MinConsumers {
		problems = append(problems, fmt.Sprintf("it has %d consumer%s connected, expected at least %d", len(s.Consumers), plural(len(s.Consumers)), p.MinConsumers))
	}
	if len(problems) > 0 {
		return failed("Subscription %s exists, but %s.", sub, strings.Join(problems, "; "))
	}
	return passed("Subscription %s is %s with %d consumers.", sub, s.SubType, len(s.Consumers))
}

func orNone(s string) string {
	if s == "" {
		return "not reported"
	}
	return s
}

func otherSubs(subs map[string]utils.SubscriptionStats) string {
	if len(subs) == 0 {
		return ""
	}
	return " (the topic has: " + strings.Join(sortedKeys(subs), ", ") + ")"
}

// ---- pulsar.subscription-drained

type drainedParams struct {
	Topic        string `yaml:"topic"`
	Subscription string `yaml:"subscription"`
	// Input, when set, is how many messages the subscription must at least
	// have delivered: a subscription that starts at the latest position has
	// no backlog, yet has delivered nothing.
	Input string `yaml:"input"`
}

func (p drainedParams) Vars() []string { return nonEmpty(p.Topic, p.Subscription, p.Input) }
func (p drainedParams) Needs() string  { return "pulsar" }

func (p drainedParams) Evaluate(ctx context.Context, env *Env) Outcome {
	topic, sub := env.Var(p.Topic), env.Var(p.Subscription)
	st, ok, err := env.topicStats(ctx, topic)
	if err != nil {
		return errored(err)
	}
	if !ok {
		return failed("Topic %s does not exist.", topic)
	}
	s, ok := st.Subscriptions[sub]
	if !ok {
		return failed("There is no subscription %s on %s: nothing was consumed under the name in $%s.%s", sub, topic, p.Subscription, otherSubs(st.Subscriptions))
	}
	want := int64(0)
	if p.Input != "" {
		want = int64(len(env.Input(p.Input)))
	}
	// The delivery counter can fall a little short once consumers have
	// closed, and the broker forgets per-consumer ack times with them; the
	// subscription's own record that its mark-delete position advanced
	// survives. A subscription that started after everything was
	// published has delivered nothing and never advanced.
	delivered := s.MsgOutCounter >= want || s.LastMarkDeleteAdvancedTimestamp > 0
	switch {
	case !delivered && s.MsgBacklog == 0:
		return failed("Subscription %s has no backlog, but delivered only %d of the %d messages: it started after they were published, at the latest position. Subscribe from the earliest position (or before publishing).", sub, s.MsgOutCounter, want)
	case s.MsgBacklog > 0 && s.MsgOutCounter < want:
		return failed("Subscription %s delivered %d of %d messages; %d wait in its backlog.", sub, s.MsgOutCounter, want, s.MsgBacklog)
	case s.MsgBacklog > 0:
		return failed("Subscription %s still has a backlog of %d message%s: acknowledge every message once it is processed.", sub, s.MsgBacklog, plural(int(s.MsgBacklog)))
	}
	return passed("Subscription %s delivered every message and has no backlog.", sub)
}

// ---- pulsar.namespace-retention

type retentionParams struct {
	Namespace string `yaml:"namespace"`
	Minutes   int    `yaml:"minutes"`
	SizeMB    int64  `yaml:"size_mb"`
}

func (p retentionParams) Vars() []string { return []string{p.Namespace} }
func (p retentionParams) Needs() string  { return "pulsar" }

func (p retentionParams) Evaluate(ctx context.Context, env *Env) Outcome {
	ns := env.Var(p.Namespace)
	pol, err := env.Pulsar.Admin.Namespaces().GetRetentionWithContext(ctx, ns)
	if PulsarNotFound(err) {
		return failed("Namespace %s does not exist any more: was it deleted? The exercise expects to find it.", ns)
	}
	if err != nil {
		return errored(fmt.Errorf("reading retention of %s: %w", ns, err))
	}
	if pol == nil || (pol.RetentionTimeInMinutes == 0 && pol.RetentionSizeInMB == 0) {
		return failed("Namespace %s has no retention policy of its own, so acknowledged messages may be deleted at once. Set one: %s.", ns, wantRetention(p))
	}
	var problems []string
	if p.Minutes != 0 && pol.RetentionTimeInMinutes != -1 && pol.RetentionTimeInMinutes < p.Minutes {
		problems = append(problems, fmt.Sprintf("time is %s, expected at least %s", minutes(pol.RetentionTimeInMinutes), minutes(p.Minutes)))
	}
	if p.SizeMB != 0 && pol.RetentionSizeInMB != -1 && pol.RetentionSizeInMB < p.SizeMB {
		problems = append(problems, fmt.Sprintf("size is %d MB, expected at least %d MB", pol.RetentionSizeInMB, p.SizeMB))
	}
	if len(problems) > 0 {
		return failed("Namespace %s retains too little: %s.", ns, strings.Join(problems, "; "))
	}
	return passed("Namespace %s retains %s and %d MB.", ns, minutes(pol.RetentionTimeInMinutes), pol.RetentionSizeInMB)
}

func wantRetention(p retentionParams) string {
	var parts []string
	if p.Minutes != 0 {
		parts = append(parts, minutes(p.Minutes))
	}
	if p.SizeMB != 0 {
		parts = append(parts, fmt.Sprintf("%d MB", p.SizeMB))
	}
	return strings.Join(parts, " and ")
}

func minutes(m int) string {
	switch {
	case m == -1:
		return "forever"
	case m%(24*60) == 0:
		return fmt.Sprintf("%d days", m/(24*60))
	case m%60 == 0:
		return fmt.Sprintf("%d hours", m/60)
	}
	return fmt.Sprintf("%d minutes", m)
}

// ---- output joined to input: pulsar.output-ids, key-affinity, output-order

type outputIDsParams struct {
	Topic string `yaml:"topic"`
	Input string `yaml:"input"`
	Field string `yaml:"field"` // input field each output value names
}

func (p outputIDsParams) Vars() []string { return []string{p.Topic, p.Input} }
func (p outputIDsParams) Needs() string  { return "pulsar" }

func (p outputIDsParams) Evaluate(ctx context.Context, env *Env) Outcome {
	msgs, o := env.messagesOf(ctx, p.Topic)
	if o != nil {
		return *o
	}
	var ids []string
	for _, l := range datagen.Lines(env.Input(p.Input)) {
		id, _ := JSONField([]byte(l), p.Field)
		ids = append(ids, id)
	}
	values := make([][]byte, len(msgs))
	for i, m := range msgs {
		values[i] = []byte(strings.TrimSpace(string(m.Value)))
	}
	return compareToInput(values, ids, env.Var(p.Topic))
}

type distinctParams struct {
	Topic    string `yaml:"topic"`
	Property string `yaml:"property"`
	Min      int    `yaml:"min"`
}

func (p distinctParams) Vars() []string { return []string{p.Topic} }
func (p distinctParams) Needs() string  { return "pulsar" }

func (p distinctParams) Evaluate(ctx context.Context, env *Env) Outcome {
	msgs, o := env.messagesOf(ctx, p.Topic)
	if o != nil {
		return *o
	}
	counts := map[string]int{}
	missing := 0
	for _, m := range msgs {
		v, ok := m.Properties[p.Property]
		if !ok || v == "" {
			missing++
			continue
		}
		counts[v]++
	}
	if len(msgs) == 0 {
		return failed("Topic %s is empty.", env.Var(p.Topic))
	}
	if missing > 0 {
		return failed("%d of %d messages have no %q property: set it on every message you publish.", missing, len(msgs), p.Property)
	}
	if len(counts) < p.Min {
		return failed("Only %d distinct %s value%s did work (%s); expected at least %d. Are all consumers on the same subscription, and do they each take messages?",
			len(counts), p.Property, plural(len(counts)), shares(counts), p.Min)
	}
	return passed("%d distinct %s values did work (%s).", len(counts), p.Property, shares(counts))
}

func shares(counts map[string]int) string {
	keys := sortedKeys(counts)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + strconv.Itoa(counts[k])
	}
	return strings.Join(parts, ", ")
}

// joined maps each output message to the input line its value names.
type joinParams struct {
	Topic   string `yaml:"topic"`
	Input   string `yaml:"input"`
	Field   string `yaml:"field"`    // input field the output value names (order_id)
	GroupBy string `yaml:"group_by"` // input field that groups (customer_id)
}

type joined struct {
	group string
	line  string
	msg   Message
}

// read reads the output topic and joins each message to its input line;
// no joinable output at all is the learner's failure.
func (p joinParams) read(ctx context.Context, env *Env) ([]joined, *Outcome) {
	msgs, o := env.messagesOf(ctx, p.Topic)
	if o != nil {
		return nil, o
	}
	byID := map[string]string{}
	for _, l := range datagen.Lines(env.Input(p.Input)) {
		id, _ := JSONField([]byte(l), p.Field)
		byID[id] = l
	}
	var out []joined
	for _, m := range msgs {
		// An output names its input by the id alone, or is a JSON object
		// that carries it. Values that name no input are output-ids' to
		// report.
		id := strings.TrimSpace(string(m.Value))
		if f, ok := JSONField(m.Value, p.Field); ok {
			id = f
		}
		if l, ok := byID[id]; ok {
			g, _ := JSONField([]byte(l), p.GroupBy)
			out = append(out, joined{group: g, line: l, msg: m})
		}
	}
	if len(out) == 0 {
		o := failed("Topic %s has no output naming an input %s.", env.Var(p.Topic), p.Field)
		return nil, &o
	}
	return out, nil
}

func (p joinParams) Vars() []string { return []string{p.Topic, p.Input} }
func (p joinParams) Needs() string  { return "pulsar" }

type affinityParams struct {
	joinParams `yaml:",inline"`
	Property   string `yaml:"property"`
}

func (p affinityParams) Evaluate(ctx context.Context, env *Env) Outcome {
	js, o := p.read(ctx, env)
	if o != nil {
		return *o
	}
	handlers := map[string]map[string]bool{}
	for _, j := range js {
		if handlers[j.group] == nil {
			handlers[j.group] = map[string]bool{}
		}
		handlers[j.group][j.msg.Properties[p.Property]] = true
	}
	var split []string
	for g, hs := range handlers {
		if len(hs) > 1 {
			split = append(split, fmt.Sprintf("%s by %s", g, strings.Join(sortedKeys(hs), " and ")))
		}
	}
	if len(split) > 0 {
		return failed("%d of %d %s values were handled by more than one %s (%s). A Key_Shared subscription sends each message key to one consumer — but a consumer that connects while messages flow takes keys over from the others. Connect every consumer with a fixed (sticky) hash range, and make sure messages are keyed by %s.",
			len(split), len(handlers), p.GroupBy, p.Property, examples(split), p.GroupBy)
	}
	return passed("Each of %d %s values was handled by a single %s.", len(handlers), p.GroupBy, p.Property)
}

type outputOrderParams struct {
	joinParams `yaml:",inline"`
	Order      string `yaml:"order"`
}

func (p outputOrderParams) Evaluate(ctx context.Context, env *Env) Outcome {
	js, o := p.read(ctx, env)
	if o != nil {
		return *o
	}
	last := map[string]float64{}
	var bad []string
	for _, j := range js {
		s, _ := JSONField([]byte(j.line), p.Order)
		n, _ := strconv.ParseFloat(s, 64)
		if prev, ok := last[j.group]; ok && n <= prev {
			bad = append(bad, fmt.Sprintf("%s: %s %s after %s", j.group, p.Order, s, strconv.FormatFloat(prev, 'f', -1, 64)))
		}
		last[j.group] = n
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return failed("Output is out of %s order in %d place%s (%s). Each key's messages must be handled one after another, in order.", p.Order, len(bad), plural(len(bad)), examples(bad))
	}
	return passed("Every %s's output is in %s order.", p.GroupBy, p.Order)
}
