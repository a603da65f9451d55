package checks

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The Kafka primitives. Each names its topic (or group) by spec variable,
// so the spec says `topic: TOPIC` and the check reads this run's topic.

func init() {
	register("kafka.topic", "kafka", "the topic exists with the given partitions, replication factor and topic-level configs",
		func(p topicParams) (Check, error) {
			if p.Topic == "" {
				return nil, errors.New("topic: name the variable holding the topic (for example TOPIC)")
			}
			return p, nil
		})
	register("kafka.record-count", "kafka", "the topic holds exactly the expected number of records",
		func(p countParams) (Check, error) {
			if p.Topic == "" || (p.Input == "") == (p.Count == nil) {
				return nil, errors.New("needs topic, and exactly one of input (a variable) or count")
			}
			return p, nil
		})
	register("kafka.values-match-input", "kafka", "the record values are the input lines: none lost, none duplicated, none extra",
		func(p valuesParams) (Check, error) {
			if p.Topic == "" || p.Input == "" {
				return nil, errors.New("needs topic and input")
			}
			return p, nil
		})
	register("kafka.keys-match-field", "kafka", "every record's key equals a field of its JSON value",
		func(p keyFieldParams) (Check, error) {
			if p.Topic == "" || p.Field == "" {
				return nil, errors.New("needs topic and field")
			}
			return p, nil
		})
	register("kafka.key-colocated", "kafka", "all records of one key (or one value field) are in one partition",
		func(p colocatedParams) (Check, error) {
			if p.Topic == "" {
				return nil, errors.New("needs topic")
			}
			return p, nil
		})
	register("kafka.per-key-order", "kafka", "within each key, a numeric field increases in offset order",
		func(p orderParams) (Check, error) {
			if p.Topic == "" || p.Order == "" {
				return nil, errors.New("needs topic and order (the field that must increase)")
			}
			return p, nil
		})
	register("kafka.latest-per-key", "kafka", "the latest value of each key equals an aggregate of the input",
		func(p latestParams) (Check, error) {
			if p.Topic == "" || p.Input == "" || p.GroupBy == "" {
				return nil, errors.New("needs topic, input and group_by")
			}
			if _, ok := aggregates[p.Aggregate]; !ok {
				return nil, fmt.Errorf("aggregate must be one of %s", strings.Join(sortedKeys(aggregates), ", "))
			}
			if p.Aggregate != "count" && p.Field == "" {
				return nil, fmt.Errorf("aggregate %s needs field", p.Aggregate)
			}
			return p, nil
		})
	register("kafka.group-caught-up", "kafka", "the consumer group has committed the end offset of every partition",
		func(p groupParams) (Check, error) {
			if p.Group == "" || p.Topic == "" {
				return nil, errors.New("needs group and topic")
			}
			return p, nil
		})
}

// records reads a topic named by a variable; a missing topic is the
// learner's to fix, anything else is the cluster's.
func (e *Env) records(ctx context.Context, topicVar string) ([]Record, *Outcome) {
	topic := e.Var(topicVar)
	recs, err := e.ReadTopic(ctx, topic)
	if errors.Is(err, errNoTopic) {
		o := failed("Topic %s does not exist. Did your program use the topic name from $%s?", topic, topicVar)
		return nil, &o
	}
	if err != nil {
		o := errored(err)
		return nil, &o
	}
	return recs, nil
}

// ---- kafka.topic

// topicSettle is how long a topic the program created may take to appear
// in the metadata a broker serves: with KRaft, CreateTopics is answered
// once the controller committed it, and brokers learn of it a moment later
// (longer on a broker that has just started on a cold JVM).
const topicSettle = 1500 * time.Millisecond

// describeSettled describes a topic, asking again for topicSettle while the
// broker says it does not exist.
func describeSettled(ctx context.Context, adm *kadm.Client, topic string) (kadm.TopicDetail, bool, error) {
	deadline := time.Now().Add(topicSettle)
	for {
		details, err := adm.ListTopics(ctx, topic)
		if err != nil {
			return kadm.TopicDetail{}, false, err
		}
		d, ok := details[topic]
		if ok && !errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			return d, true, d.Err
		}
		if time.Now().After(deadline) {
			return d, false, nil
		}
		select {
		case <-ctx.Done():
			return d, false, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type topicParams struct {
	Topic             string            `yaml:"topic"`
	Partitions        int               `yaml:"partitions"`
	ReplicationFactor int               `yaml:"replication_factor"`
	Configs           map[string]string `yaml:"configs"`
}

func (p topicParams) Vars() []string { return []string{p.Topic} }
func (p topicParams) Needs() string  { return "kafka" }

func (p topicParams) Evaluate(ctx context.Context, env *Env) Outcome {
	topic := env.Var(p.Topic)
	adm := env.admin()
	d, found, err := describeSettled(ctx, adm, topic)
	if err != nil {
		return errored(fmt.Errorf("describing topic %s: %w", topic, err))
	}
	if !found {
		return failed("Topic %s does not exist. Create it with the name in $%s.", topic, p.Topic)
	}
	if d.Err != nil {
		return errored(fmt.Errorf("describing topic %s: %w", topic, d.Err))
	}
	var problems []string
	if p.Partitions > 0 && len(d.Partitions) != p.Partitions {
		problems = append(problems, fmt.Sprintf("it has %d partition%s, expected %d", len(d.Partitions), plural(len(d.Partitions)), p.Partitions))
	}
	if p.ReplicationFactor > 0 {
		if rf := d.Partitions.NumReplicas(); rf != p.ReplicationFactor {
			problems = append(problems, fmt.Sprintf("its replication factor is %d, expected %d", rf, p.ReplicationFactor))
		}
	}
	if len(p.Configs) > 0 {
		rcs, err := adm.DescribeTopicConfigs(ctx, topic)
		if err != nil {
			return errored(fmt.Errorf("describing configs of %s: %w", topic, err))
		}
		rc, err := rcs.On(topic, nil)
		if err != nil || rc.Err != nil {
			return errored(fmt.Errorf("describing configs of %s: %w", topic, errors.Join(err, rc.Err)))
		}
		for _, key := range sortedKeys(p.Configs) {
			problems = append(problems, configProblem(rc.Configs, key, p.Configs[key])...)
		}
	}
	if len(problems) > 0 {
		return failed("Topic %s exists, but %s.", topic, strings.Join(problems, "; "))
	}
	return passed("Topic %s has %d partitions and the expected settings.", topic, len(d.Partitions))
}

// configProblem compares one topic config. Only a value set on the topic
// itself counts: a broker default that happens to match is not the learner's
// doing, and would not survive the broker's default changing.
func configProblem(configs []kadm.Config, key, want string) []string {
	for _, c := range configs {
		if c.Key != key {
			continue
		}
		got := c.MaybeValue()
		if c.Source != kmsg.ConfigSourceDynamicTopicConfig {
			return []string{fmt.Sprintf("%s is not set on the topic (it falls back to the %s %s); set it when creating the topic, expected %s%s",
				key, sourceName(c.Source), got, want, human(key, want))}
		}
		if !sameConfigValue(got, want) {
			return []string{fmt.Sprintf("%s is %s%s on the topic, expected %s%s", key, got, human(key, got), want, human(key, want))}
		}
		return nil
	}
	return []string{fmt.Sprintf("%s is not set on the topic, expected %s%s", key, want, human(key, want))}
}

func sameConfigValue(got, want string) bool {
	g, err1 := strconv.ParseFloat(got, 64)
	w, err2 := strconv.ParseFloat(want, 64)
	if err1 == nil && err2 == nil {
		return g == w
	}
	return strings.TrimSpace(got) == strings.TrimSpace(want)
}

func sourceName(s kmsg.ConfigSource) string {
	switch s {
	case kmsg.ConfigSourceDefaultConfig:
		return "broker's built-in default"
	case kmsg.ConfigSourceStaticBrokerConfig, kmsg.ConfigSourceDynamicDefaultBrokerConfig, kmsg.ConfigSourceDynamicBrokerConfig:
		return "broker's setting"
	default:
		return "default"
	}
}

// human renders durations in ms as days or hours, so "604800000" reads as 7 days.
func human(key, v string) string {
	if !strings.HasSuffix(key, ".ms") {
		return ""
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms <= 0 {
		return ""
	}
	const hour = 3600_000
	switch {
	case ms%(24*hour) == 0:
		return fmt.Sprintf(" (%d days)", ms/(24*hour))
	case ms%hour == 0:
		return fmt.Sprintf(" (%d hours)", ms/hour)
	}
	return ""
}

// ---- kafka.record-count

type countParams struct {
	Topic string `yaml:"topic"`
	Input string `yaml:"input"`
	Count *int   `yaml:"count"`
}

func (p countParams) Vars() []string { return nonEmpty(p.Topic, p.Input) }
func (p countParams) Needs() string  { return "kafka" }

func (p countParams) Evaluate(ctx context.Context, env *Env) Outcome {
	recs, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	want := 0
	if p.Count != nil {
		want = *p.Count
	} else {
		want = len(env.Input(p.Input))
	}
	switch {
	case len(recs) == want:
		return passed("%d records, as expected.", want)
	case len(recs) == 0:
		return failed("Topic %s is empty; expected %d records.", env.Var(p.Topic), want)
	case len(recs) < want:
		return failed("Topic %s has %d records; expected %d. Some were never sent, or the program exited before its producer flushed.", env.Var(p.Topic), len(recs), want)
	default:
		return failed("Topic %s has %d records; expected %d. Some were sent more than once (a retry, or the program run twice?).", env.Var(p.Topic), len(recs), want)
	}
}

// ---- shared helpers

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func nonEmpty(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// examples joins up to three items for a message, saying how many more.
func examples(items []string) string {
	sort.Strings(items)
	if len(items) <= 3 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:3], ", "), len(items)-3)
}
