package checks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/streamlab/streamlab/internal/datagen"
)

// Checks of a compacted topic that keeps the latest state per key. The input
// is events per group (a customer's orders, and its deletion: a line with
// "deleted": true), and the topic must end, for every group, in what the
// input leaves of it: its state while it lives, a tombstone once deleted.
//
// Both checks judge the last record of each key, which is the same in the
// log whether or not the broker has compacted it yet: compaction removes a
// record only when a later record of its key supersedes it. (It also drops
// tombstones once delete.retention.ms has passed, one day by default: long
// after a check looks.)

func init() {
	register("kafka.latest-state", "kafka", "the last record of each key the input leaves alive is its state since its last deletion: a count and a sum",
		func(p stateParams) (Check, error) {
			if p.Topic == "" || p.Input == "" || p.GroupBy == "" || p.CountAs == "" || p.Sum == "" || p.SumAs == "" {
				return nil, errors.New("needs topic, input, group_by, count_as, sum and sum_as")
			}
			return p, nil
		})
	register("kafka.tombstones", "kafka", "the last record of each key the input deleted is a tombstone (a null value)",
		func(p tombstoneParams) (Check, error) {
			if p.Topic == "" || p.Input == "" || p.GroupBy == "" {
				return nil, errors.New("needs topic, input and group_by")
			}
			return p, nil
		})
}

// groupState is what the input leaves of one group.
type groupState struct {
	deleted    bool // its last event is its deletion
	wasDeleted bool // it was deleted at some point
	count, sum int64
	// countAll and sumAll ignore deletions: a state that matches them
	// tells of a program that never started a deleted group afresh.
	countAll, sumAll int64
}

// finalStates replays the input's events. sum names the input field summed;
// empty, nothing is.
func finalStates(orders []datagen.Order, groupBy, sum string) map[string]*groupState {
	states := map[string]*groupState{}
	for _, l := range datagen.Lines(orders) {
		g, ok := JSONField([]byte(l), groupBy)
		if !ok {
			continue
		}
		s := states[g]
		if s == nil {
			s = &groupState{}
			states[g] = s
		}
		if del, _ := JSONField([]byte(l), "deleted"); del == "true" {
			s.deleted, s.wasDeleted = true, true
			s.count, s.sum = 0, 0
			continue
		}
		var n int64
		if sum != "" {
			v, _ := JSONField([]byte(l), sum)
			n, _ = strconv.ParseInt(v, 10, 64)
		}
		s.deleted = false
		s.count++
		s.countAll++
		s.sum += n
		s.sumAll += n
	}
	return states
}

// keyEnd is the last record of one key, and every partition the key is in.
type keyEnd struct {
	last       Record
	partitions map[int32]bool
}

// lastPerKey finds each key's last record. Records come by partition, then
// offset, so the last one seen is the last of its partition; a key found in
// several partitions has no single last record, and is reported as split.
// Records without a key are returned apart.
func lastPerKey(recs []Record) (ends map[string]*keyEnd, keyless []Record) {
	ends = map[string]*keyEnd{}
	for _, r := range recs {
		if r.Key == nil {
			keyless = append(keyless, r)
			continue
		}
		e := ends[string(r.Key)]
		if e == nil {
			e = &keyEnd{partitions: map[int32]bool{}}
			ends[string(r.Key)] = e
		}
		e.last = r
		e.partitions[r.Partition] = true
	}
	return ends, keyless
}

// noun names a group for the learner: "customer" for customer_id.
func noun(groupBy string) string { return strings.TrimSuffix(groupBy, "_id") }

// phrase states a finding about one item or several: one takes the item,
// many the count and a few examples.
func phrase(items []string, one, many string) string {
	if len(items) == 1 {
		return fmt.Sprintf(one, items[0])
	}
	return fmt.Sprintf(many, len(items), examples(items))
}

func splitAdvice(items []string, noun string) string {
	return phrase(items, noun+" %s has records in more than one partition", "%d "+noun+"s have records in more than one partition (%s)") +
		": compaction keeps the last record of a key within one partition, so all of a key's records must go to the same one (let the key choose the partition)."
}

// sentences joins findings into the message, its first letter upper case.
func sentences(parts []string) string {
	s := strings.Join(parts, " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func valueText(v []byte) string { return short(strings.TrimSpace(string(v))) }

// ---- kafka.latest-state

type stateParams struct {
	Topic   string `yaml:"topic"`
	Input   string `yaml:"input"`
	GroupBy string `yaml:"group_by"` // input field that is each record's key
	CountAs string `yaml:"count_as"` // value field holding the number of the group's orders
	Sum     string `yaml:"sum"`      // input field summed
	SumAs   string `yaml:"sum_as"`   // value field holding the sum
}

func (p stateParams) Vars() []string { return []string{p.Topic, p.Input} }
func (p stateParams) Needs() string  { return "kafka" }

func (p stateParams) Evaluate(ctx context.Context, env *Env) Outcome {
	recs, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	return p.judge(env.Input(p.Input), recs, env.Var(p.Topic))
}

// readState reads the count and the sum from a state value.
func (p stateParams) readState(v []byte) (count, sum float64, ok bool) {
	c, ok1 := JSONField(v, p.CountAs)
	s, ok2 := JSONField(v, p.SumAs)
	count, err1 := strconv.ParseFloat(c, 64)
	sum, err2 := strconv.ParseFloat(s, 64)
	return count, sum, ok1 && ok2 && err1 == nil && err2 == nil
}

func (p stateParams) judge(orders []datagen.Order, recs []Record, topic string) Outcome {
	want := finalStates(orders, p.GroupBy, p.Sum)
	who := noun(p.GroupBy)
	live := 0
	for _, s := range want {
		if !s.deleted {
			live++
		}
	}
	if len(recs) == 0 {
		return failed("Topic %s is empty; expected the state of every live %s (%d of them).", topic, who, live)
	}
	ends, _ := lastPerKey(recs)
	var missing, split, reborn, neverDeleted, notState, noReset, wrong []string
	for _, g := range sortedKeys(want) {
		w := want[g]
		if w.deleted {
			continue // kafka.tombstones judges those
		}
		e, ok := ends[g]
		if !ok {
			missing = append(missing, g)
			continue
		}
		if len(e.partitions) > 1 {
			split = append(split, fmt.Sprintf("%s (partitions %s)", g, partitionList(e.partitions)))
			continue
		}
		if e.last.Value == nil {
			if w.wasDeleted {
				reborn = append(reborn, g)
			} else {
				neverDeleted = append(neverDeleted, g)
			}
			continue
		}
		count, sum, ok := p.readState(e.last.Value)
		seen := fmt.Sprintf("%s has %s %s and %s %s", g, p.CountAs, num(count), p.SumAs, num(sum))
		switch {
		case !ok:
			notState = append(notState, fmt.Sprintf("%s (%s)", g, valueText(e.last.Value)))
		case count == float64(w.count) && sum == float64(w.sum):
		case w.wasDeleted && count == float64(w.countAll) && sum == float64(w.sumAll):
			noReset = append(noReset, fmt.Sprintf("%s instead of %d and %d", seen, w.count, w.sum))
		default:
			wrong = append(wrong, fmt.Sprintf("%s instead of %d and %d", seen, w.count, w.sum))
		}
	}
	var unknown []string
	for k := range ends {
		if _, ok := want[k]; !ok {
			unknown = append(unknown, strconv.Quote(k))
		}
	}

	var parts []string
	if len(missing) > 0 {
		parts = append(parts, phrase(missing, "live "+who+" %s has no record", "%d live "+who+"s have no record (%s)")+
			fmt.Sprintf(": write a %s's state after each of its orders, keyed by its %s.", who, p.GroupBy))
	}
	if len(split) > 0 {
		parts = append(parts, splitAdvice(split, who))
	}
	if len(reborn) > 0 {
		parts = append(parts, phrase(reborn, who+" %s ordered again after it was deleted, but its last record is a tombstone",
			"%d "+who+"s ordered again after they were deleted, but their last record is a tombstone (%s)")+
			": write each event's result as it happens, so a later order's state comes after the tombstone.")
	}
	if len(neverDeleted) > 0 {
		parts = append(parts, phrase(neverDeleted, who+" %s was never deleted, but its last record is a tombstone",
			"%d "+who+"s were never deleted, but their last record is a tombstone (%s)")+
			": write a tombstone only for a deletion.")
	}
	if len(noReset) > 0 {
		parts = append(parts, phrase(noReset, who+" %s, counting the orders from before its deletion",
			"%d "+who+"s count the orders from before their deletion (%s)")+
			fmt.Sprintf(": a deleted %s starts again from nothing, with %s 0 and %s 0.", who, p.CountAs, p.SumAs))
	}
	if len(wrong) > 0 {
		parts = append(parts, phrase(wrong, who+" %s", "%d "+who+"s have a wrong state (%s)")+
			fmt.Sprintf(": %s is the number of the %s's orders and %s the sum of their %s, both since its last deletion.", p.CountAs, who, p.SumAs, p.Sum))
	}
	if len(notState) > 0 {
		parts = append(parts, phrase(notState, "the last record of "+who+" %s is not",
			"the last records of %d "+who+"s are not (%s)")+
			fmt.Sprintf(" a JSON object with numbers %s and %s.", p.CountAs, p.SumAs))
	}
	if len(unknown) > 0 {
		parts = append(parts, phrase(unknown, "key %s is not a "+p.GroupBy+" from the input", "%d keys are not a "+p.GroupBy+" from the input (%s)")+
			fmt.Sprintf(": key each record by its %s.", p.GroupBy))
	}
	if len(parts) > 0 {
		return failed("%s", sentences(parts))
	}
	return passed("The last record of every live %s (%d of them) is its state: %s and %s since its last deletion.", who, live, p.CountAs, p.SumAs)
}

// num prints a number as the learner wrote it, without a needless ".0".
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// ---- kafka.tombstones

type tombstoneParams struct {
	Topic   string `yaml:"topic"`
	Input   string `yaml:"input"`
	GroupBy string `yaml:"group_by"` // input field that is each record's key
}

func (p tombstoneParams) Vars() []string { return []string{p.Topic, p.Input} }
func (p tombstoneParams) Needs() string  { return "kafka" }

func (p tombstoneParams) Evaluate(ctx context.Context, env *Env) Outcome {
	recs, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	return p.judge(env.Input(p.Input), recs, env.Var(p.Topic))
}

func (p tombstoneParams) judge(orders []datagen.Order, recs []Record, topic string) Outcome {
	want := finalStates(orders, p.GroupBy, "")
	who := noun(p.GroupBy)
	var deleted []string
	for _, g := range sortedKeys(want) {
		if want[g].deleted {
			deleted = append(deleted, g)
		}
	}
	if len(deleted) == 0 {
		return passed("The input deletes no %s, so no tombstone is due.", who)
	}
	if len(recs) == 0 {
		return failed("Topic %s is empty; expected a tombstone for every deleted %s (%d of them).", topic, who, len(deleted))
	}
	ends, keyless := lastPerKey(recs)
	var missing, split, values, empty []string
	var lastValue string // of the first in values, to show what was written
	for _, g := range deleted {
		e, ok := ends[g]
		switch {
		case !ok:
			missing = append(missing, g)
		case len(e.partitions) > 1:
			split = append(split, fmt.Sprintf("%s (partitions %s)", g, partitionList(e.partitions)))
		case e.last.Value == nil:
		case len(e.last.Value) == 0:
			empty = append(empty, g)
		default:
			if len(values) == 0 {
				lastValue = valueText(e.last.Value)
			}
			values = append(values, g)
		}
	}
	var parts []string
	if len(values) > 0 {
		first := values[0] // deleted is sorted, so values is
		what := fmt.Sprintf("%s %s was deleted, but its last record is a value, %s", who, first, lastValue)
		if len(values) > 1 {
			what = fmt.Sprintf("%d %ss were deleted, but their last record is a value (%s; %s's is %s)", len(values), who, examples(values), first, lastValue)
		}
		parts = append(parts, what+fmt.Sprintf(": write a record with the %s's key and a null value (a tombstone) to delete it. ", who)+
			"A compacted topic keeps a key's last value for good, whatever it says."+keylessNote(keyless))
	}
	if len(empty) > 0 {
		parts = append(parts, phrase(empty, who+" %s was deleted, but its last record has an empty value",
			"%d "+who+"s were deleted, but their last record has an empty value (%s)")+
			": an empty value is not a tombstone, only a null one is (in Go, leave the record's Value nil; in Python, value=None).")
	}
	if len(missing) > 0 {
		parts = append(parts, phrase(missing, "deleted "+who+" %s has no record at all", "%d deleted "+who+"s have no record at all (%s)")+
			fmt.Sprintf(": write a %s's state after each of its orders, and a tombstone when it is deleted.", who))
	}
	if len(split) > 0 {
		parts = append(parts, splitAdvice(split, who))
	}
	if len(parts) > 0 {
		return failed("%s", sentences(parts))
	}
	return passed("Every deleted %s (%d of them) ends in a tombstone.", who, len(deleted))
}

// keylessNote points at tombstones written without a key, which delete
// nothing. (A broker refuses records without a key on a compacted topic,
// so these are only found where the topic is not compacted.)
func keylessNote(keyless []Record) string {
	n := 0
	for _, r := range keyless {
		if r.Value == nil {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" The topic holds %d tombstone%s without a key: a tombstone deletes the key it carries.", n, plural(n))
}
