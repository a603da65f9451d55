package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/streamlab/streamlab/internal/datagen"
	"go.yaml.in/yaml/v3"
)

// delivered makes one delivery per line, each published 10 ms after the
// last and received waited later.
func delivered(lines []string, waited func(i int) time.Duration) []delivery {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	out := make([]delivery, len(lines))
	for i, l := range lines {
		pub := t0.Add(time.Duration(i) * 10 * time.Millisecond)
		out[i] = delivery{published: pub, at: pub.Add(waited(i)), value: []byte(l)}
	}
	return out
}

func TestJudgeDelays(t *testing.T) {
	lines := datagen.Lines(datagen.Orders(3, datagen.OrdersSpec{Count: 30, Customers: 5}))
	info := delayInfo{delay: 5 * time.Second, tick: time.Second, allowance: 1500 * time.Millisecond, topic: "orders", sub: "billing", delayVar: "DELAY"}
	after := func(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }
	held := info
	held.held = 3
	for _, c := range []struct {
		name   string
		ds     []delivery
		info   delayInfo
		status Status
		msg    string
	}{
		{"on time", delivered(lines, after(5200*time.Millisecond)), info, Pass,
			"All 30 orders reached subscription billing no sooner than $DELAY (5s) after they were published; the soonest after 5.2s"},
		// The broker's timer may hand a message over up to a tick early.
		{"within a tick", delivered(lines, after(4100*time.Millisecond)), info, Pass, "the soonest after 4.1s"},
		{"at once", delivered(lines, after(20*time.Millisecond)), info, Fail,
			"30 of 30 messages reached subscription billing too early (" + mustID(lines[0]) + " after 0.0s"},
		{"at once says why", delivered(lines, after(20*time.Millisecond)), info, Fail,
			"as soon as they were published: the broker was not asked to hold them for $DELAY (5s)"},
		{"too short", delivered(lines, after(2*time.Second)), info, Fail,
			"only 2.0s at most after they were published, sooner than $DELAY (5s): the delay your program asks for is too short"},
		{"one early among many", delivered(lines, func(i int) time.Duration {
			if i == 7 {
				return time.Second
			}
			return 5 * time.Second
		}), info, Fail, "1 of 30 messages reached subscription billing too early (" + mustID(lines[7]) + " after 1.0s)"},
		{"missing", delivered(lines[5:], after(5*time.Second)), info, Fail, "5 of 30 input lines are missing"},
		{"missing, still held", delivered(lines[5:], after(5*time.Second)), held, Fail, "The broker still holds 3 messages for later"},
		{"twice", delivered(append(lines, lines[0]), after(5*time.Second)), info, Fail, "1 lines arrived more than once"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := judgeDelays(c.ds, lines, c.info)
			if o.Status != c.status || !strings.Contains(o.Message, c.msg) {
				t.Errorf("got %s %q\nwant %s saying %q", o.Status, o.Message, c.status, c.msg)
			}
		})
	}
}

func mustID(line string) string {
	id, _ := JSONField([]byte(line), "order_id")
	return id
}

// A check that must watch from before the program starts cannot be one
// that is polled while it runs.
func TestObserverCannotBeWhenRunning(t *testing.T) {
	var n yaml.Node
	src := "name: delayed\ntype: pulsar.delayed-delivery\ntopic: T\nsubscription: S\ninput: I\ndelay: D\nwhen: running\n"
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	_, err := Parse(n.Content[0])
	if err == nil || !strings.Contains(err.Error(), "cannot be when: running") {
		t.Fatalf("got %v", err)
	}
	if _, err := Parse(&yaml.Node{Kind: yaml.MappingNode, Content: n.Content[0].Content[:12]}); err != nil {
		t.Fatalf("after the run: %v", err)
	}
}
