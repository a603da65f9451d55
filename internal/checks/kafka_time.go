package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The Kafka checks about time: what a replay from a moment must copy, and
// whether the copies keep the time of the records they copy. Both compare
// values as data (canonicalJSON) and take the original records, with the
// timestamps the broker keeps, from the topic copied.

func init() {
	register("kafka.copied-since", "kafka", "the topic holds exactly the records of another topic stamped at or after a time variable: none from before, none missing, none twice",
		func(p sinceParams) (Check, error) {
			if p.Topic == "" || p.From == "" || p.Since == "" {
				return nil, errors.New("needs topic (the copy), from (the topic copied) and since (a time variable)")
			}
			return p, nil
		})
	register("kafka.timestamps-kept", "kafka", "every record copied from another topic carries its original's timestamp",
		func(p keptParams) (Check, error) {
			if p.Topic == "" || p.From == "" {
				return nil, errors.New("needs topic (the copy) and from (the topic copied)")
			}
			return p, nil
		})
}

// ---- kafka.copied-since

type sinceParams struct {
	Topic string `yaml:"topic"`
	From  string `yaml:"from"`
	Since string `yaml:"since"`
}

func (p sinceParams) Vars() []string { return []string{p.Topic, p.From, p.Since} }
func (p sinceParams) Needs() string  { return "kafka" }

// instant reads a time variable; one that is not RFC 3339 is the grader's
// error, since the grader wrote it.
func (e *Env) instant(name string) (time.Time, *Outcome) {
	t, err := time.Parse(time.RFC3339, e.Var(name))
	if err != nil {
		o := errored(fmt.Errorf("%s is not an RFC 3339 time: %w", name, err))
		return t, &o
	}
	return t, nil
}

func (p sinceParams) Evaluate(ctx context.Context, env *Env) Outcome {
	since, o := env.instant(p.Since)
	if o != nil {
		return *o
	}
	in, o := env.records(ctx, p.From)
	if o != nil {
		return *o
	}
	out, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	return judgeSince(in, out, since, sinceNames{since: p.Since, from: env.Var(p.From), to: env.Var(p.Topic)})
}

// sinceNames are what a copied-since message calls things.
type sinceNames struct {
	since    string // the time variable, as the learner knows it
	from, to string // the topics, as the cluster names them
}

// sinceTally sorts a copy's records against the originals.
type sinceTally struct {
	want       []Record // originals at or after since, by time
	before     []Record // originals from before since that were copied, by time
	missing    []Record // originals at or after since with no copy, by time
	dups       []Record // copies beyond the one each original should have
	extra      []Record // copies that match no original
	copiedWant int      // originals at or after since that were copied
}

// tallySince matches copies to originals by value. An order's value is
// unique in the seeded data, so a value copied more often than it has
// originals at or after since was copied from before since (if it has
// originals there) or twice.
func tallySince(in, out []Record, since time.Time) sinceTally {
	var t sinceTally
	type originals struct{ after, before []Record }
	byValue := map[string]*originals{}
	for _, r := range in {
		k := canonicalJSON(r.Value)
		if byValue[k] == nil {
			byValue[k] = &originals{}
		}
		if r.Timestamp.Before(since) {
			byValue[k].before = append(byValue[k].before, r)
		} else {
			byValue[k].after = append(byValue[k].after, r)
			t.want = append(t.want, r)
		}
	}
	copies := map[string][]Record{}
	for _, r := range out {
		k := canonicalJSON(r.Value)
		if byValue[k] == nil {
			t.extra = append(t.extra, r)
			continue
		}
		copies[k] = append(copies[k], r)
	}
	for k, o := range byValue {
		got := copies[k]
		n := min(len(got), len(o.after))
		t.copiedWant += n
		t.missing = append(t.missing, o.after[n:]...)
		surplus := got[n:]
		m := min(len(surplus), len(o.before))
		t.before = append(t.before, o.before[:m]...)
		t.dups = append(t.dups, surplus[m:]...)
	}
	byTime := func(a, b Record) int { return a.Timestamp.Compare(b.Timestamp) }
	slices.SortFunc(t.want, byTime)
	slices.SortFunc(t.before, byTime)
	slices.SortFunc(t.missing, byTime)
	sortRecords(t.dups)
	sortRecords(t.extra)
	return t
}

// judgeSince compares a copy (out) with the topic it copies (in): it must
// hold each record stamped at or after since once, and nothing else. Every
// kind of mistake found gets its own sentence, in the zone of since.
func judgeSince(in, out []Record, since time.Time, n sinceNames) Outcome {
	t := tallySince(in, out, since)
	at := func(ts time.Time) string { return clock(ts, since.Location()) }
	if len(out) == 0 && len(t.want) > 0 {
		return failed("%s is empty: expected the %d records of %s stamped at or after %s (%s). Start each partition at the offset for that time, and read it to its end.",
			n.to, len(t.want), n.from, n.since, at(since))
	}
	var parts []string
	if b := t.before; len(b) > 0 {
		early := since.Sub(b[0].Timestamp)
		if len(b) == len(in)-len(t.want) {
			parts = append(parts, fmt.Sprintf("All %d records from before %s were copied too, the first at %s; %s is %s. The program read %s from the start: start each partition at the offset for %s instead (ListOffsets by timestamp).",
				len(b), n.since, at(b[0].Timestamp), n.since, at(since), n.from, n.since))
		} else {
			parts = append(parts, fmt.Sprintf("%d record%s from before %s %s copied: the first was at %s, %s before %s (%s). Start from the offsets for %s, and judge a record by its own timestamp, not by the clock.%s",
				len(b), plural(len(b)), n.since, wasWere(len(b)), at(b[0].Timestamp), approx(early), n.since, at(since), n.since, offsetHint(since, early, n.since)))
		}
	}
	if m := t.missing; len(m) > 0 {
		parts = append(parts, missingSince(t, since, n, at))
	}
	if d := t.dups; len(d) > 0 {
		parts = append(parts, fmt.Sprintf("%d record%s %s copied more than once (in %s: %s): read each partition once, from one starting offset.",
			len(d), plural(len(d)), wasWere(len(d)), n.to, recordList(d)))
	}
	if e := t.extra; len(e) > 0 {
		parts = append(parts, fmt.Sprintf("%d record%s in %s %s not a record of %s (%s): copy each value unchanged.",
			len(e), plural(len(e)), n.to, isAre(len(e)), n.from, recordList(e)))
	}
	if len(parts) == 0 {
		return passed("All %d records stamped at or after %s (%s) were copied once each, and none from before it.", len(t.want), n.since, at(since))
	}
	return failed("%s", strings.Join(parts, " "))
}

// missingSince says which records at or after since have no copy, and
// the likeliest reason from where they fall: exactly at since (a strict
// comparison), before every copy (a late start), after every copy (an
// early stop).
func missingSince(t sinceTally, since time.Time, n sinceNames, at func(time.Time) string) string {
	m := t.missing
	first := m[0]
	if len(m) == 1 && first.Timestamp.Equal(since) {
		return fmt.Sprintf("The record stamped exactly %s (%s, %s partition %d offset %d) is missing: %s is inclusive, so copy records at or after it (>=, not >). ListOffsets by timestamp gives the first offset at or after a time.",
			n.since, at(since), n.from, first.Partition, first.Offset, n.since)
	}
	type position struct {
		partition int32
		offset    int64
	}
	missing := map[position]bool{}
	for _, r := range m {
		missing[position{r.Partition, r.Offset}] = true
	}
	var firstCopied, lastCopied time.Time
	for _, r := range t.want { // by time
		if !missing[position{r.Partition, r.Offset}] {
			if firstCopied.IsZero() {
				firstCopied = r.Timestamp
			}
			lastCopied = r.Timestamp
		}
	}
	of := fmt.Sprintf("%d of the %d record%s stamped at or after %s %s missing", len(m), len(t.want), plural(len(t.want)), n.since, isAre(len(m)))
	switch {
	case t.copiedWant == 0:
		return fmt.Sprintf("None of the %d records stamped at or after %s (%s) was copied: start each partition at the offset for %s, and read it to its end.", len(t.want), n.since, at(since), n.since)
	case m[len(m)-1].Timestamp.Before(firstCopied):
		late := firstCopied.Sub(since)
		return fmt.Sprintf("%s: the first copied was at %s, %s after %s (%s). Start from the offsets for %s itself.%s",
			of, at(firstCopied), approx(late), n.since, at(since), n.since, offsetHint(since, late, n.since))
	case first.Timestamp.After(lastCopied):
		return fmt.Sprintf("%s, the newest ones (from %s, %s partition %d offset %d): read every partition up to the end offsets it had when the program started, and flush the producer before exiting.",
			of, at(first.Timestamp), n.from, first.Partition, first.Offset)
	}
	return fmt.Sprintf("%s (the first at %s, %s partition %d offset %d).", of, at(first.Timestamp), n.from, first.Partition, first.Offset)
}

// offsetHint names the likely cause when a replay starts off by as much as
// since's UTC offset: the offset was dropped when the time was parsed.
// Records fall minutes apart, so the first one copied lies a little past
// the moment the program took for since.
func offsetHint(since time.Time, off time.Duration, name string) string {
	_, secs := since.Zone()
	zone := time.Duration(secs) * time.Second
	if zone < 0 {
		zone = -zone
	}
	if zone == 0 || off < zone-15*time.Minute || off > zone+15*time.Minute {
		return ""
	}
	return fmt.Sprintf(" That is about %s's UTC offset, %s: was %s read without it, as local time or UTC?", name, since.Format("-07:00"), name)
}

// approx writes a distance in time to the minute (to the second below a
// minute): "2h", "1h5m", "50m".
func approx(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	s := d.Round(time.Minute).String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// clock writes a timestamp for a message, in the zone of the time it is
// compared with.
func clock(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Jan 2 15:04:05")
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func recordList(rs []Record) string {
	items := make([]string, len(rs))
	for i, r := range rs {
		items[i] = fmt.Sprintf("partition %d offset %d", r.Partition, r.Offset)
	}
	return examples(items)
}

// ---- kafka.timestamps-kept

type keptParams struct {
	Topic string `yaml:"topic"`
	From  string `yaml:"from"`
}

func (p keptParams) Vars() []string { return []string{p.Topic, p.From} }
func (p keptParams) Needs() string  { return "kafka" }

func (p keptParams) Evaluate(ctx context.Context, env *Env) Outcome {
	in, o := env.records(ctx, p.From)
	if o != nil {
		return *o
	}
	out, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	return judgeKept(in, out, env.Var(p.Topic), env.Var(p.From))
}

// judgeKept compares each copy's timestamp with its original's; copies
// of nothing are left to kafka.copied-since.
func judgeKept(in, out []Record, to, from string) Outcome {
	if len(out) == 0 {
		return failed("%s is empty: there are no copies whose timestamps to compare.", to)
	}
	original := map[string]time.Time{}
	for _, r := range in {
		original[canonicalJSON(r.Value)] = r.Timestamp
	}
	matched, moved := 0, 0
	example := ""
	for _, r := range out { // by partition, then offset
		ts, ok := original[canonicalJSON(r.Value)]
		if !ok {
			continue // not a copy: kafka.copied-since says so
		}
		matched++
		if !r.Timestamp.Equal(ts) {
			if moved++; moved == 1 {
				example = fmt.Sprintf("the copy at partition %d offset %d is stamped %s, its original %s",
					r.Partition, r.Offset, r.Timestamp.UTC().Format(time.RFC3339Nano), ts.UTC().Format(time.RFC3339Nano))
			}
		}
	}
	switch {
	case matched == 0:
		return failed("None of the %d records in %s is a record of %s, so no timestamps can be compared: copy each value unchanged.", len(out), to, from)
	case moved > 0:
		carry := "carry"
		if moved == 1 {
			carry = "carries"
		}
		return failed("%d of %d copies %s a timestamp of their own (%s). A record produced without a timestamp is stamped when it is produced: give each copy its original's timestamp, so the replay keeps the time of the events.",
			moved, matched, carry, example)
	}
	return passed("All %d copies carry their original's timestamp.", matched)
}
