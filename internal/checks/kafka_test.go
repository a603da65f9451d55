package checks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func kafkaEnv(t *testing.T, opts ...kfake.Opt) (*Env, *kadm.Client) {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	// As the grader does: metadata answers must not come from a stale cache.
	kopts := []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...), kgo.MetadataMinAge(10 * time.Millisecond)}
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return &Env{Vars: map[string]string{"TOPIC": "orders"}, Kafka: cl, KafkaOpts: kopts}, kadm.NewClient(cl)
}

func retentionCheck() topicParams {
	return topicParams{Topic: "TOPIC", Configs: map[string]string{"retention.ms": "1209600000"}}
}

// Fourteen days set on the broker rather than the topic is not the
// learner's doing: the check must insist on the topic's own setting.
func TestTopicConfigMustBeSetOnTheTopic(t *testing.T) {
	env, adm := kafkaEnv(t, kfake.BrokerConfigs(map[string]string{"log.retention.ms": "1209600000"}))
	ctx := context.Background()
	if _, err := adm.CreateTopic(ctx, 3, 1, nil, "orders"); err != nil {
		t.Fatal(err)
	}
	o := retentionCheck().Evaluate(ctx, env)
	if o.Status != Fail || !strings.Contains(o.Message, "not set on the topic") {
		t.Fatalf("%+v", o)
	}
	v := "1209600000"
	if _, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "retention.ms", Value: &v}}, "orders"); err != nil {
		t.Fatal(err)
	}
	if o := retentionCheck().Evaluate(ctx, env); o.Status != Pass {
		t.Fatalf("%+v", o)
	}
}

func TestTopicMissingAndWrongPartitions(t *testing.T) {
	env, adm := kafkaEnv(t)
	ctx := context.Background()
	p := topicParams{Topic: "TOPIC", Partitions: 3}
	if o := p.Evaluate(ctx, env); o.Status != Fail || !strings.Contains(o.Message, "does not exist") {
		t.Fatalf("%+v", o)
	}
	seven := "604800000"
	if resp, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"retention.ms": &seven}, "orders"); err != nil || resp.Err != nil {
		t.Fatal(err, resp.Err)
	}
	time.Sleep(20 * time.Millisecond) // past the client's metadata cache age: the check saw "missing" just now
	if o := p.Evaluate(ctx, env); o.Status != Fail || !strings.Contains(o.Message, "1 partition, expected 3") {
		t.Fatalf("%+v", o)
	}
	if o := retentionCheck().Evaluate(ctx, env); o.Status != Fail || !strings.Contains(o.Message, "(7 days) on the topic, expected 1209600000 (14 days)") {
		t.Fatalf("%+v", o)
	}
}

func TestCanonicalJSONAndFields(t *testing.T) {
	a := canonicalJSON([]byte(`{"b": 1, "a": "x", "n": 12345678901234567890}`))
	b := canonicalJSON([]byte(`{"a":"x","n":12345678901234567890,"b":1}`))
	if a != b {
		t.Fatalf("%q != %q", a, b)
	}
	if canonicalJSON([]byte("not json")) != "not json" {
		t.Fatal("non-JSON must compare as text")
	}
	if v, ok := JSONField([]byte(`{"seq": 7, "id": "c-1"}`), "seq"); !ok || v != "7" {
		t.Fatalf("seq %q %v", v, ok)
	}
	if _, ok := JSONField([]byte(`{"seq": null}`), "seq"); ok {
		t.Fatal("a null field is absent")
	}
}

func TestCompareToInputNamesEachKindOfMistake(t *testing.T) {
	lines := []string{`{"id":1}`, `{"id":2}`, `{"id":3}`}
	o := compareToInput([][]byte{[]byte(`{"id":1}`), []byte(`{"id":1}`), []byte(`{"id":9}`)}, lines, "t")
	for _, want := range []string{"2 of 3 input lines are missing", "1 lines arrived more than once", "1 messages are not input lines"} {
		if !strings.Contains(o.Message, want) {
			t.Errorf("message lacks %q: %s", want, o.Message)
		}
	}
}

// A topic the program created may reach the broker's metadata a moment
// after CreateTopics answered (KRaft publishes it asynchronously, slowest
// on a broker that just started): a check right after a fast program must
// wait for it rather than call it missing.
func TestTopicCreatedJustBeforeTheCheckIsSeen(t *testing.T) {
	env, adm := kafkaEnv(t)
	ctx := context.Background()
	created := make(chan error, 1)
	go func() {
		time.Sleep(500 * time.Millisecond)
		_, err := adm.CreateTopic(ctx, 3, 1, nil, "orders")
		created <- err
	}()
	o := topicParams{Topic: "TOPIC", Partitions: 3}.Evaluate(ctx, env)
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	if o.Status != Pass {
		t.Fatalf("a topic that appeared within the settle window: %+v", o)
	}
}
