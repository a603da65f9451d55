package catalogue

import (
	"github.com/streamlab/streamlab/containers"

	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/streamlab/streamlab/internal/checks"
	"go.yaml.in/yaml/v3"
)

// MaxInstances bounds `instances`: each copy of the program is a process
// tree, and a course machine may have two cores.
const MaxInstances = 8

// Fault is something the grader does while the learner's program runs,
// once its trigger holds. Each fault fires at most once.
//
// In exercise.yaml a fault is a mapping whose one type key says what it
// does (`kill: program`, `lose: acks`), with that type's own settings
// beside it and a `when:` trigger common to every type, so that later
// types (a rebalance, a broker restart) are new keys, not a new shape.
type Fault struct {
	// Kill is what a kill fault kills: "program" (SIGKILL to the whole
	// process tree of one instance), or "broker" (the Kafka broker, which
	// is always started again: see containers.BrokerRestarter).
	Kill string
	// Lose is what a lose fault loses: "acks", the broker's answers to the
	// program's produce requests, which the broker did act on.
	Lose string
	// Rebalance names the group variable a member of the grader's joins,
	// subscribed to the topic variable Topic; it holds the partitions it
	// is given for Hold, reads without committing, and leaves.
	Rebalance string
	Topic     string
	Hold      time.Duration
	// Unload names the Pulsar topic variable whose topic the grader
	// unloads Times times, Every apart: the broker closes it and the
	// clients reconnect to whichever broker loads it next.
	Unload string
	Every  time.Duration
	// Redeliver names the Pulsar subscription variable (on the topic
	// variable Topic) whose cursor the grader moves back by Count
	// acknowledged messages, so that they are delivered again.
	Redeliver string
	Count     int
	Instance  int // which instance, 0-based
	// Active, on a kill: program fault of a Pulsar exercise, picks the
	// instance to kill when the fault fires: the one whose consumer is the
	// subscription's active consumer (Failover, Exclusive).
	Active  *ActiveConsumer
	Restart bool // kill: start it again, with the same environment
	// Times is how many answers a lose fault withholds, one after another
	// from the moment its trigger holds, or how many times an unload
	// fault unloads.
	Times int
	// Required makes a fault that was never injected fail the run: for an
	// exercise the fault is the point of, a program that never gave it a
	// chance (produced with acks=0, exited before committing) has not
	// shown what the exercise asks.
	Required bool
	When     Trigger
	Line     int
}

// Type is the fault's type key.
func (f Fault) Type() string {
	switch {
	case f.Lose != "":
		return "lose"
	case f.Rebalance != "":
		return "rebalance"
	case f.Unload != "":
		return "unload"
	case f.Redeliver != "":
		return "redeliver"
	}
	return "kill"
}

// String says what the fault does, in a learner's words.
func (f Fault) String() string {
	if f.Rebalance != "" {
		return fmt.Sprintf("rebalance %s: a member of the grader's joins it on %s for %s, then leaves without committing, %s", f.Rebalance, f.Topic, f.Hold, f.When)
	}
	if f.Unload != "" {
		what := "once"
		if f.Times > 1 {
			what = fmt.Sprintf("%d times, %s apart", f.Times, f.Every)
		}
		return fmt.Sprintf("unload %s (its broker closes it; clients reconnect) %s, %s", f.Unload, what, f.When)
	}
	if f.Redeliver != "" {
		return fmt.Sprintf("move %s on %s back by %d acknowledged messages, so that they are delivered again, %s", f.Redeliver, f.Topic, f.Count, f.When)
	}
	if f.Lose != "" {
		what := "the acknowledgement of one produce request"
		if f.Times > 1 {
			what = fmt.Sprintf("the acknowledgements of %d produce requests", f.Times)
		}
		return fmt.Sprintf("lose %s to instance %d %s", what, f.Instance, f.When)
	}
	if f.Kill == "broker" {
		return fmt.Sprintf("restart the broker (killed, then started again on its data) %s", f.When)
	}
	s := fmt.Sprintf("kill instance %d of the program %s", f.Instance, f.When)
	if f.Active != nil {
		s = fmt.Sprintf("kill the instance whose consumer is %s's active one on %s %s", f.Active.Subscription, f.Active.Topic, f.When)
	}
	if f.Restart {
		s += ", then start it again"
	}
	return s
}

// ActiveConsumer names a subscription variable and the topic variable it
// is on.
type ActiveConsumer struct {
	Subscription string `yaml:"subscription"`
	Topic        string `yaml:"topic"`
}

// Trigger is when a fault fires: exactly one of its fields is set.
//
// After, Records and Committed are conditions the grader polls the
// cluster for. Produce and Commit are moments in the program's own
// conversation with the broker, seen through a proxy the program's
// instance connects through: the fault acts on the broker's answer before
// the program reads it, so it lands at the same point of the program's
// work in every run, not wherever a poll happens to fall.
type Trigger struct {
	After     time.Duration // since the program (all its instances) started
	Records   *RecordsTrigger
	Committed *CommittedTrigger
	Produce   *ProduceTrigger
	Commit    *CommitTrigger
	// EndTransaction holds at the broker's answer to the instance's
	// AtLeast-th committed transaction (EndTxn with commit).
	EndTransaction *EndTransactionTrigger
	// Acknowledged is polled on Pulsar.
	Acknowledged *AcknowledgedTrigger
}

// AcknowledgedTrigger holds once the Pulsar subscription named by the
// variable Subscription has acknowledged at least AtLeast entries of
// Topic, counted up to its cursor's mark-delete position (every entry
// before the first it has not acknowledged). An entry is one message
// unless its producer batched.
type AcknowledgedTrigger struct {
	Subscription string `yaml:"subscription"`
	Topic        string `yaml:"topic"`
	AtLeast      int64  `yaml:"at_least"`
}

// EndTransactionTrigger counts the transactions an instance committed.
type EndTransactionTrigger struct {
	AtLeast int64 `yaml:"at_least"`
}

// Proxied reports whether the trigger is a moment seen through the proxy.
func (t Trigger) Proxied() bool {
	return t.Produce != nil || t.Commit != nil || t.EndTransaction != nil
}

func (t Trigger) String() string {
	switch {
	case t.Records != nil:
		return fmt.Sprintf("once %s holds at least %d records", t.Records.Topic, t.Records.AtLeast)
	case t.Committed != nil:
		return fmt.Sprintf("once %s has committed at least %d offsets on %s", t.Committed.Group, t.Committed.AtLeast, t.Committed.Topic)
	case t.Produce != nil:
		return fmt.Sprintf("as the broker accepts the produce request that brings the records it wrote to %s to at least %d", t.Produce.Topic, t.Produce.AtLeast)
	case t.Commit != nil && t.Commit.BeforeStored():
		return fmt.Sprintf("as it sends the commit that would bring %s's offsets on %s to at least %d, before the broker stores it", t.Commit.Group, t.Commit.Topic, t.Commit.AtLeast)
	case t.Commit != nil:
		return fmt.Sprintf("as the broker accepts the commit that brings %s's offsets on %s to at least %d", t.Commit.Group, t.Commit.Topic, t.Commit.AtLeast)
	case t.EndTransaction != nil:
		return fmt.Sprintf("as the broker commits its transaction number %d", t.EndTransaction.AtLeast)
	case t.Acknowledged != nil:
		return fmt.Sprintf("once %s has acknowledged at least %d messages of %s", t.Acknowledged.Subscription, t.Acknowledged.AtLeast, t.Acknowledged.Topic)
	}
	return fmt.Sprintf("%s after the program started", t.After)
}

// RecordsTrigger holds once the Kafka topic named by the variable Topic
// holds at least AtLeast records (counted by offsets, up to the last
// stable offset, so transaction markers count too).
type RecordsTrigger struct {
	Topic   string `yaml:"topic"`
	AtLeast int64  `yaml:"at_least"`
}

// CommittedTrigger holds once the group named by the variable Group has
// committed offsets on Topic's partitions that sum to at least AtLeast.
type CommittedTrigger struct {
	Group   string `yaml:"group"`
	Topic   string `yaml:"topic"`
	AtLeast int64  `yaml:"at_least"`
}

// ProduceTrigger holds at the broker's answer to the instance's produce
// request that brings the records the instance has written to Topic
// (every run of it, counted as the broker accepted them) to AtLeast.
type ProduceTrigger struct {
	Topic   string `yaml:"topic"`
	AtLeast int64  `yaml:"at_least"`
}

// CommitTrigger holds at the broker's answer to the instance's offset
// commit (plain, or inside a transaction) that brings the sum of the
// offsets it has committed for Group on Topic's partitions to AtLeast.
// With stored: false it holds as the instance sends that (plain) commit,
// before the broker has it: a kill then drops the commit with the
// program, the moment between "my output is safe" and "my position is
// saved" that only idempotent output survives.
type CommitTrigger struct {
	Group   string `yaml:"group"`
	Topic   string `yaml:"topic"`
	AtLeast int64  `yaml:"at_least"`
	Stored  *bool  `yaml:"stored"`
}

// BeforeStored reports whether the trigger holds as the commit is sent.
func (t CommitTrigger) BeforeStored() bool { return t.Stored != nil && !*t.Stored }

// faultTypes are the keys that name a fault's type, with the settings a
// fault of that type may have besides `when`.
var faultTypes = map[string][]string{
	"kill": {"instance", "restart", "active"},
	"lose": {"instance", "times"},
	// rebalance: GROUP, with the topic its member subscribes to.
	"rebalance": {"topic", "hold"},
	// unload: TOPIC (Pulsar).
	"unload": {"times", "every"},
	// redeliver: SUBSCRIPTION (Pulsar), on a topic.
	"redeliver": {"topic", "count"},
}

// commonSettings are the settings of every fault type.
var commonSettings = []string{"when", "required"}

func knownFaults() string {
	names := make([]string, 0, len(faultTypes))
	for k := range faultTypes {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// rawFault holds the settings of every type; parseFault reports a
// setting that is not its type's.
type rawFault struct {
	Kill      string    `yaml:"kill"`
	Lose      string    `yaml:"lose"`
	Rebalance string    `yaml:"rebalance"`
	Topic     string    `yaml:"topic"`
	Hold      string    `yaml:"hold"`
	Unload    string    `yaml:"unload"`
	Every     string    `yaml:"every"`
	Redeliver string    `yaml:"redeliver"`
	Count     *int      `yaml:"count"`
	Instance  *int      `yaml:"instance"`
	Restart   *bool     `yaml:"restart"`
	Active    yaml.Node `yaml:"active"`
	Times     *int      `yaml:"times"`
	Required  bool      `yaml:"required"`
	When      yaml.Node `yaml:"when"`
}

type rawWhen struct {
	After     yaml.Node `yaml:"after"`
	Records   yaml.Node `yaml:"records"`
	Committed yaml.Node `yaml:"committed"`
	Produce   yaml.Node `yaml:"produce"`
	Commit    yaml.Node `yaml:"commit"`
	EndTxn    yaml.Node `yaml:"end_transaction"`
	Acked     yaml.Node `yaml:"acknowledged"`
}

const triggerNames = "after, records, committed, produce, commit, end_transaction (Kafka) or acknowledged (Pulsar)"

// parseFaults reads `faults:` for a spec whose variables and instance
// count are known, adding every problem to c.
func parseFaults(file string, nodes []yaml.Node, s *Spec, vars map[string]Variable, c *collector) {
	for i := range nodes {
		n := &nodes[i]
		if f, ok := parseFault(file, n, s, vars, c); ok {
			s.Faults = append(s.Faults, f)
		}
	}
}

func parseFault(file string, n *yaml.Node, s *Spec, vars map[string]Variable, c *collector) (Fault, bool) {
	f := Fault{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		c.add(file, n.Line, "a fault is a mapping such as {kill: program, when: {after: 2s}} (known faults: %s)", knownFaults())
		return f, false
	}
	settings := map[string]bool{}
	for _, k := range commonSettings {
		settings[k] = true
	}
	for _, ks := range faultTypes {
		for _, k := range ks {
			settings[k] = true
		}
	}
	var types []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if _, ok := faultTypes[k.Value]; ok && (len(types) == 0 || types[0].Value != k.Value) {
			types = append(types, k) // a type given twice is StrictDecode's to report
		}
	}
	switch {
	case len(types) == 0:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; !settings[k.Value] {
				c.add(file, k.Line, "unknown fault %q (known faults: %s)", k.Value, knownFaults())
				return f, false
			}
		}
		c.add(file, n.Line, "the fault does not say what it does: give one of %s", knownFaults())
		return f, false
	case len(types) > 1:
		c.add(file, types[1].Line, "one fault does one thing: %q and %q are two faults, so list them separately", types[0].Value, types[1].Value)
		return f, false
	}

	typ := types[0].Value
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Value != typ && settings[k.Value] && !slices.Contains(faultTypes[typ], k.Value) && !slices.Contains(commonSettings, k.Value) {
			c.add(file, k.Line, "%s is not a setting of a %s fault (a %s fault has: %s)", k.Value, typ, typ, strings.Join(append(slices.Clone(faultTypes[typ]), commonSettings...), ", "))
			return f, false
		}
	}
	var raw rawFault
	if err := checks.StrictDecode(n, &raw); err != nil {
		addErr(c, file, 0, err)
		return f, false
	}
	ok := true
	f.Kill, f.Lose, f.Required = raw.Kill, raw.Lose, raw.Required
	switch typ {
	case "kill":
		switch raw.Kill {
		case "program":
		case "broker":
			if !s.Uses(containers.Kafka) {
				c.add(file, types[0].Line, "kill: broker restarts a Kafka broker, and this is a %s exercise", s.Cluster)
				ok = false
			}
			if raw.Instance != nil {
				c.add(file, keyLine(n, "instance"), "instance is for kill: program; a broker has no instances")
				ok = false
			}
			if raw.Restart != nil && !*raw.Restart {
				c.add(file, keyLine(n, "restart"), "a broker the grader kills is always started again: restart: false is for kill: program")
				ok = false
			}
		default:
			c.add(file, types[0].Line, "kill must be program or broker, not %q", raw.Kill)
			ok = false
		}
		f.Restart = raw.Restart == nil || *raw.Restart
		if raw.Active.Kind != 0 {
			f.Active, ok = parseActive(file, n, &raw.Active, raw, s, vars, c, ok)
		}
	case "lose":
		if raw.Lose != "acks" {
			c.add(file, types[0].Line, "lose must be acks, not %q", raw.Lose)
			ok = false
		}
		f.Times = 1
		if raw.Times != nil {
			f.Times = *raw.Times
			within(file, keyLine(n, "times"), "times", f.Times, 1, 100, c, &ok)
		}
	case "rebalance":
		f.Rebalance, f.Topic, f.Hold = raw.Rebalance, raw.Topic, 3*time.Second
		if !s.Uses(containers.Kafka) {
			c.add(file, types[0].Line, "rebalance joins a Kafka consumer group, and this is a %s exercise", s.Cluster)
			ok = false
		}
		mustBe(file, types[0].Line, vars, raw.Rebalance, KindGroup, fmt.Sprintf("rebalance %q must name a group variable", raw.Rebalance), c, &ok)
		mustBe(file, types[0].Line, vars, raw.Topic, KindTopic, fmt.Sprintf("a rebalance needs topic: the topic variable its member subscribes to (got %q)", raw.Topic), c, &ok)
		if raw.Hold != "" {
			d, err := time.ParseDuration(raw.Hold)
			if err != nil || d <= 0 || d > time.Minute {
				c.add(file, keyLine(n, "hold"), "hold %q must be a duration from 1ms to 1m, like 3s", raw.Hold)
				ok = false
			}
			f.Hold = d
		}
	case "unload":
		f.Unload, f.Times, f.Every = raw.Unload, 1, time.Second
		pulsarOnly(file, types[0], s, "unload moves a Pulsar topic between brokers", c, &ok)
		mustBe(file, types[0].Line, vars, raw.Unload, KindTopic, fmt.Sprintf("unload %q must name a topic variable", raw.Unload), c, &ok)
		if raw.Times != nil {
			f.Times = *raw.Times
			within(file, keyLine(n, "times"), "times", f.Times, 1, 20, c, &ok)
		}
		if raw.Every != "" {
			d, err := time.ParseDuration(raw.Every)
			if err != nil || d < 100*time.Millisecond || d > time.Minute {
				c.add(file, keyLine(n, "every"), "every %q must be a duration from 100ms to 1m, like 2s", raw.Every)
				ok = false
			}
			f.Every = d
		}
	case "redeliver":
		f.Redeliver, f.Topic, f.Count = raw.Redeliver, raw.Topic, 10
		pulsarOnly(file, types[0], s, "redeliver moves a Pulsar subscription's cursor", c, &ok)
		mustBe(file, types[0].Line, vars, raw.Redeliver, KindSubscription, fmt.Sprintf("redeliver %q must name a subscription variable", raw.Redeliver), c, &ok)
		mustBe(file, types[0].Line, vars, raw.Topic, KindTopic, fmt.Sprintf("a redeliver needs topic: the topic variable the subscription is on (got %q)", raw.Topic), c, &ok)
		if raw.Count != nil {
			f.Count = *raw.Count
			within(file, keyLine(n, "count"), "count", f.Count, 1, 10000, c, &ok)
		}
	}
	if raw.Instance != nil {
		f.Instance = *raw.Instance
		// s.Instances is 0 when instances itself is wrong: reported already.
		if s.Instances > 0 && (f.Instance < 0 || f.Instance >= s.Instances) {
			c.add(file, keyLine(n, "instance"), "instance %d does not exist: instances are numbered 0 to %d (instances: %d)", f.Instance, s.Instances-1, s.Instances)
			ok = false
		}
	}
	if raw.When.Kind == 0 {
		c.add(file, n.Line, "the fault has no when: give one trigger (%s)", triggerNames)
		return f, false
	}
	t, tok := parseTrigger(file, &raw.When, s, vars, c)
	f.When = t
	if tok && t.Commit != nil && t.Commit.BeforeStored() && (typ != "kill" || raw.Kill != "program") {
		// Only the program can be stopped before its request goes out.
		c.add(file, keyLine(n, "when"), "a commit trigger with stored: false kills the program as it sends the commit, so its fault must be kill: program")
		ok = false
	}
	if tok && typ == "lose" && t.Produce == nil {
		// Only a produce answer can be withheld at a known moment.
		c.add(file, keyLine(n, "when"), "lose: acks acts on the answers to produce requests, so its trigger must be produce")
		ok = false
	}
	return f, ok && tok
}

func parseTrigger(file string, n *yaml.Node, s *Spec, vars map[string]Variable, c *collector) (Trigger, bool) {
	var t Trigger
	var raw rawWhen
	if n.Kind != yaml.MappingNode {
		c.add(file, n.Line, "when must be a mapping with one trigger: %s", triggerNames)
		return t, false
	}
	if err := checks.StrictDecode(n, &raw); err != nil {
		addErr(c, file, 0, err)
		return t, false
	}
	var given []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		given = append(given, n.Content[i])
	}
	switch len(given) {
	case 0:
		c.add(file, n.Line, "when is empty: give one trigger (%s)", triggerNames)
		return t, false
	case 1:
	default:
		c.add(file, given[1].Line, "when has two triggers (%s and %s): a fault fires on one, so give one", given[0].Value, given[1].Value)
		return t, false
	}
	ok := true
	clusterOf := func(k *yaml.Node) {
		if k.Value == "acknowledged" {
			pulsarOnly(file, k, s, "an acknowledged trigger reads a Pulsar subscription", c, &ok)
			return
		}
		if !s.Uses(containers.Kafka) {
			c.add(file, k.Line, "a %s trigger reads Kafka, and this is a %s exercise", k.Value, s.Cluster)
			ok = false
		}
	}
	varOf := func(m *yaml.Node, key, name, kind string) {
		if vars[name].Kind != kind {
			what := "the spec declares no such variable"
			if v, declared := vars[name]; declared {
				what = "it is a variable of kind " + v.Kind
			}
			c.add(file, keyLine(m, key), "%s %q must be a %s variable: %s", key, name, kind, what)
			ok = false
		}
	}
	atLeast := func(m *yaml.Node, n int64) {
		if n < 1 {
			c.add(file, keyLine(m, "at_least"), "at_least must be 1 or more")
			ok = false
		}
	}
	key := given[0]
	// Every trigger but after reads the cluster (acknowledged Pulsar, the
	// others Kafka), from settings of its own.
	decode := func(n *yaml.Node, into any) bool {
		if err := checks.StrictDecode(n, into); err != nil {
			addErr(c, file, 0, err)
			return false
		}
		clusterOf(key)
		return true
	}
	switch key.Value {
	case "after":
		d, err := time.ParseDuration(raw.After.Value)
		if raw.After.Kind != yaml.ScalarNode || err != nil || d <= 0 {
			c.add(file, raw.After.Line, "after %q is not a duration like 2s or 500ms", raw.After.Value)
			return t, false
		}
		t.After = d
	case "records":
		var r RecordsTrigger
		if !decode(&raw.Records, &r) {
			return t, false
		}
		varOf(&raw.Records, "topic", r.Topic, KindTopic)
		atLeast(&raw.Records, r.AtLeast)
		t.Records = &r
	case "committed":
		var r CommittedTrigger
		if !decode(&raw.Committed, &r) {
			return t, false
		}
		varOf(&raw.Committed, "group", r.Group, KindGroup)
		varOf(&raw.Committed, "topic", r.Topic, KindTopic)
		atLeast(&raw.Committed, r.AtLeast)
		t.Committed = &r
	case "produce":
		var r ProduceTrigger
		if !decode(&raw.Produce, &r) {
			return t, false
		}
		varOf(&raw.Produce, "topic", r.Topic, KindTopic)
		atLeast(&raw.Produce, r.AtLeast)
		t.Produce = &r
	case "commit":
		var r CommitTrigger
		if !decode(&raw.Commit, &r) {
			return t, false
		}
		varOf(&raw.Commit, "group", r.Group, KindGroup)
		varOf(&raw.Commit, "topic", r.Topic, KindTopic)
		atLeast(&raw.Commit, r.AtLeast)
		t.Commit = &r
	case "end_transaction":
		var r EndTransactionTrigger
		if !decode(&raw.EndTxn, &r) {
			return t, false
		}
		atLeast(&raw.EndTxn, r.AtLeast)
		t.EndTransaction = &r
	case "acknowledged":
		var r AcknowledgedTrigger
		if !decode(&raw.Acked, &r) {
			return t, false
		}
		varOf(&raw.Acked, "subscription", r.Subscription, KindSubscription)
		varOf(&raw.Acked, "topic", r.Topic, KindTopic)
		atLeast(&raw.Acked, r.AtLeast)
		t.Acknowledged = &r
	}
	return t, ok
}

// parseActive reads a kill fault's active: {subscription, topic}.
func parseActive(file string, fault, n *yaml.Node, raw rawFault, s *Spec, vars map[string]Variable, c *collector, ok bool) (*ActiveConsumer, bool) {
	line := keyLine(fault, "active")
	switch {
	case raw.Kill != "program":
		c.add(file, line, "active picks which instance of the program to kill; a broker has none")
		return nil, false
	case raw.Instance != nil:
		c.add(file, line, "give instance or active, not both: active picks the instance when the fault fires")
		return nil, false
	}
	pulsarOnly(file, &yaml.Node{Line: line}, s, "active reads a Pulsar subscription's active consumer", c, &ok)
	var a ActiveConsumer
	if err := checks.StrictDecode(n, &a); err != nil {
		addErr(c, file, 0, err)
		return nil, false
	}
	if v, declared := vars[a.Subscription]; !declared || v.Kind != KindSubscription {
		c.add(file, keyLine(n, "subscription"), "active needs subscription: a subscription variable (got %q)", a.Subscription)
		ok = false
	}
	if v, declared := vars[a.Topic]; !declared || v.Kind != KindTopic {
		c.add(file, keyLine(n, "topic"), "active needs topic: the topic variable the subscription is on (got %q)", a.Topic)
		ok = false
	}
	return &a, ok
}

// mustBe reports msg at line unless name is a declared variable of kind.
func mustBe(file string, line int, vars map[string]Variable, name, kind, msg string, c *collector, ok *bool) {
	if v, declared := vars[name]; !declared || v.Kind != kind {
		c.add(file, line, "%s", msg)
		*ok = false
	}
}

// within reports a setting whose value is outside lo..hi.
func within(file string, line int, key string, v, lo, hi int, c *collector, ok *bool) {
	if v < lo || v > hi {
		c.add(file, line, "%s must be %d to %d, not %d", key, lo, hi, v)
		*ok = false
	}
}

// pulsarOnly reports a fault or trigger, at k, that only a Pulsar exercise
// can have; what says what it does.
func pulsarOnly(file string, k *yaml.Node, s *Spec, what string, c *collector, ok *bool) {
	if !s.Uses(containers.Pulsar) {
		c.add(file, k.Line, "%s, and this is a %s exercise", what, s.Cluster)
		*ok = false
	}
}
