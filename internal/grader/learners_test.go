package grader_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/embedded"
	"github.com/streamlab/streamlab/containers/local"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A learner submission the course never saw: another client, another
// language, or a real mistake. The grader must judge each by the cluster.
type submission struct {
	exercise string
	name     string
	run      string // run in testdata/learners
	want     result.Status
	failing  []string // checks that must fail (the rest must pass)
	// mayFail are checks whose verdict depends on how the program's
	// batches fell, which the mistake does not decide: e.g. whether any
	// transaction was committed before the one a kill left open.
	mayFail []string
	python  bool
	// realBroker: the mistake costs a round trip to a broker per record,
	// which the in-process embedded broker answers too fast to show.
	realBroker bool
}

var submissions = []submission{
	{exercise: "kafka/create-topic", name: "python confluent-kafka", run: "$PY python/create_topic.py", want: result.Pass, python: true},
	{exercise: "kafka/create-topic", name: "retention altered after creation", run: "MISTAKE=alter-after go run ./topicmistakes", want: result.Pass},
	{exercise: "kafka/create-topic", name: "one partition", run: "MISTAKE=one-partition go run ./topicmistakes", want: result.Fail,
		failing: []string{"the topic exists with 3 partitions and replication factor 1"}},
	{exercise: "kafka/create-topic", name: "retention left at seven days", run: "MISTAKE=seven-days go run ./topicmistakes", want: result.Fail,
		failing: []string{"retention is fourteen days, set on the topic"}},
	{exercise: "kafka/create-topic", name: "broker default retention", run: "MISTAKE=no-retention go run ./topicmistakes", want: result.Fail,
		failing: []string{"retention is fourteen days, set on the topic"}},

	{exercise: "kafka/keyed-producer", name: "python confluent-kafka (CRC32 partitioner)", run: "$PY python/keyed_producer.py", want: result.Pass, python: true},
	{exercise: "kafka/keyed-producer", name: "sarama (FNV hash partitioner)", run: "go run ./keyedsarama", want: result.Pass},
	{exercise: "kafka/keyed-producer", name: "kafka-go with a hash balancer", run: "BALANCER=hash go run ./keyedkafkago", want: result.Pass},
	{exercise: "kafka/keyed-producer", name: "JSON re-encoded", run: "MISTAKE=reencoded go run ./keyedmistakes", want: result.Pass},
	{exercise: "kafka/keyed-producer", name: "kafka-go round-robin balancer ignores keys", run: "go run ./keyedkafkago", want: result.Fail,
		failing: []string{"each customer's orders are in one partition", "each customer's orders are in seq order"}},
	{exercise: "kafka/keyed-producer", name: "input sent twice", run: "MISTAKE=twice go run ./keyedmistakes", want: result.Fail,
		failing: []string{"every input line arrived exactly once", "each customer's orders are in seq order"}},
	{exercise: "kafka/keyed-producer", name: "keyed by order_id", run: "MISTAKE=order-id go run ./keyedmistakes", want: result.Fail,
		failing: []string{"every record is keyed by its customer_id", "each customer's orders are in one partition", "each customer's orders are in seq order"}},
	{exercise: "kafka/keyed-producer", name: "sent in reverse", run: "MISTAKE=reversed go run ./keyedmistakes", want: result.Fail,
		failing: []string{"each customer's orders are in seq order"}},
	{exercise: "kafka/keyed-producer", name: "everything forced into partition 0", run: "MISTAKE=partition0 go run ./keyedmistakes", want: result.Fail,
		failing: []string{"each customer's orders are in one partition"}},

	{exercise: "kafka/consumer-group", name: "python confluent-kafka", run: "$PY python/consumer_group.py", want: result.Pass, python: true},
	{exercise: "kafka/consumer-group", name: "running totals", run: "MISTAKE=running go run ./groupmistakes", want: result.Pass},
	{exercise: "kafka/consumer-group", name: "never commits", run: "MISTAKE=no-commit go run ./groupmistakes", want: result.Fail,
		failing: []string{"the group committed every partition's end offset"}},
	{exercise: "kafka/consumer-group", name: "hard-coded group", run: "MISTAKE=other-group go run ./groupmistakes", want: result.Fail,
		failing: []string{"the group committed every partition's end offset"}},
	{exercise: "kafka/consumer-group", name: "totals in dollars", run: "MISTAKE=dollars go run ./groupmistakes", want: result.Fail,
		failing: []string{"each customer's latest total is right"}},
	{exercise: "kafka/consumer-group", name: "stops after the first poll", run: "MISTAKE=first-poll go run ./groupmistakes", want: result.Fail,
		failing: []string{"each customer's latest total is right", "the group committed every partition's end offset"}},

	{exercise: "kafka/partition-ceiling", name: "a group per instance", run: "MISTAKE=own-group go run ./ceilingmistakes", want: result.Fail,
		failing: []string{"the group had 4 members, 3 of them with partitions", "every order was copied exactly once", "the group committed every partition's end offset"}},

	{exercise: "pulsar/produce-consume", name: "python pulsar-client", run: "$PY python/produce_consume.py", want: result.Pass, python: true},
	{exercise: "pulsar/produce-consume", name: "subscribes after publishing", run: "MISTAKE=late-subscription go run ./pulsarmistakes", want: result.Fail,
		failing: []string{"the subscription delivered every message and has no backlog"}},
	{exercise: "pulsar/produce-consume", name: "never acknowledges", run: "MISTAKE=no-ack go run ./pulsarmistakes", want: result.Fail,
		failing: []string{"the subscription delivered every message and has no backlog"}},
	{exercise: "pulsar/retention", name: "seven days", run: "MISTAKE=short-retention go run ./pulsarmistakes", want: result.Fail,
		failing: []string{"the namespace retains 14 days and 1024 MB"}},
	{exercise: "pulsar/shared-scale-out", name: "python pulsar-client", run: "$PY python/shared_scale_out.py", want: result.Pass, python: true},
	{exercise: "pulsar/shared-scale-out", name: "a subscription per consumer", run: "MISTAKE=four-subscriptions go run ./pulsarmistakes", want: result.Fail,
		failing: []string{"the subscription is Shared", "every order was handled exactly once", "the subscription has no backlog"}},
	{exercise: "pulsar/shared-scale-out", name: "one exclusive consumer", run: "MISTAKE=exclusive go run ./pulsarmistakes", want: result.Fail,
		failing: []string{"the subscription is Shared", "at least 4 consumers did work"}},
	// Keys that move to a consumer joining mid-stream may also be
	// delivered again, or overtaken, depending on when it joins.
	{exercise: "pulsar/key-shared", name: "consumers join mid-stream with auto-split ranges", run: "MISTAKE=auto-split go run ./pulsarmistakes", want: result.Fail,
		failing: []string{"each customer was handled by one consumer"},
		mayFail: []string{"every order was handled exactly once", "each customer's orders were handled in seq order"}},
	{exercise: "pulsar/dead-letter", name: "acknowledges poison", run: "MISTAKE=ack-poison go run ./pulsarmistakes", want: result.Fail,
		failing: []string{"the dead-letter topic holds exactly the poison orders"}},
}

// pythonWithClients finds the virtualenv scripts/fetch-python-clients made.
func pythonWithClients(t *testing.T) string {
	py := os.Getenv("STREAMLAB_PYTHON")
	if py == "" {
		py = filepath.Join(local.CacheDir(), "python", "bin", "python")
	}
	if _, err := os.Stat(py); err != nil {
		if os.Getenv("STREAMLAB_REQUIRE_LOCAL") == "1" {
			t.Fatalf("no Python with the Kafka client at %s: run scripts/fetch-python-clients", py)
		}
		t.Skipf("no Python with the Kafka client at %s: run scripts/fetch-python-clients", py)
	}
	return py
}

func testSubmissions(t *testing.T, cs *clusters, pick func(*catalogue.Exercise) bool, kinds ...containers.Kind) {
	cat := loadCourse(t)
	for _, s := range submissions {
		// By the exercise's cluster: a track such as ml is on Kafka.
		ex := cat.Exercise(s.exercise)
		if ex == nil {
			t.Errorf("submission %q is for %s, which the course does not have", s.name, s.exercise)
			continue
		}
		if !onKinds(ex, kinds) || !pick(ex) {
			continue
		}
		t.Run(s.exercise+"/"+s.name, func(t *testing.T) {
			if s.realBroker && cs.p.Name() == "embedded" {
				t.Skip("a round trip to the in-process broker is too quick to make this program late")
			}
			run := s.run
			if s.python {
				run = strings.ReplaceAll(run, "$PY", pythonWithClients(t))
			}
			r := gradeOn(t, cs, ex, "internal/grader/testdata/learners", run)
			if r.Status != s.want {
				t.Fatalf("status %s, want %s:\n%s", r.Status, s.want, describe(r))
			}
			failing := map[string]bool{}
			for _, name := range s.failing {
				failing[name] = true
			}
			for _, test := range r.Tests[1:] {
				if slices.Contains(s.mayFail, test.Name) {
					continue
				}
				if (test.Status == result.Fail) != failing[test.Name] {
					t.Errorf("check %q is %s:\n%s", test.Name, test.Status, describe(r))
				}
			}
		})
	}
}

func TestSubmissionsOnLocalKafka(t *testing.T) {
	t.Parallel()
	testSubmissions(t, sharedClusters(t), untimed, containers.Kafka)
}

func TestSubmissionsOnLocalPulsar(t *testing.T) {
	t.Parallel()
	testSubmissions(t, sharedClusters(t), untimed, containers.Pulsar)
}

func TestSubmissionsOnLocalKafkaAndPulsar(t *testing.T) {
	t.Parallel()
	testSubmissions(t, sharedClusters(t), untimed, containers.Kafka, containers.Pulsar)
}

func TestSubmissionsOnEmbeddedKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("the real-Kafka run covers these; -short skips the embedded repeat")
	}
	t.Parallel()
	testSubmissions(t, newClusters(t, embedded.New()), untimed, containers.Kafka)
}

// Groups a wrong program derived from the one it was given (one per
// instance) go with the run, as the given one does.
func TestDerivedGroupsAreRemovedWithTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs four programs")
	}
	ex := loadCourse(t).Exercise("kafka/partition-ceiling")
	cl := newClusters(t, embedded.New()).get(containers.Kafka)
	r := grade(t, cl, ex, "internal/grader/testdata/learners", "MISTAKE=own-group go run ./ceilingmistakes")
	if r.Status != result.Fail {
		t.Fatalf("the wrong program should fail:\n%s", describe(r))
	}
	c, err := kgo.NewClient(kgo.SeedBrokers(cl.Endpoints().KafkaBootstrap...))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	listed, err := kadm.NewClient(c).ListGroups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range listed.Groups() {
		if strings.HasPrefix(g, "sl-partition-ceiling-") {
			t.Errorf("group %s outlived the run", g)
		}
	}
}
