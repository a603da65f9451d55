package checks

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// replayInput is 30 orders, ten minutes apart, dealt over 3 partitions;
// since is the time of the 16th, written two hours east of UTC.
func replayInput() (in []Record, since time.Time) {
	base := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	for i := range 30 {
		in = append(in, Record{
			Partition: int32(i % 3), Offset: int64(i / 3),
			Value:     []byte(fmt.Sprintf(`{"order_id":"o-%02d","seq":%d}`, i, i)),
			Timestamp: base.Add(time.Duration(i) * 10 * time.Minute),
		})
	}
	return in, in[15].Timestamp.In(time.FixedZone("", 2*3600))
}

// copies are the records a program wrote: the originals' values and
// timestamps, at offsets of their own.
func copies(rs ...Record) []Record {
	out := make([]Record, len(rs))
	for i, r := range rs {
		out[i] = Record{Partition: r.Partition, Offset: int64(i), Value: r.Value, Timestamp: r.Timestamp}
	}
	return out
}

func TestCopiedSince(t *testing.T) {
	in, since := replayInput()
	names := sinceNames{since: "SINCE", from: "orders", to: "replayed"}
	// The records at or after since that a start shifted by since's UTC
	// offset (two hours, twelve records) leaves out or lets in.
	late, early := in[27:], in[3:]
	cases := []struct {
		name   string
		out    []Record
		status Status
		want   string
	}{
		{"exactly the records at or after since", copies(in[15:]...), Pass,
			"All 15 records stamped at or after SINCE (Mar 14 04:30:00) were copied once each"},
		{"everything", copies(in...), Fail,
			"All 15 records from before SINCE were copied too, the first at Mar 14 02:00:00; SINCE is Mar 14 04:30:00. The program read orders from the start"},
		{"after instead of at or after", copies(in[16:]...), Fail,
			"The record stamped exactly SINCE (Mar 14 04:30:00, orders partition 0 offset 5) is missing: SINCE is inclusive"},
		{"started two hours late", copies(late...), Fail,
			"12 of the 15 records stamped at or after SINCE are missing: the first copied was at Mar 14 06:30:00, 2h after SINCE (Mar 14 04:30:00). Start from the offsets for SINCE itself. That is about SINCE's UTC offset, +02:00: was SINCE read without it"},
		{"started two hours early", copies(early...), Fail,
			"12 records from before SINCE were copied: the first was at Mar 14 02:30:00, 2h before SINCE (Mar 14 04:30:00). Start from the offsets for SINCE, and judge a record by its own timestamp, not by the clock. That is about SINCE's UTC offset, +02:00"},
		{"started an hour early", copies(in[9:]...), Fail,
			"6 records from before SINCE were copied: the first was at Mar 14 03:30:00, 1h before SINCE (Mar 14 04:30:00). Start from the offsets for SINCE, and judge a record by its own timestamp, not by the clock."},
		{"stopped early", copies(in[15:25]...), Fail,
			"5 of the 15 records stamped at or after SINCE are missing, the newest ones (from Mar 14 06:10:00, orders partition 1 offset 8)"},
		{"a record twice", copies(append(in[15:], in[20])...), Fail,
			"1 record was copied more than once (in replayed: partition 2 offset 15)"},
		{"a record of its own", append(copies(in[15:]...), Record{Partition: 2, Offset: 9, Value: []byte(`{"order_id":"x"}`)}), Fail,
			`1 record in replayed is not a record of orders (partition 2 offset 9)`},
		{"only records from before since", copies(in[:15]...), Fail,
			"None of the 15 records stamped at or after SINCE (Mar 14 04:30:00) was copied"},
		{"nothing", nil, Fail,
			"replayed is empty: expected the 15 records of orders stamped at or after SINCE (Mar 14 04:30:00)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := judgeSince(in, c.out, since, names)
			if o.Status != c.status || !strings.Contains(o.Message, c.want) {
				t.Fatalf("want %s saying %q, got %s: %s", c.status, c.want, o.Status, o.Message)
			}
		})
	}
}

// JSON is compared as data: a copy with other spacing or key order is
// still the record it copies.
func TestCopiedSinceComparesJSONAsData(t *testing.T) {
	in, since := replayInput()
	out := copies(in[15:]...)
	out[0].Value = []byte(fmt.Sprintf(`{ "seq": 15, "order_id": "o-15" }`))
	if o := judgeSince(in, out, since, sinceNames{since: "SINCE"}); o.Status != Pass {
		t.Fatalf("%s: %s", o.Status, o.Message)
	}
}

func TestTimestampsKept(t *testing.T) {
	in, _ := replayInput()
	if o := judgeKept(in, copies(in[15:]...), "replayed", "orders"); o.Status != Pass || o.Message != "All 15 copies carry their original's timestamp." {
		t.Fatalf("%s: %s", o.Status, o.Message)
	}
	restamped := copies(in[15:]...)
	restamped[3].Timestamp = time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)
	o := judgeKept(in, restamped, "replayed", "orders")
	want := "1 of 15 copies carries a timestamp of their own (the copy at partition 0 offset 3 is stamped 2026-03-15T09:00:00Z, its original 2026-03-14T03:00:00Z)"
	if o.Status != Fail || !strings.Contains(o.Message, want) {
		t.Fatalf("want a failure saying %q, got %s: %s", want, o.Status, o.Message)
	}
	if o := judgeKept(in, nil, "replayed", "orders"); o.Status != Fail || !strings.Contains(o.Message, "replayed is empty") {
		t.Fatalf("%s: %s", o.Status, o.Message)
	}
	stranger := []Record{{Value: []byte(`{"order_id":"x"}`)}}
	if o := judgeKept(in, stranger, "replayed", "orders"); o.Status != Fail || !strings.Contains(o.Message, "None of the 1 records in replayed is a record of orders") {
		t.Fatalf("%s: %s", o.Status, o.Message)
	}
}

// On a cluster: the checks read the timestamps the broker keeps, and the
// time variable as the grader writes it (RFC 3339 with an offset).
func TestTimeChecksReadTheBrokersTimestamps(t *testing.T) {
	env, adm := kafkaEnv(t)
	ctx := context.Background()
	for _, topic := range []string{"orders", "replayed"} {
		if _, err := adm.CreateTopic(ctx, 3, 1, nil, topic); err != nil {
			t.Fatal(err)
		}
	}
	in, since := replayInput()
	var originals, replayed []*kgo.Record
	for _, r := range in {
		originals = append(originals, &kgo.Record{Topic: "orders", Partition: r.Partition, Value: r.Value, Timestamp: r.Timestamp})
		if !r.Timestamp.Before(since) {
			replayed = append(replayed, &kgo.Record{Topic: "replayed", Partition: r.Partition, Value: r.Value, Timestamp: r.Timestamp})
		}
	}
	pr, err := kgo.NewClient(append(env.KafkaOpts, kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	if err := pr.ProduceSync(ctx, originals...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// One copy restamped with the time it is produced.
	replayed[0].Timestamp = time.Time{}
	if err := pr.ProduceSync(ctx, replayed...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	env.Vars = map[string]string{"INPUT": "orders", "OUTPUT": "replayed", "SINCE": since.Format(time.RFC3339Nano)}
	if o := (sinceParams{Topic: "OUTPUT", From: "INPUT", Since: "SINCE"}).Evaluate(ctx, env); o.Status != Pass {
		t.Fatalf("copied-since: %s: %s", o.Status, o.Message)
	}
	if o := (keptParams{Topic: "OUTPUT", From: "INPUT"}).Evaluate(ctx, env); o.Status != Fail || !strings.Contains(o.Message, "1 of 15 copies carries a timestamp of their own") {
		t.Fatalf("timestamps-kept: %s: %s", o.Status, o.Message)
	}
	env.Vars["SINCE"] = "yesterday"
	if o := (sinceParams{Topic: "OUTPUT", From: "INPUT", Since: "SINCE"}).Evaluate(ctx, env); o.Status != Error {
		t.Fatalf("a SINCE that is not RFC 3339 is the grader's fault, not the learner's: %s: %s", o.Status, o.Message)
	}
}

// An hour off is not blamed on a two-hour offset: the hint needs the
// distance to match.
func TestOffsetHintOnlyWhenTheDistanceMatches(t *testing.T) {
	in, since := replayInput()
	o := judgeSince(in, copies(in[9:]...), since, sinceNames{since: "SINCE"})
	if strings.Contains(o.Message, "UTC offset") {
		t.Fatalf("blames the offset: %s", o.Message)
	}
}

func TestApprox(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2 * time.Hour:                    "2h",
		time.Hour + 5*time.Minute + 20e9: "1h5m",
		50*time.Minute + 10e9:            "50m",
		42 * time.Second:                 "42s",
	} {
		if got := approx(d); got != want {
			t.Errorf("approx(%v) = %q, want %q", d, got, want)
		}
	}
}
