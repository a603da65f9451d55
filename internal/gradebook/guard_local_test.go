package gradebook_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// vandal is a submission of kafka/keyed-producer that, instead of its own
// work, lists the cluster's topics and groups and, over and over, deletes
// and writes into every one whose name starts with target and is not its
// own. It stops once a topic it attacked is gone (deleted by it, or by
// the grader cleaning up after the run it belonged to), or after 45 s.
func vandal(target string) string {
	return fmt.Sprintf(`import os, time
from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient

TARGET = %q
conf = {"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]}
admin = AdminClient(conf)
producer = Producer(dict(conf, **{"message.timeout.ms": 3000, "allow.auto.create.topics": False}))
mine = os.environ["TOPIC"]
attacked, said = set(), set()

def say(line):
    if line not in said:
        said.add(line)
        print(line, flush=True)

def outcome(future):
    try:
        future.result()
        return "done"
    except KafkaException as e:
        return e.args[0].name()

def delivered(err, msg):
    say("produce %%s: %%s" %% (msg.topic(), err.name() if err else "written"))

def attack():
    """One round; returns the attacked topics that are gone."""
    topics = set(admin.list_topics(timeout=10).topics)
    theirs = sorted(t for t in topics if t != mine and t.startswith(TARGET))
    for t in theirs:
        if t not in attacked:
            attacked.add(t)
            say("attack " + t)
    if theirs:
        for t, f in admin.delete_topics(theirs, operation_timeout=5).items():
            say("delete topic %%s: %%s" %% (t, outcome(f)))
        for t in theirs:
            try:
                producer.produce(t, b"vandal", on_delivery=delivered)
            except KafkaException as e:  # the client remembers a refusal
                say("produce %%s: %%s" %% (t, e.args[0].name()))
            producer.poll(0)
        producer.flush(5)
    groups = admin.list_consumer_groups().result().valid
    theirs = [g.group_id for g in groups if g.group_id.startswith(TARGET)]
    if theirs:
        for g, f in admin.delete_consumer_groups(theirs).items():
            say("delete group %%s: %%s" %% (g, outcome(f)))
    return attacked - topics

deadline, missing = time.time() + 45, set()
while time.time() < deadline:
    try:
        gone = attack()
    except KafkaException as e:  # a slow cluster: try again
        say("error: %%s" %% e)
        gone = set()
    if gone & missing:  # missing twice in a row
        say("gone: " + ", ".join(sorted(gone & missing)))
        break
    missing = gone
    time.sleep(0.2)
`, target)
}

// The done-when test of a shared cluster: a class where one submission
// deletes and writes into everything it can see. The victim beside it, a
// correct program, gets the verdict it gets alone; the vandal gets its
// own, and is told what was refused; a topic and a group of someone else
// on the cluster are untouched. Without the guard (a check of the vandal
// alone), the same program deletes them.
func TestAVandalInTheClassHurtsOnlyItself(t *testing.T) {
	bin := requireLocal(t)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH")) // python3 with the clients
	sess := localSession(t)
	ex := exercise(t, keyed)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cl, _, err := sess.StartCluster(ctx, containers.Kafka, nil)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := kgo.NewClient(kgo.SeedBrokers(cl.Endpoints().KafkaBootstrap...))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	adm := kadm.NewClient(direct)

	// Someone else's topic and group on the same cluster.
	const bystander, bystanderGroup = "bystander-orders", "bystander-group"
	if _, err := adm.CreateTopic(ctx, 3, 1, nil, bystander); err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for i := range 10 {
		recs = append(recs, &kgo.Record{Topic: bystander, Value: fmt.Appendf(nil, "%d", i)})
	}
	if err := direct.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	offsets := kadm.Offsets{}
	offsets.Add(kadm.Offset{Topic: bystander, Partition: 0, At: 1})
	if _, err := adm.CommitOffsets(ctx, bystanderGroup, offsets); err != nil {
		t.Fatal(err)
	}
	intact := func() (int64, bool) {
		ends, err := adm.ListEndOffsets(ctx, bystander)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		ends.Each(func(o kadm.ListedOffset) {
			if o.Err == nil {
				n += o.Offset
			}
		})
		committed, err := adm.FetchOffsets(ctx, bystanderGroup)
		return n, err == nil && len(committed) > 0
	}

	dir := t.TempDir()
	victim := read(t, filepath.Join(learners, "python", "keyed_producer.py"))
	write(t, dir, map[string]string{"victim/main.py": victim, "vandal/main.py": vandal("")})
	subs, _, err := gradebook.Discover(dir)
	if err != nil || len(subs) != 2 {
		t.Fatalf("discovered %d submissions: %v", len(subs), err)
	}
	run := subs[0].Run // python3 main.py, for both

	alone, err := sess.Check(ctx, course.CheckRequest{Exercise: ex, Dir: filepath.Join(dir, "victim"), Run: run, GradeOnly: true})
	if err != nil || alone.Status != result.Pass {
		t.Fatalf("the victim alone: %v\n%s", err, describe(alone))
	}

	// The victim's program starts only once the vandal is attacking its
	// topic, and the vandal goes on until the victim's run is over: the
	// two overlap, every time.
	var mu sync.Mutex
	names := map[string]map[string]string{}
	attacked := map[string]bool{} // the topics the vandal has said it attacks
	waited := time.Duration(-1)
	opts := gradebook.Options{Session: sess, Exercise: ex, Jobs: 2, Events: func(s gradebook.Submission, e grader.Event) {
		mu.Lock()
		if e.Vars != nil {
			names[s.Name] = e.Vars
		}
		if topic, ok := strings.CutPrefix(e.Line, "attack "); ok && s.Name == "vandal" {
			attacked[topic] = true
		}
		mu.Unlock()
		if s.Name != "victim" || e.Stage != grader.StageRunning {
			return
		}
		// The vandal may have seen the topic before the victim's names
		// were told: what it attacked is kept, and looked up here.
		for t0 := time.Now(); time.Since(t0) < time.Minute; time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			seen := attacked[names["victim"]["TOPIC"]]
			if seen {
				waited = time.Since(t0)
			}
			mu.Unlock()
			if seen {
				return
			}
		}
	}}
	entries, err := gradebook.Grade(ctx, opts, subs)
	if err != nil {
		t.Fatal(err)
	}
	if waited < 0 { // Grade has returned: no event is being told any more
		for _, e := range entries {
			t.Logf("%s:\n%s%s", e.Submission.Name, describe(e.Result), e.Result.Output)
		}
		t.Fatal("the vandal never attacked the victim's topic while the victim was about to run: the test proves nothing")
	}
	for _, e := range entries {
		r := e.Result
		switch e.Submission.Name {
		case "victim":
			if verdict(r) != verdict(alone) {
				t.Errorf("the victim beside the vandal:\n%s\nalone:\n%s", describe(r), describe(alone))
			}
		case "vandal":
			t.Logf("the vandal, whose attack the victim waited %s for:\n%s", waited.Round(time.Millisecond), describe(r))
			victimTopic := names["victim"]["TOPIC"]
			if r.Status != result.Fail || !strings.Contains(r.Tests[0].Message, "streamlab refused") {
				t.Errorf("the vandal: %s, want a failure that says what was refused:\n%s", r.Status, describe(r))
			}
			for _, want := range []string{
				"delete topic " + victimTopic + ": TOPIC_AUTHORIZATION_FAILED",
				"produce " + victimTopic + ": TOPIC_AUTHORIZATION_FAILED",
				"delete topic " + bystander + ": TOPIC_AUTHORIZATION_FAILED",
				"delete group " + bystanderGroup + ": GROUP_AUTHORIZATION_FAILED",
				"gone: " + victimTopic,
			} {
				if !strings.Contains(r.Output, want) {
					t.Errorf("the vandal's output lacks %q:\n%s", want, r.Output)
				}
			}
		}
	}
	if n, ok := intact(); n != 10 || !ok {
		t.Errorf("the bystander's topic holds %d records (want 10), its group's offsets kept: %v", n, ok)
	}

	// Without the guard: the vandal, checked alone as `streamlab check`
	// would on a learner's own cluster, aimed at the bystander only.
	write(t, dir, map[string]string{"unguarded/main.py": vandal("bystander-")})
	r, err := sess.Check(ctx, course.CheckRequest{Exercise: ex, Dir: filepath.Join(dir, "unguarded"), Run: run, GradeOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Output, "delete topic "+bystander+": done") || !strings.Contains(r.Output, "delete group "+bystanderGroup+": done") {
		t.Errorf("unguarded, the vandal did not delete the bystander's topic and group:\n%s", r.Output)
	}
	if td, err := adm.ListTopics(ctx); err != nil || td.Has(bystander) {
		t.Errorf("unguarded, the bystander's topic is still there (%v)", err)
	}
}
