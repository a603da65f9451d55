package checks

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Records all in one partition: the message says how many records, and
// names the partition so that its number does not read as a count.
func TestColocatedOnePartitionMessage(t *testing.T) {
	env, adm := kafkaEnv(t)
	ctx := context.Background()
	for _, c := range []struct {
		parts []int32
		want  string
	}{
		{[]int32{0}, "All 120 records are in one partition, partition 0, though"},
		{[]int32{2, 5}, "All 120 records are in only 2 partitions (partitions 2 and 5), though"},
	} {
		topic := fmt.Sprintf("orders-%d", len(c.parts))
		if _, err := adm.CreateTopic(ctx, 6, 1, nil, topic); err != nil {
			t.Fatal(err)
		}
		pr, err := kgo.NewClient(append(env.KafkaOpts, kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 120 {
			r := &kgo.Record{Topic: topic, Partition: c.parts[i%len(c.parts)], Key: []byte(fmt.Sprintf("c%02d", i%len(c.parts))), Value: []byte("{}")}
			if err := pr.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		pr.Close()
		env.Vars["TOPIC"] = topic
		o := colocatedParams{Topic: "TOPIC", MinPartitions: 3}.Evaluate(ctx, env)
		if o.Status != Fail || !strings.Contains(o.Message, c.want) {
			t.Errorf("want a failure saying %q, got %+v", c.want, o)
		}
	}
}
