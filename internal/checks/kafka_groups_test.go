package checks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// joinMembers starts n consumers in the named groups on topic "orders", and
// keeps them polling until the test ends.
func joinMembers(t *testing.T, env *Env, groups ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, g := range groups {
		cl, err := kgo.NewClient(append(append([]kgo.Opt{}, env.KafkaOpts...),
			kgo.ConsumerGroup(g), kgo.ConsumeTopics("orders"))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		go func() {
			for ctx.Err() == nil {
				cl.PollFetches(ctx)
			}
		}()
	}
}

// pollUntil evaluates like a watched check: until it passes or time is up.
func pollUntil(t *testing.T, c membersParams, env *Env, d time.Duration) Outcome {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		o := c.Evaluate(context.Background(), env)
		if o.Status == Pass || time.Now().After(deadline) {
			return o
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func ceilingCheck() membersParams {
	three := 3
	return membersParams{Group: "GROUP", Topic: "TOPIC", Members: 4, Working: &three}
}

func TestGroupMembersFourOnThreePartitions(t *testing.T) {
	env, adm := kafkaEnv(t)
	env.Vars["GROUP"] = "g"
	if _, err := adm.CreateTopic(context.Background(), 3, 1, nil, "orders"); err != nil {
		t.Fatal(err)
	}
	joinMembers(t, env, "g", "g", "g", "g")
	if o := pollUntil(t, ceilingCheck(), env, 20*time.Second); o.Status != Pass || !strings.Contains(o.Message, "1 idle") {
		t.Fatalf("%+v", o)
	}
}

func TestGroupMembersEachInstanceItsOwnGroup(t *testing.T) {
	env, adm := kafkaEnv(t)
	env.Vars["GROUP"] = "g"
	if _, err := adm.CreateTopic(context.Background(), 3, 1, nil, "orders"); err != nil {
		t.Fatal(err)
	}
	joinMembers(t, env, "g-0", "g-1", "g-2", "g-3")
	o := pollUntil(t, ceilingCheck(), env, 3*time.Second)
	if o.Status != Fail || !strings.Contains(o.Message, "never had a member") || !strings.Contains(o.Message, "$GROUP") {
		t.Fatalf("%+v", o)
	}
}

func TestGroupMembersTooFew(t *testing.T) {
	env, adm := kafkaEnv(t)
	env.Vars["GROUP"] = "g"
	if _, err := adm.CreateTopic(context.Background(), 3, 1, nil, "orders"); err != nil {
		t.Fatal(err)
	}
	joinMembers(t, env, "g", "g")
	o := pollUntil(t, ceilingCheck(), env, 4*time.Second)
	if o.Status != Fail || !strings.Contains(o.Message, "never had more than 2 members") {
		t.Fatalf("%+v", o)
	}
}

func TestGroupMembersAllWorking(t *testing.T) {
	env, adm := kafkaEnv(t)
	env.Vars["GROUP"] = "g"
	if _, err := adm.CreateTopic(context.Background(), 4, 1, nil, "orders"); err != nil {
		t.Fatal(err)
	}
	joinMembers(t, env, "g", "g", "g", "g")
	o := pollUntil(t, ceilingCheck(), env, 6*time.Second)
	if o.Status != Fail || !strings.Contains(o.Message, "4 members, but 4 of them had partitions") {
		t.Fatalf("%+v", o)
	}
}
