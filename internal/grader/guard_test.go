package grader_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin/config"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/proxy"
	"github.com/streamlab/streamlab/internal/result"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The guard's refusals against a real Kafka, in the versions its newest
// clients speak: franz-go's admin client through a guarded proxy changes
// its own topics and groups and gets the authorization errors for
// another's, which stay as they were.
func TestAGuardedProxyOnRealKafka(t *testing.T) {
	cl := sharedLocal(t, containers.Kafka)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := fmt.Sprint(time.Now().UnixNano())
	mine, theirs := "guardtest-mine-"+id, "guardtest-theirs-"+id
	direct, err := kgo.NewClient(kgo.SeedBrokers(cl.Endpoints().KafkaBootstrap...))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	dadm := kadm.NewClient(direct)
	if _, err := dadm.CreateTopic(ctx, 3, 1, nil, theirs); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = dadm.DeleteTopics(context.Background(), theirs) }()
	if err := direct.ProduceSync(ctx, &kgo.Record{Topic: theirs, Value: []byte("theirs")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	offsets := kadm.Offsets{}
	offsets.Add(kadm.Offset{Topic: theirs, Partition: 0, At: 1})
	if _, err := dadm.CommitOffsets(ctx, theirs+"-group", offsets); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = dadm.DeleteGroups(context.Background(), theirs+"-group") }()

	p, err := proxy.StartGuarded(cl.Endpoints().KafkaBootstrap, nil, func(r proxy.Resource) bool { return strings.HasPrefix(r.Name, mine) })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	through, err := kgo.NewClient(kgo.SeedBrokers(p.Addr()), kgo.RequestRetries(0), kgo.RecordDeliveryTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer through.Close()
	adm := kadm.NewClient(through)

	created, err := adm.CreateTopics(ctx, 3, 1, nil, mine, theirs+"-new")
	if err != nil {
		t.Fatal(err)
	}
	if created[mine].Err != nil || !errors.Is(created[theirs+"-new"].Err, kerr.TopicAuthorizationFailed) {
		t.Errorf("creating: %v for its own, %v for another's", created[mine].Err, created[theirs+"-new"].Err)
	}
	if err := through.ProduceSync(ctx, &kgo.Record{Topic: theirs, Value: []byte("vandal")}).FirstErr(); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("writing to another's topic: %v", err)
	}
	if err := through.ProduceSync(ctx, &kgo.Record{Topic: mine, Value: []byte("mine")}).FirstErr(); err != nil {
		t.Errorf("writing to its own topic: %v", err)
	}
	if dg, err := adm.DeleteGroups(ctx, theirs+"-group"); err != nil || !errors.Is(dg[theirs+"-group"].Err, kerr.GroupAuthorizationFailed) {
		t.Errorf("deleting another's group: %v %v", err, dg)
	}
	deleted, err := adm.DeleteTopics(ctx, mine, theirs)
	if err != nil {
		t.Fatal(err)
	}
	if deleted[mine].Err != nil || !errors.Is(deleted[theirs].Err, kerr.TopicAuthorizationFailed) {
		t.Errorf("deleting: %v for its own, %v for another's", deleted[mine].Err, deleted[theirs].Err)
	}

	ends, err := dadm.ListEndOffsets(ctx, theirs)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	committed, err := dadm.FetchOffsets(ctx, theirs+"-group")
	if n != 1 || err != nil || len(committed) == 0 {
		t.Errorf("another's topic holds %d records (want 1), its group's offsets %v (%v)", n, committed, err)
	}
}

// A guard lets a correct program do everything its exercise asks: these
// solutions create topics with configs, write in transactions while the
// grader kills them through the same proxy, set a namespace's policy and
// a topic's through the admin API.
func TestGuardedSolutionsPass(t *testing.T) {
	t.Parallel()
	cat := loadCourse(t)
	for _, id := range []string{"kafka/create-topic", "kafka/keyed-producer", "kafka/exactly-once", "pulsar/retention", "pulsar/stateless-brokers"} {
		ex := cat.Exercise(id)
		t.Run(id, func(t *testing.T) {
			cl := sharedLocal(t, ex.Cluster)
			dir, err := filepath.Abs(filepath.Join(repoRoot, ex.SolutionDir))
			if err != nil {
				t.Fatal(err)
			}
			r := grader.Run(context.Background(), grader.Request{Exercise: ex, Dir: dir, Cluster: cl, Provider: "test", Prefix: "guarded", Guard: true})
			if r.Status != result.Pass || strings.Contains(r.Tests[0].Message, "refused") {
				t.Fatalf("guarded, the solution does not pass cleanly:\n%s", describe(r))
			}
		})
	}
}

// pulsarVandal is a program of pulsar/produce-consume that, through the
// admin API it is given, deletes every topic and namespace whose name
// holds target, and reports each answer.
const pulsarVandal = `import json, os, urllib.error, urllib.request

admin = os.environ["PULSAR_ADMIN_URL"]
TARGET = %q

def call(method, path):
    req = urllib.request.Request(admin + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            body = r.read()
            return r.status, json.loads(body) if body else None
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

_, namespaces = call("GET", "/admin/v2/namespaces/public")
for ns in namespaces:
    if TARGET not in ns:
        continue
    _, topics = call("GET", "/admin/v2/namespaces/%%s/topics" %% ns)
    for t in topics:
        print("delete topic", t, call("DELETE", "/admin/v2/" + t.replace("://", "/") + "?force=true")[0], flush=True)
    print("delete namespace", ns, call("DELETE", "/admin/v2/namespaces/" + ns)[0], flush=True)
_, topics = call("GET", "/admin/v2/persistent/public/default")
for t in topics:
    if TARGET in t:
        print("delete topic", t, call("DELETE", "/admin/v2/" + t.replace("://", "/") + "?force=true")[0], flush=True)
`

// On Pulsar a program's weapon is the admin API: guarded, a program that
// deletes another's topic and namespace is answered 403 and told so, and
// they stay; unguarded, the same program deletes them.
func TestAGuardedProgramCannotDeleteOthersOnPulsar(t *testing.T) {
	t.Parallel()
	py := pythonWithClients(t)
	cl := sharedLocal(t, containers.Pulsar)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	adm, err := pulsaradmin.NewClient(&config.Config{WebServiceURL: cl.Endpoints().PulsarAdminURL})
	if err != nil {
		t.Fatal(err)
	}
	target := fmt.Sprintf("bystander-%d", time.Now().UnixNano())
	ns, topic, inNS := "public/"+target, "persistent://public/default/"+target, "persistent://public/"+target+"/orders"
	if err := adm.Namespaces().CreateNamespaceWithContext(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // should the vandal not have deleted them
		for _, name := range []string{topic, inNS} {
			if tn, err := utils.GetTopicName(name); err == nil {
				_ = adm.Topics().Delete(*tn, true, true)
			}
		}
		_ = adm.Namespaces().DeleteNamespace(ns)
	})
	for _, name := range []string{topic, inNS} {
		tn, err := utils.GetTopicName(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := adm.Topics().CreateWithContext(ctx, *tn, 0); err != nil {
			t.Fatal(err)
		}
	}
	there := func() (int, error) {
		n := 0
		topics, err := adm.Namespaces().GetTopicsWithContext(ctx, "public/default")
		if err != nil {
			return 0, err
		}
		for _, tp := range topics {
			if tp == topic {
				n++
			}
		}
		namespaces, err := adm.Namespaces().GetNamespacesWithContext(ctx, "public")
		for _, name := range namespaces {
			if name == ns {
				n++
			}
		}
		return n, err
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vandal.py"), fmt.Appendf(nil, pulsarVandal, target), 0o644); err != nil {
		t.Fatal(err)
	}
	ex := loadCourse(t).Exercise("pulsar/produce-consume")
	req := grader.Request{Exercise: ex, Dir: dir, Run: py + " vandal.py", Cluster: cl, Provider: "test", Prefix: "vandal", Guard: true}
	r := grader.Run(ctx, req)
	if r.Status != result.Fail || !strings.Contains(r.Tests[0].Message, "streamlab refused") {
		t.Errorf("guarded, the vandal's verdict does not say what was refused:\n%s", describe(r))
	}
	for _, want := range []string{"delete topic " + inNS + " 403", "delete namespace " + ns + " 403", "delete topic " + topic + " 403"} {
		if !strings.Contains(r.Output, want) {
			t.Errorf("guarded, the vandal's output lacks %q:\n%s", want, r.Output)
		}
	}
	if n, err := there(); n != 2 || err != nil {
		t.Fatalf("guarded, %d of the bystander's topic and namespace are left (%v)", n, err)
	}

	req.Guard = false
	r = grader.Run(ctx, req)
	if n, err := there(); n != 0 || err != nil {
		t.Errorf("unguarded, %d of the bystander's topic and namespace are left, want none deleted by the vandal (%v):\n%s", n, err, describe(r))
	}
}

// The guard's cost on a grade: a prebuilt solution run with and without
// it on the package's local Kafka, one after the other so that both see
// the same cluster. program-ms is the program's own run, which the proxy
// stands in; total-ms is the whole run.
func BenchmarkGuardedRun(b *testing.B) {
	cl := sharedLocal(b, containers.Kafka)
	for _, id := range []string{"kafka/keyed-producer", "kafka/consumer-group"} {
		ex := loadCourse(b).Exercise(id)
		bin := filepath.Join(b.TempDir(), "solution")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir = filepath.Join(repoRoot, ex.SolutionDir)
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("building the solution: %v\n%s", err, out)
		}
		run := func(b *testing.B, guard bool) (program, total time.Duration) {
			t0 := time.Now()
			r := grader.Run(context.Background(), grader.Request{Exercise: ex, Dir: b.TempDir(), Run: bin, Cluster: cl, Prefix: "bench", Guard: guard})
			if r.Status != result.Pass {
				b.Fatalf("the solution did not pass (guard %v):\n%s", guard, describe(r))
			}
			return r.Timings.Program, time.Since(t0)
		}
		b.Run(id, func(b *testing.B) {
			run(b, false) // warms the cluster up for this exercise
			var program, total [2][]time.Duration
			for range b.N {
				for i, guard := range []bool{false, true} {
					p, t := run(b, guard)
					program[i] = append(program[i], p)
					total[i] = append(total[i], t)
				}
			}
			// Medians: a run now and then waits on the cluster for
			// reasons of its own (a metadata refresh, a rebalance).
			median := func(ds []time.Duration) float64 {
				slices.Sort(ds)
				return float64(ds[len(ds)/2].Microseconds()) / 1000
			}
			b.ReportMetric(median(program[0]), "program-ms/unguarded")
			b.ReportMetric(median(program[1]), "program-ms/guarded")
			b.ReportMetric(median(total[0]), "total-ms/unguarded")
			b.ReportMetric(median(total[1]), "total-ms/guarded")
			b.Logf("program ms, unguarded %v; guarded %v", program[0], program[1])
		})
	}
}

// The proxy's own cost, request by request, on the package's local
// Kafka: one produce round trip (a record written and acknowledged) and
// one batch of 1000 records, straight to the broker, through a proxy, and
// through a guarded one.
func BenchmarkGuardedProxy(b *testing.B) {
	cl := sharedLocal(b, containers.Kafka)
	ctx := context.Background()
	topic := fmt.Sprintf("bench-guard-%d", time.Now().UnixNano())
	direct, err := kgo.NewClient(kgo.SeedBrokers(cl.Endpoints().KafkaBootstrap...))
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	if _, err := kadm.NewClient(direct).CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		b.Fatal(err)
	}
	defer func() { _, _ = kadm.NewClient(direct).DeleteTopics(ctx, topic) }()
	plain, err := proxy.Start(cl.Endpoints().KafkaBootstrap, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	guarded, err := proxy.StartGuarded(cl.Endpoints().KafkaBootstrap, nil, func(r proxy.Resource) bool { return r.Name == topic })
	if err != nil {
		b.Fatal(err)
	}
	defer guarded.Close()
	batch := make([]*kgo.Record, 1000)
	// The broker's JIT warms up on the first requests: not the proxy's cost.
	for t0 := time.Now(); time.Since(t0) < 3*time.Second; {
		if err := direct.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("x")}).FirstErr(); err != nil {
			b.Fatal(err)
		}
	}
	for _, via := range []struct{ name, addr string }{
		{"direct", cl.Endpoints().KafkaBootstrap[0]}, {"proxy", plain.Addr()}, {"guarded", guarded.Addr()},
	} {
		c, err := kgo.NewClient(kgo.SeedBrokers(via.addr), kgo.MetadataMinAge(50*time.Millisecond))
		if err != nil {
			b.Fatal(err)
		}
		if err := c.ProduceSync(ctx, &kgo.Record{Topic: topic}).FirstErr(); err != nil { // metadata, producer id
			b.Fatal(err)
		}
		b.Run("one-record/"+via.name, func(b *testing.B) {
			for range b.N {
				if err := c.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("x")}).FirstErr(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("1000-records/"+via.name, func(b *testing.B) {
			for range b.N {
				for i := range batch {
					batch[i] = &kgo.Record{Topic: topic, Value: []byte("0123456789abcdef0123456789abcdef")}
				}
				if err := c.ProduceSync(ctx, batch...).FirstErr(); err != nil {
					b.Fatal(err)
				}
			}
		})
		c.Close()
	}
}
