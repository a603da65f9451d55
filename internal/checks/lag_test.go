package checks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestWhenInLoad(t *testing.T) {
	// 100 lines at 100/s, lines 100-199 at 500/s, 100 more at 100/s:
	// the spike runs from 1s to 1.2s, the last line goes at 2.19s.
	l := loadOfLines(300, 100, &LoadSpike{Rate: 500, First: 100, End: 200})
	steady := loadOfLines(100, 100, nil)
	began := t0.Add(-time.Second)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	for _, c := range []struct {
		at   time.Time
		load *Load
		want string
	}{
		{at(-500), &l, "before the load began"},
		{at(500), &l, "0.5s into the load, before the spike"},
		{at(1000), &l, "1.0s into the load, during the spike"},
		{at(1198), &l, "1.2s into the load, during the spike"},
		{at(1500), &l, "1.5s into the load, after the spike"},
		{at(2500), &l, "2.5s into the load, after its last line"},
		{at(500), &steady, "0.5s into the load"},
		{at(6200), nil, "7.2s after your program started"},
	} {
		if got := whenInLoad(c.at, c.load, began); got != c.want {
			t.Errorf("%s: %q, want %q", c.at.Sub(t0), got, c.want)
		}
	}
}

func TestLagVerdicts(t *testing.T) {
	l := loadOfLines(300, 100, &LoadSpike{Rate: 500, First: 100, End: 200})
	run := lagRun{topic: "in-1", owner: "g-1", began: t0.Add(-time.Second), load: &l}
	// A group that commits at every sample.
	samples := func(lags ...int64) []lagSample {
		var out []lagSample
		for i, lag := range lags {
			out = append(out, lagSample{at: t0.Add(time.Duration(i) * lagEvery), lag: lag, owned: true, committed: int64(i)})
		}
		return out
	}
	// A group whose committed offsets move only at the samples marked
	// by a negative lag (its commits), as pairs of lag and commit.
	commits := func(lags ...int64) []lagSample {
		var out []lagSample
		committed := int64(1)
		for i, lag := range lags {
			if lag < 0 {
				lag, committed = -lag, committed+1
			}
			out = append(out, lagSample{at: t0.Add(time.Duration(i) * lagEvery), lag: lag, owned: true, committed: committed})
		}
		return out
	}
	kafka := lagCheck{kind: "kafka", Topic: "INPUT", Owner: "GROUP", Max: 50}
	pulsar := lagCheck{kind: "pulsar", Topic: "INPUT", Owner: "SUB", Max: 50}
	for _, c := range []struct {
		name    string
		check   lagCheck
		samples []lagSample
		status  Status
		msg     string
	}{
		{"kept up", kafka, samples(0, 3, 12, 40, 7, 0), Pass,
			"Group g-1's lag on in-1 peaked at 40 messages 0.8s into the load, before the spike (threshold 50); sampled every 250ms, 6 times."},
		{"fell behind in the spike", kafka, samples(0, 3, 12, 30, 45, 80, 120, 90, 12), Fail,
			"Group g-1's lag on in-1 peaked at 120 messages 1.5s into the load, after the spike (threshold 50), and was 12 when your program ended: your program consumed more slowly than the load published."},
		{"commits far apart", kafka, commits(0, 40, 80, 120, 160, -10, 50, 90, -5), Fail,
			"peaked at 160 messages 1.0s into the load, during the spike (threshold 50), and was 5 when your program ended: group g-1 had committed nothing for 1.0s when its lag peaked, and its next commit brought the lag down to 10: your program kept up, but committed seldom."},
		{"a commit that leaves it behind", kafka, commits(0, 40, 80, 120, 160, -100, 150, 190, -120), Fail,
			"peaked at 190 messages 1.8s into the load, after the spike (threshold 50), and was 120 when your program ended: your program consumed more slowly than the load published."},
		{"a commit it never made", kafka, commits(0, 40, 80, 120, 160), Fail,
			"peaked at 160 messages 1.0s into the load, during the spike (threshold 50), and was 160 when your program ended: your program consumed more slowly than the load published."},
		{"never committed", kafka, []lagSample{{at: t0, lag: 0}, {at: t0.Add(time.Second), lag: 100}}, Fail,
			"group g-1 never committed an offset on in-1 while your program ran, so everything published counted as lag"},
		{"no topic", kafka, nil, Fail, "Topic in-1 did not exist while your program ran"},
		{"backlog kept up", pulsar, samples(0, 50, 2), Pass, "The backlog of subscription g-1 on in-1 peaked at 50 messages 0.2s into the load, before the spike (threshold 50)"},
		{"backlog grew", pulsar, samples(0, 0, 0, 0, 300), Fail,
			"The backlog of subscription g-1 on in-1 peaked at 300 messages 1.0s into the load, during the spike (threshold 50), and was 300 when your program ended: your program received and acknowledged more slowly than the load published."},
		{"no subscription", pulsar, nil, Fail, "Subscription g-1 never appeared on in-1 while your program ran"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := c.check.judge(c.samples, run)
			if o.Status != c.status || !strings.Contains(o.Message, c.msg) {
				t.Errorf("got %s %q\nwant %s saying %q", o.Status, o.Message, c.status, c.msg)
			}
		})
	}
}

// The sampler, on a Kafka-protocol broker: it reads the group's lag from
// before the program runs until the check is evaluated, and stops there.
func TestKafkaLagSampler(t *testing.T) {
	env, adm := kafkaEnv(t)
	ctx := context.Background()
	if _, err := adm.CreateTopic(ctx, 2, 1, nil, "orders"); err != nil {
		t.Fatal(err)
	}
	env.Vars["GROUP"] = "billing"
	c := lagCheck{kind: "kafka", Topic: "TOPIC", Owner: "GROUP", Max: 30}
	stop, err := c.Observe(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	pr, err := kgo.NewClient(append(env.KafkaOpts, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DefaultProduceTopic("orders"))...)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	// 40 records, 20 a partition; the group commits 15 of each: lag 40,
	// then 10.
	for i := range 40 {
		if err := pr.ProduceSync(ctx, &kgo.Record{Partition: int32(i % 2), Value: []byte("{}")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * lagEvery)
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: "orders", Partition: 0, At: 15, LeaderEpoch: -1})
	offs.Add(kadm.Offset{Topic: "orders", Partition: 1, At: 15, LeaderEpoch: -1})
	if _, err := adm.CommitOffsets(ctx, "billing", offs); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * lagEvery)
	o := c.Evaluate(ctx, env)
	if o.Status != Fail || !strings.Contains(o.Message, "Group billing's lag on orders peaked at 40 messages") || !strings.Contains(o.Message, "after your program started (threshold 30), and was 10 when your program ended") {
		t.Fatalf("got %+v", o)
	}
	// Sampling stopped at the evaluation: what came later is not counted.
	w := env.remember(lagKey{c}, func(old any) any { return old }).(*lagWatch)
	n := len(w.samples)
	time.Sleep(2 * lagEvery)
	if len(w.samples) != n || n < 5 {
		t.Fatalf("%d samples, then %d after the evaluation", n, len(w.samples))
	}
	if again := c.Evaluate(ctx, env); again != o {
		t.Fatalf("a second evaluation says %+v", again)
	}
}
