package checks

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/streamlab/streamlab/internal/datagen"
	"github.com/twmb/franz-go/pkg/kerr"
)

// ---- kafka.values-match-input

type valuesParams struct {
	Topic string `yaml:"topic"`
	Input string `yaml:"input"`
	// AllowDuplicates passes a topic that holds every line at least once
	// (at-least-once delivery), still reporting the duplicates.
	AllowDuplicates bool `yaml:"allow_duplicates"`
	// OnMissing and OnDuplicates replace the likely cause the message
	// gives, for an exercise that knows the mistake behind it.
	OnMissing    string `yaml:"on_missing"`
	OnDuplicates string `yaml:"on_duplicates"`
}

func (p valuesParams) Vars() []string { return []string{p.Topic, p.Input} }
func (p valuesParams) Needs() string  { return "kafka" }

func (p valuesParams) Evaluate(ctx context.Context, env *Env) Outcome {
	recs, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	values := make([][]byte, len(recs))
	for i, r := range recs {
		values[i] = r.Value
	}
	return compareLines(values, datagen.Lines(env.Input(p.Input)), env.Var(p.Topic), p)
}

// compareToInput matches values to input lines as a multiset. JSON is
// compared as data, so a program that re-encodes a line (other spacing, other
// key order) still delivers the same order.
func compareToInput(values [][]byte, lines []string, where string) Outcome {
	return compareLines(values, lines, where, valuesParams{})
}

// compareLines is compareToInput with the choices of a
// kafka.values-match-input check.
func compareLines(values [][]byte, lines []string, where string, p valuesParams) Outcome {
	want := map[string]int{}
	for _, l := range lines {
		want[canonicalJSON([]byte(l))]++
	}
	got := map[string]int{}
	for _, v := range values {
		got[canonicalJSON(v)]++
	}
	var missing, dups, extra []string
	for k, n := range want {
		switch g := got[k]; {
		case g < n:
			missing = append(missing, short(k))
		case g > n:
			dups = append(dups, short(k))
		}
	}
	for k := range got {
		if want[k] == 0 {
			extra = append(extra, short(k))
		}
	}
	if len(missing)+len(dups)+len(extra) == 0 {
		return passed("All %d input lines arrived exactly once.", len(lines))
	}
	if p.AllowDuplicates && len(missing)+len(extra) == 0 {
		return passed("All %d input lines arrived; %d of them more than once (%s), which at-least-once delivery allows.", len(lines), len(dups), examples(dups))
	}
	onMissing := cmp.Or(p.OnMissing, "were they sent, and did the producer flush before the program exited?")
	onDups := cmp.Or(p.OnDuplicates, "a retry without idempotence, or the input sent twice?")
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d input lines are missing (%s): %s", len(missing), len(lines), examples(missing), onMissing))
	}
	if len(dups) > 0 && !p.AllowDuplicates {
		parts = append(parts, fmt.Sprintf("%d lines arrived more than once (%s): %s", len(dups), examples(dups), onDups))
	}
	if len(extra) > 0 {
		parts = append(parts, fmt.Sprintf("%d messages are not input lines (%s): the value must be the line unchanged.", len(extra), examples(extra)))
	}
	return failed("In %s, %s", where, strings.Join(parts, " "))
}

// canonicalJSON returns a stable text for a JSON document (sorted keys,
// exact numbers), or the raw text when it is not JSON.
func canonicalJSON(b []byte) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return string(b)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return string(b)
	}
	return string(out)
}

func short(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// JSONField returns a top-level field of a JSON object as text: strings as
// they are, numbers and booleans as written.
func JSONField(value []byte, field string) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return "", false
	}
	v, ok := m[field]
	if !ok || v == nil {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	default:
		b, _ := json.Marshal(v)
		return string(b), true
	}
}

func keyText(k []byte) string {
	if k == nil {
		return "(no key)"
	}
	return strconv.Quote(string(k))
}

// ---- kafka.keys-match-field

type keyFieldParams struct {
	Topic string `yaml:"topic"`
	Field string `yaml:"field"`
}

func (p keyFieldParams) Vars() []string { return []string{p.Topic} }
func (p keyFieldParams) Needs() string  { return "kafka" }

func (p keyFieldParams) Evaluate(ctx context.Context, env *Env) Outcome {
	recs, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	if len(recs) == 0 {
		return failed("Topic %s is empty: there are no keys to look at yet.", env.Var(p.Topic))
	}
	var bad []string
	noKey := 0
	for _, r := range recs {
		want, ok := JSONField(r.Value, p.Field)
		if !ok {
			bad = append(bad, fmt.Sprintf("partition %d offset %d has no %q field in its value", r.Partition, r.Offset, p.Field))
			continue
		}
		if r.Key == nil {
			noKey++
		}
		if string(r.Key) != want || r.Key == nil {
			bad = append(bad, fmt.Sprintf("partition %d offset %d has key %s, expected %q", r.Partition, r.Offset, keyText(r.Key), want))
		}
	}
	if len(bad) == 0 {
		return passed("All %d records are keyed by %s.", len(recs), p.Field)
	}
	if noKey == len(recs) {
		return failed("None of the %d records has a key: set each record's key to its %s when producing.", len(recs), p.Field)
	}
	hint := "The key must be the record's " + p.Field + " exactly."
	return failed("%d of %d records are not keyed by %s (%s). %s", len(bad), len(recs), p.Field, examples(bad), hint)
}

// ---- kafka.key-colocated

type colocatedParams struct {
	Topic string `yaml:"topic"`
	// Field groups records by a field of the JSON value; empty groups by key.
	Field string `yaml:"field"`
	// MinPartitions guards against a trivial pass: everything in partition
	// 0 is co-located too, but it is not what keys are for.
	MinPartitions int `yaml:"min_partitions"`
}

func (p colocatedParams) Vars() []string { return []string{p.Topic} }
func (p colocatedParams) Needs() string  { return "kafka" }

func (p colocatedParams) group(r Record) string {
	if p.Field == "" {
		return keyText(r.Key)
	}
	v, ok := JSONField(r.Value, p.Field)
	if !ok {
		return "(no " + p.Field + ")"
	}
	return v
}

func (p colocatedParams) Evaluate(ctx context.Context, env *Env) Outcome {
	recs, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	if len(recs) == 0 {
		return failed("Topic %s is empty.", env.Var(p.Topic))
	}
	what := "key"
	if p.Field != "" {
		what = p.Field
	}
	parts := map[string]map[int32]bool{}
	used := map[int32]bool{}
	for _, r := range recs {
		g := p.group(r)
		if parts[g] == nil {
			parts[g] = map[int32]bool{}
		}
		parts[g][r.Partition] = true
		used[r.Partition] = true
	}
	var split []string
	for g, ps := range parts {
		if len(ps) > 1 {
			split = append(split, fmt.Sprintf("%s in partitions %s", g, partitionList(ps)))
		}
	}
	if len(split) > 0 {
		return failed("%d of %d %s values are spread over several partitions (%s). Records with the same key always go to one partition: key each record by its %s.",
			len(split), len(parts), what, examples(split), what)
	}
	if len(used) < p.MinPartitions {
		// "in 1 partition (0)" reads as a count of zero: name the partition.
		list := partitionList(used)
		where := "one partition, partition " + list
		if i := strings.LastIndex(list, ", "); i >= 0 {
			where = fmt.Sprintf("only %d partitions (partitions %s and %s)", len(used), list[:i], list[i+2:])
		}
		return failed("All %d records are in %s, though the topic was made for more. Let the key choose the partition instead of fixing one.",
			len(recs), where)
	}
	return passed("Each of the %d %s values is in a single partition; %d partitions are used.", len(parts), what, len(used))
}

func partitionList(ps map[int32]bool) string {
	var ns []int
	for p := range ps {
		ns = append(ns, int(p))
	}
	sort.Ints(ns)
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// ---- kafka.per-key-order

type orderParams struct {
	Topic string `yaml:"topic"`
	Field string `yaml:"field"` // groups by this value field; empty: by key
	Order string `yaml:"order"` // numeric field that must increase
}

func (p orderParams) Vars() []string { return []string{p.Topic} }
func (p orderParams) Needs() string  { return "kafka" }

func (p orderParams) Evaluate(ctx context.Context, env *Env) Outcome {
	recs, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	if len(recs) == 0 {
		return failed("Topic %s is empty.", env.Var(p.Topic))
	}
	grouper := colocatedParams{Field: p.Field}
	type last struct {
		partition int32
		n         float64
	}
	seen := map[string]last{}
	var bad []string
	for _, r := range recs { // by partition, then offset
		g := grouper.group(r)
		s, ok := JSONField(r.Value, p.Order)
		n, err := strconv.ParseFloat(s, 64)
		if !ok || err != nil {
			bad = append(bad, fmt.Sprintf("partition %d offset %d has no numeric %s", r.Partition, r.Offset, p.Order))
			continue
		}
		if prev, ok := seen[g]; ok {
			switch {
			case prev.partition != r.Partition:
				bad = append(bad, fmt.Sprintf("%s is in partitions %d and %d, so no order between them is kept", g, prev.partition, r.Partition))
			case n <= prev.n:
				bad = append(bad, fmt.Sprintf("%s: %s %s comes after %s %s (partition %d offset %d)", g, p.Order, s, p.Order, strconv.FormatFloat(prev.n, 'f', -1, 64), r.Partition, r.Offset))
			}
		}
		seen[g] = last{r.Partition, n}
	}
	if len(bad) == 0 {
		return passed("Every one of %d groups is in %s order.", len(seen), p.Order)
	}
	return failed("Order is broken in %d place%s (%s). Send in file order, and keep each key in one partition.", len(bad), plural(len(bad)), examples(bad))
}

// ---- kafka.latest-per-key

type latestParams struct {
	Topic     string `yaml:"topic"`
	Input     string `yaml:"input"`
	GroupBy   string `yaml:"group_by"`  // input field that becomes the key
	Aggregate string `yaml:"aggregate"` // sum | count | max | last
	Field     string `yaml:"field"`     // input field aggregated
}

var aggregates = map[string]bool{"sum": true, "count": true, "max": true, "last": true}

func (p latestParams) Vars() []string { return []string{p.Topic, p.Input} }
func (p latestParams) Needs() string  { return "kafka" }

// expected computes the aggregate per group from the input, exactly (big
// integers for sums, so totals never round).
func (p latestParams) expected(orders []datagen.Order) map[string]string {
	acc := map[string]*big.Int{}
	lastv := map[string]string{}
	for _, l := range datagen.Lines(orders) {
		g, _ := JSONField([]byte(l), p.GroupBy)
		v, _ := JSONField([]byte(l), p.Field)
		n, ok := new(big.Int).SetString(v, 10)
		if !ok {
			n = new(big.Int)
		}
		if acc[g] == nil {
			acc[g] = new(big.Int)
			if p.Aggregate == "max" {
				acc[g].Set(n)
			}
		}
		switch p.Aggregate {
		case "sum":
			acc[g].Add(acc[g], n)
		case "count":
			acc[g].Add(acc[g], big.NewInt(1))
		case "max":
			if n.Cmp(acc[g]) > 0 {
				acc[g].Set(n)
			}
		case "last":
			lastv[g] = v
		}
	}
	out := map[string]string{}
	for g, n := range acc {
		out[g] = n.String()
		if p.Aggregate == "last" {
			out[g] = lastv[g]
		}
	}
	return out
}

func (p latestParams) Evaluate(ctx context.Context, env *Env) Outcome {
	recs, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	want := p.expected(env.Input(p.Input))
	if len(recs) == 0 {
		return failed("Topic %s is empty; expected one %s per %s (%d of them).", env.Var(p.Topic), p.Aggregate, p.GroupBy, len(want))
	}
	// Latest per key: records are by partition then offset, and a key that
	// stays in one partition has one well-defined latest value.
	latest := map[string]string{}
	for _, r := range recs {
		latest[keyText(r.Key)] = strings.TrimSpace(string(r.Value))
	}
	var wrong, missing, unknown []string
	for g, w := range want {
		got, ok := latest[strconv.Quote(g)]
		switch {
		case !ok:
			missing = append(missing, g)
		case got != w:
			wrong = append(wrong, fmt.Sprintf("%s is %q, expected %s", g, got, w))
		}
	}
	for k := range latest {
		uq, err := strconv.Unquote(k)
		if _, ok := want[uq]; err != nil || !ok {
			unknown = append(unknown, k)
		}
	}
	if len(wrong)+len(missing)+len(unknown) == 0 {
		return passed("The latest value of all %d keys is the expected %s of %s.", len(want), p.Aggregate, p.Field)
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d %s keys have no record (%s).", len(missing), len(want), p.GroupBy, examples(missing)))
	}
	if len(wrong) > 0 {
		parts = append(parts, fmt.Sprintf("%d keys have a wrong latest value (%s). The value must be the decimal %s of %s over all of that %s's input.", len(wrong), examples(wrong), p.Aggregate, p.Field, p.GroupBy))
	}
	if len(unknown) > 0 {
		parts = append(parts, fmt.Sprintf("%d keys are not any %s from the input (%s): key each record by its %s.", len(unknown), p.GroupBy, examples(unknown), p.GroupBy))
	}
	return failed("%s", strings.Join(parts, " "))
}

// ---- kafka.group-caught-up

type groupParams struct {
	Group string `yaml:"group"`
	Topic string `yaml:"topic"`
}

func (p groupParams) Vars() []string { return []string{p.Group, p.Topic} }
func (p groupParams) Needs() string  { return "kafka" }

func (p groupParams) Evaluate(ctx context.Context, env *Env) Outcome {
	group, topic := env.Var(p.Group), env.Var(p.Topic)
	adm := env.admin()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return errored(fmt.Errorf("listing end offsets of %s: %w", topic, err))
	}
	if err := ends.Error(); err != nil {
		if errors.Is(err, kerr.UnknownTopicOrPartition) {
			return failed("Topic %s does not exist any more.", topic)
		}
		return errored(fmt.Errorf("listing end offsets of %s: %w", topic, err))
	}
	committed, err := adm.FetchOffsetsForTopics(ctx, group, topic)
	if errors.Is(err, kerr.GroupIDNotFound) {
		// Some brokers answer so for a group that never committed.
		err, committed = nil, nil
	}
	if err != nil {
		return errored(fmt.Errorf("fetching committed offsets of group %s: %w", group, err))
	}
	var behind []string
	commits, backlog := 0, int64(0)
	for part, end := range ends[topic] {
		c, ok := committed.Lookup(topic, part)
		at := int64(-1)
		if ok && c.Err == nil && c.At >= 0 {
			at = c.At
			commits++
		}
		if at < end.Offset {
			if end.Offset == 0 && at < 0 {
				continue // nothing to consume in this partition
			}
			pos := "nothing committed"
			lag := end.Offset
			if at >= 0 {
				pos = fmt.Sprintf("committed %d", at)
				lag = end.Offset - at
			}
			backlog += lag
			behind = append(behind, fmt.Sprintf("partition %d: %s, end %d", part, pos, end.Offset))
		}
	}
	if len(behind) == 0 {
		return passed("Group %s has committed the end offset of all %d partitions of %s.", group, len(ends[topic]), topic)
	}
	if commits == 0 {
		return failed("Group %s has committed no offsets for %s. Consume as a member of $%s and commit before exiting (with auto-commit, the last commit may not have happened when the program exits).", group, topic, p.Group)
	}
	return failed("Group %s is %d records behind on %s (%s). Commit after processing, and only exit once every partition is consumed.", group, backlog, topic, examples(behind))
}
