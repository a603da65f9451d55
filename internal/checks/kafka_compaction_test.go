package checks

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/internal/datagen"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The input every case below is judged against:
//
//	c-1 orders twice and stays            -> orders 2, total 300
//	c-2 orders, is deleted                -> tombstone
//	c-3 orders, is deleted, orders again  -> orders 1, total 30
//	c-4 orders once                       -> orders 1, total 5
func compactionInput() []datagen.Order {
	order := func(id, c string, cents int64) datagen.Order {
		return datagen.Order{OrderID: id, CustomerID: c, Seq: 1, AmountCents: cents}
	}
	gone := func(c string) datagen.Order { return datagen.Order{CustomerID: c, Deleted: true} }
	return []datagen.Order{
		order("o-1", "c-1", 100), order("o-2", "c-2", 50), order("o-3", "c-3", 10),
		gone("c-2"), order("o-4", "c-1", 200), gone("c-3"), order("o-5", "c-3", 30),
		order("o-6", "c-4", 5),
	}
}

// written builds records in the order written, each (partition, key, value); a
// value of "null" is a tombstone, "empty" an empty value.
func written(entries ...[3]string) []Record {
	offsets := map[int32]int64{}
	var out []Record
	for _, e := range entries {
		var p int32
		fmt.Sscan(e[0], &p)
		r := Record{Partition: p, Offset: offsets[p], Value: []byte(e[2])}
		if e[1] != "" {
			r.Key = []byte(e[1])
		}
		switch e[2] {
		case "null":
			r.Value = nil
		case "empty":
			r.Value = []byte{}
		}
		offsets[p]++
		out = append(out, r)
	}
	sortRecords(out)
	return out
}

func state(c string, orders, cents int) [3]string {
	return [3]string{partitionOf(c), c, fmt.Sprintf(`{"customer_id":%q,"orders":%d,"total_cents":%d}`, c, orders, cents)}
}

func tomb(c string) [3]string { return [3]string{partitionOf(c), c, "null"} }

// partitionOf spreads the four customers over two partitions, as a key
// hash would.
func partitionOf(c string) string {
	return map[string]string{"c-1": "0", "c-2": "1", "c-3": "0", "c-4": "1"}[c]
}

// The log a right program writes: the state after every event, in input order.
func rightLog() [][3]string {
	return [][3]string{
		state("c-1", 1, 100), state("c-2", 1, 50), state("c-3", 1, 10),
		tomb("c-2"), state("c-1", 2, 300), tomb("c-3"), state("c-3", 1, 30),
		state("c-4", 1, 5),
	}
}

// with returns the right log with some entries changed, dropped (a zero
// entry) or added at the end.
func with(change map[int][3]string, extra ...[3]string) []Record {
	var es [][3]string
	for i, e := range rightLog() {
		if c, ok := change[i]; ok {
			e = c
		}
		if e != ([3]string{}) {
			es = append(es, e)
		}
	}
	return written(append(es, extra...)...)
}

var stateCheck = stateParams{Topic: "STATE", Input: "IN", GroupBy: "customer_id", CountAs: "orders", Sum: "amount_cents", SumAs: "total_cents"}

func TestLatestState(t *testing.T) {
	for _, tc := range []struct {
		name string
		recs []Record
		want Status
		says string
	}{
		{"the state after every event", with(nil), Pass, "every live customer (3 of them)"},
		{"compacted: the last record of each key",
			written(tomb("c-2"), state("c-1", 2, 300), state("c-3", 1, 30), state("c-4", 1, 5)), Pass, ""},
		{"state as floating-point numbers",
			with(map[int][3]string{7: {"1", "c-4", `{"orders":1.0,"total_cents":5e0}`}}), Pass, ""},
		{"nothing written", nil, Fail, "is empty"},
		{"tombstones written after all the states",
			with(map[int][3]string{3: {}, 5: {}}, tomb("c-2"), tomb("c-3")), Fail,
			"Customer c-3 ordered again after it was deleted, but its last record is a tombstone"},
		{"a deletion does not start the customer again",
			with(map[int][3]string{6: state("c-3", 2, 40)}), Fail,
			"Customer c-3 has orders 2 and total_cents 40 instead of 1 and 30, counting the orders from before its deletion: a deleted customer starts again from nothing"},
		{"a wrong total", with(map[int][3]string{4: state("c-1", 2, 301)}), Fail,
			"Customer c-1 has orders 2 and total_cents 301 instead of 2 and 300: orders is the number"},
		{"a customer never written", with(map[int][3]string{7: {}}), Fail, "Live customer c-4 has no record"},
		{"a key in two partitions", with(nil, [3]string{"1", "c-1", `{"orders":2,"total_cents":300}`}), Fail,
			"Customer c-1 (partitions 0, 1) has records in more than one partition"},
		{"a bare total", with(map[int][3]string{7: {"1", "c-4", "5"}}), Fail, "The last record of customer c-4 (5) is not a JSON object with numbers orders and total_cents."},
		{"keyed by order", with(nil, [3]string{"0", "o-1", `{"orders":1,"total_cents":100}`}), Fail, `Key "o-1" is not a customer_id from the input: key each record by its customer_id.`},
		{"a live customer tombstoned", with(nil, tomb("c-4")), Fail, "Customer c-4 was never deleted, but its last record is a tombstone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := stateCheck.judge(compactionInput(), tc.recs, "state-topic")
			if o.Status != tc.want || !strings.Contains(o.Message, tc.says) {
				t.Fatalf("got %s %q, want %s saying %q", o.Status, o.Message, tc.want, tc.says)
			}
		})
	}
}

func TestTombstones(t *testing.T) {
	check := tombstoneParams{Topic: "STATE", Input: "IN", GroupBy: "customer_id"}
	for _, tc := range []struct {
		name string
		recs []Record
		want Status
		says string
	}{
		{"a tombstone per deletion", with(nil), Pass, "Every deleted customer (1 of them) ends in a tombstone"},
		{"compacted", written(tomb("c-2"), state("c-1", 2, 300), state("c-3", 1, 30), state("c-4", 1, 5)), Pass, ""},
		{"the deletion written as a record",
			with(map[int][3]string{3: {"1", "c-2", `{"customer_id":"c-2","deleted":true}`}}), Fail,
			`Customer c-2 was deleted, but its last record is a value, {"customer_id":"c-2","deleted":true}: write a record with the customer's key and a null value (a tombstone) to delete it.`},
		{"no tombstone at all", with(map[int][3]string{3: {}, 5: {}}), Fail,
			`Customer c-2 was deleted, but its last record is a value, {"customer_id":"c-2","orders":1,"total_cents":50}`},
		{"an empty value", with(map[int][3]string{3: {"1", "c-2", "empty"}}), Fail,
			"Customer c-2 was deleted, but its last record has an empty value: an empty value is not a tombstone"},
		{"tombstones without the key", with(map[int][3]string{3: {"1", "", "null"}}), Fail,
			"The topic holds 1 tombstone without a key"},
		{"a deleted customer never written", written(state("c-1", 2, 300), state("c-3", 1, 30), state("c-4", 1, 5)), Fail,
			"Deleted customer c-2 has no record at all"},
		{"a tombstone in another partition", with(map[int][3]string{3: {"0", "c-2", "null"}}), Fail,
			"Customer c-2 (partitions 0, 1) has records in more than one partition"},
		{"nothing written", nil, Fail, "expected a tombstone for every deleted customer (1 of them)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := check.judge(compactionInput(), tc.recs, "state-topic")
			if o.Status != tc.want || !strings.Contains(o.Message, tc.says) {
				t.Fatalf("got %s %q, want %s saying %q", o.Status, o.Message, tc.want, tc.says)
			}
		})
	}
}

// Without a deletion in the input there is nothing to look for.
func TestTombstonesWithoutDeletions(t *testing.T) {
	in := compactionInput()[:3]
	o := tombstoneParams{GroupBy: "customer_id"}.judge(in, nil, "state-topic")
	if o.Status != Pass {
		t.Fatalf("%+v", o)
	}
}

// A null value and an empty one differ on the wire, and must still differ
// once the grader has read them back from a broker.
func TestTombstoneAndEmptyValueSurviveTheRead(t *testing.T) {
	env, adm := kafkaEnv(t)
	ctx := context.Background()
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "orders"); err != nil {
		t.Fatal(err)
	}
	env.Vars["IN"] = ""
	env.Inputs = map[string][]datagen.Order{"IN": {
		{OrderID: "o-1", CustomerID: "c-1", Seq: 1, AmountCents: 1}, {CustomerID: "c-1", Deleted: true},
		{OrderID: "o-2", CustomerID: "c-2", Seq: 1, AmountCents: 1}, {CustomerID: "c-2", Deleted: true},
	}}
	err := env.Kafka.ProduceSync(ctx,
		&kgo.Record{Topic: "orders", Key: []byte("c-1"), Value: nil},
		&kgo.Record{Topic: "orders", Key: []byte("c-2"), Value: []byte{}},
	).FirstErr()
	if err != nil {
		t.Fatal(err)
	}
	o := tombstoneParams{Topic: "TOPIC", Input: "IN", GroupBy: "customer_id"}.Evaluate(ctx, env)
	if o.Status != Fail || !strings.HasPrefix(o.Message, "Customer c-2 was deleted, but its last record has an empty value") {
		t.Fatalf("%+v", o)
	}
}
