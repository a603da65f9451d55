package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"

	"github.com/streamlab/streamlab/containers"
)

// requirePulsar skips the test when Java or the Pulsar release is missing,
// unless STREAMLAB_REQUIRE_LOCAL=1 (CI), where that is a failure.
func requirePulsar(tb testing.TB) {
	tb.Helper()
	if testing.Short() && os.Getenv("STREAMLAB_REQUIRE_LOCAL") != "1" {
		tb.Skip("starts a real Pulsar; skipped with -short")
	}
	err := New(Options{}).Check(containers.Pulsar)
	if err == nil {
		return
	}
	if os.Getenv("STREAMLAB_REQUIRE_LOCAL") == "1" {
		tb.Fatalf("STREAMLAB_REQUIRE_LOCAL=1 but the local provider cannot run Pulsar: %v", err)
	}
	tb.Skipf("local Pulsar not available (run scripts/fetch-pulsar to enable this test): %v", err)
}

func TestPulsarStandaloneConf(t *testing.T) {
	got := pulsarStandaloneConf(pulsarConfig{WebPort: 40001, BrokerPort: 40002, Loopback: "lo"})
	props := map[string]string{}
	for _, l := range strings.Split(got, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("line without '=': %q", l)
		}
		if _, dup := props[k]; dup {
			t.Errorf("duplicate key %s", k)
		}
		props[k] = v
	}
	want := map[string]string{
		"bindAddress":                       "127.0.0.1",
		"advertisedAddress":                 "127.0.0.1",
		"webServicePort":                    "40001",
		"brokerServicePort":                 "40002",
		"managedLedgerDefaultEnsembleSize":  "1",
		"managedLedgerDefaultWriteQuorum":   "1",
		"managedLedgerDefaultAckQuorum":     "1",
		"brokerDeleteInactiveTopicsEnabled": "false",
		"functionsWorkerEnabled":            "false",
		"allowEphemeralPorts":               "true",
		"listeningInterface":                "lo",
	}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("%s = %q, want %q", k, props[k], v)
		}
	}
	// Exercises check that learners set retention on their namespaces, so
	// the broker must keep Pulsar's defaults.
	for k := range props {
		if strings.Contains(strings.ToLower(k), "retention") {
			t.Errorf("standalone.conf overrides %s; keep Pulsar's default retention", k)
		}
	}
}

// fakePulsar makes dir/lib/<jar> (empty) for each jar and returns dir.
func fakePulsar(t *testing.T, dir string, jars ...string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, j := range jars {
		if err := os.WriteFile(filepath.Join(dir, "lib", j), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFindPulsar(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("STREAMLAB_CACHE", cache)
	t.Setenv("STREAMLAB_PULSAR_HOME", "")
	t.Setenv("PULSAR_VERSION", "")

	_, err := FindPulsar("", "")
	wantErr(t, err, "Pulsar "+DefaultPulsarVersion+" not found", "scripts/fetch-pulsar", "--cluster docker")

	// A release's layout; its other pulsar-broker-* jars are not the broker.
	rel := fakePulsar(t, t.TempDir(), "org.apache.pulsar-pulsar-broker-common-4.0.8.jar",
		"org.apache.pulsar-pulsar-broker-auth-oidc-4.0.8.jar", "org.apache.pulsar-pulsar-broker-4.0.8.jar")
	t.Setenv("STREAMLAB_PULSAR_HOME", rel)
	d, err := FindPulsar("", "")
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != "4.0.8" || d.Lib != filepath.Join(rel, "lib") || filepath.Base(d.Jar) != "org.apache.pulsar-pulsar-broker-4.0.8.jar" {
		t.Errorf("release: got %+v", d)
	}

	// A flat directory of jars named as Maven's copy-dependencies names them.
	flat := t.TempDir()
	os.WriteFile(filepath.Join(flat, "pulsar-broker-common-3.3.6.jar"), nil, 0o644)
	os.WriteFile(filepath.Join(flat, "pulsar-broker-3.3.6.jar"), nil, 0o644)
	t.Setenv("STREAMLAB_PULSAR_HOME", flat)
	if d, err := FindPulsar("", ""); err != nil || d.Version != "3.3.6" || d.Lib != flat {
		t.Errorf("flat: got %+v, %v", d, err)
	}

	t.Setenv("STREAMLAB_PULSAR_HOME", t.TempDir())
	_, err = FindPulsar("", "")
	wantErr(t, err, "STREAMLAB_PULSAR_HOME=", "no pulsar-broker-<version>.jar")
	t.Setenv("STREAMLAB_PULSAR_HOME", "")

	// The cache: a directory counts only with the fetch script's marker.
	v1 := fakePulsar(t, filepath.Join(cache, "pulsar", "4.0.6"), "org.apache.pulsar-pulsar-broker-4.0.6.jar")
	if _, err := FindPulsar("", ""); err == nil {
		t.Error("found a cache directory without .complete")
	}
	os.WriteFile(filepath.Join(v1, ".complete"), nil, 0o644)
	if d, err := FindPulsar("", ""); err != nil || d.Version != "4.0.6" {
		t.Errorf("any cached version: got %+v, %v", d, err)
	}
	v2 := fakePulsar(t, filepath.Join(cache, "pulsar", "4.0.10"), "org.apache.pulsar-pulsar-broker-4.0.10.jar")
	os.WriteFile(filepath.Join(v2, ".complete"), nil, 0o644)
	if d, err := FindPulsar("", ""); err != nil || d.Version != "4.0.10" {
		t.Errorf("newest cached version: got %+v, %v", d, err)
	}
	t.Setenv("PULSAR_VERSION", "4.0.6")
	if d, err := FindPulsar("", ""); err != nil || d.Version != "4.0.6" {
		t.Errorf("PULSAR_VERSION=4.0.6: got %+v, %v", d, err)
	}
	t.Setenv("PULSAR_VERSION", "9.9.9")
	_, err = FindPulsar("", "")
	wantErr(t, err, "Pulsar 9.9.9 not found", "PULSAR_VERSION=9.9.9 scripts/fetch-pulsar")
}

// scripts/fetch-pulsar and FindPulsar must agree on the default version.
func TestFetchPulsarScriptDefaultVersion(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "scripts", "fetch-pulsar"))
	if err != nil {
		t.Fatal(err)
	}
	want := `PULSAR_VERSION="${PULSAR_VERSION:-` + DefaultPulsarVersion + `}"`
	if !strings.Contains(string(b), want) {
		t.Errorf("scripts/fetch-pulsar does not default to %s (no line %s)", DefaultPulsarVersion, want)
	}
}

func TestPulsarEnvDropsZooKeeperSwitch(t *testing.T) {
	t.Setenv("PULSAR_STANDALONE_USE_ZOOKEEPER", "1")
	if slices.ContainsFunc(pulsarEnv(), func(kv string) bool { return strings.HasPrefix(kv, "PULSAR_STANDALONE_USE_ZOOKEEPER=") }) {
		t.Error("pulsarEnv passes PULSAR_STANDALONE_USE_ZOOKEEPER on")
	}
}

func TestPulsarStartProduceConsumeStop(t *testing.T) {
	requirePulsar(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	var rec recorder
	t0 := time.Now()
	c, err := New(Options{TempDir: tmp}).Start(ctx, containers.Pulsar, rec.add)
	if err != nil {
		t.Fatal(err)
	}
	pc := c.(*PulsarCluster)
	defer pc.Stop(context.Background())
	t.Logf("Pulsar %s ready in %v: %s, %s", pc.Version(), time.Since(t0).Round(time.Millisecond), pc.ServiceURL(), pc.AdminURL())

	if got, want := stagesStr(rec.stages()), []string{"preparing", "starting", "waiting", "ready"}; !slices.Equal(got, want) {
		t.Errorf("stages = %v, want %v", got, want)
	}
	ep := c.Endpoints()
	if !strings.HasPrefix(ep.PulsarServiceURL, "pulsar://127.0.0.1:") || !strings.HasPrefix(ep.PulsarAdminURL, "http://127.0.0.1:") || ep.KafkaBootstrap != nil {
		t.Errorf("endpoints = %+v", ep)
	}

	// The admin API answers as a check would ask it.
	var clusters []string
	if err := getJSON(ctx, ep.PulsarAdminURL+"/admin/v2/clusters", &clusters); err != nil || !slices.Equal(clusters, []string{"standalone"}) {
		t.Errorf("clusters = %v, %v", clusters, err)
	}

	// A produce/consume round trip through broker and bookie.
	client, err := pulsar.NewClient(pulsar.ClientOptions{
		URL: ep.PulsarServiceURL, OperationTimeout: 30 * time.Second, Logger: plog.DefaultNopLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	topic := "persistent://public/default/roundtrip"
	cons, err := client.Subscribe(pulsar.ConsumerOptions{
		Topic: topic, SubscriptionName: "s", SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	prod, err := client.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := range n {
		if _, err := prod.Send(ctx, &pulsar.ProducerMessage{Key: strconv.Itoa(i % 3), Payload: []byte(fmt.Sprintf("m%d", i))}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	prod.Close()
	for i := range n {
		m, err := cons.Receive(ctx)
		if err != nil {
			t.Fatalf("receive %d: %v", i, err)
		}
		if got, want := string(m.Payload()), fmt.Sprintf("m%d", i); got != want || m.Key() != strconv.Itoa(i%3) {
			t.Fatalf("message %d = %q key %q, want %q key %q", i, got, m.Key(), want, strconv.Itoa(i%3))
		}
		if err := cons.Ack(m); err != nil {
			t.Fatal(err)
		}
	}

	var stats struct {
		MsgInCounter int64 `json:"msgInCounter"`
	}
	if err := getJSON(ctx, ep.PulsarAdminURL+"/admin/v2/persistent/public/default/roundtrip/stats", &stats); err != nil || stats.MsgInCounter != n {
		t.Errorf("topic stats msgInCounter = %d, %v; want %d", stats.MsgInCounter, err, n)
	}
	cons.Close()
	client.Close()

	pid, dir := pc.Pid(), pc.Dir()
	t1 := time.Now()
	if err := c.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
	t.Logf("stopped in %v", time.Since(t1).Round(time.Millisecond))
	if err := c.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	assertCleanedUp(t, pid, dir)
	assertEmptyDir(t, tmp)
}

func TestPulsarStartFailureShowsLog(t *testing.T) {
	requirePulsar(t)
	tmp := t.TempDir()
	var rec recorder
	_, err := New(Options{TempDir: tmp, JVMArgs: []string{"-XX:+StreamlabNoSuchOption"}}).StartPulsar(context.Background(), rec.add)
	wantErr(t, err, "start Pulsar", "exited during start-up", "StreamlabNoSuchOption")
	st := rec.stages()
	if st[len(st)-1] != containers.StageFailed {
		t.Errorf("stages = %v, want failed last", st)
	}
	assertEmptyDir(t, tmp)
}

func TestPulsarStartCancelled(t *testing.T) {
	requirePulsar(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tmp := t.TempDir()
	pid := 0
	_, err := New(Options{TempDir: tmp}).StartPulsar(ctx, func(e containers.Event) {
		if e.Stage == containers.StageStarting {
			if m := pidRE.FindStringSubmatch(e.Message); m != nil {
				pid, _ = strconv.Atoi(m[1])
			}
			cancel() // the JVM is launched but not ready yet
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if pid == 0 {
		t.Fatal("no pid in the starting event")
	}
	waitGone(t, pid)
	assertEmptyDir(t, tmp)
}

// BenchmarkPulsarColdStart measures Start (to ready) and Stop of a fresh
// standalone. Run it with a fixed count:
//
//	go test ./containers/local -run '^$' -bench PulsarColdStart -benchtime 3x
//
// "cached" maps the AppCDS archive that an earlier run dumped (the first
// iteration makes it if needed); "uncached" is a first start on a new machine.
func BenchmarkPulsarColdStart(b *testing.B) {
	requirePulsar(b)
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"cached", Options{}},
		{"uncached", Options{NoClassDataCache: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.opts.TempDir = b.TempDir()
			p := New(bc.opts)
			if bc.name == "cached" {
				c, err := p.StartPulsar(context.Background(), nil)
				if err != nil {
					b.Fatal(err)
				}
				c.Stop(context.Background())
			}
			var ready, stop []time.Duration
			for b.Loop() {
				t0 := time.Now()
				c, err := p.StartPulsar(context.Background(), nil)
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				c.Stop(context.Background())
				ready, stop = append(ready, t1.Sub(t0)), append(stop, time.Since(t1))
			}
			b.ReportMetric(median(ready).Seconds(), "s-ready-median")
			b.ReportMetric(median(stop).Seconds(), "s-stop-median")
		})
	}
}
