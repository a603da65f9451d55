package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/containers"
)

func TestKafkaProperties(t *testing.T) {
	got := kafkaProperties(kafkaConfig{BrokerPort: 40001, ControllerPort: 40002, DataDir: `/tmp/x y/data`})
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
		"process.roles":                            "broker,controller",
		"node.id":                                  "1",
		"controller.quorum.voters":                 "1@127.0.0.1:40002",
		"listeners":                                "PLAINTEXT://127.0.0.1:40001,CONTROLLER://127.0.0.1:40002",
		"advertised.listeners":                     "PLAINTEXT://127.0.0.1:40001",
		"controller.listener.names":                "CONTROLLER",
		"log.dirs":                                 `/tmp/x y/data`,
		"num.partitions":                           "1",
		"offsets.topic.replication.factor":         "1",
		"transaction.state.log.replication.factor": "1",
		"transaction.state.log.min.isr":            "1",
		"group.initial.rebalance.delay.ms":         "0",
	}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("%s = %q, want %q", k, props[k], v)
		}
	}
	// Exercises check that learners set retention on their topics, so the
	// broker must keep Kafka's default (7 days).
	for k := range props {
		if strings.HasPrefix(k, "log.retention") {
			t.Errorf("server.properties overrides %s; keep Kafka's default retention", k)
		}
	}
}

func TestPropEscape(t *testing.T) {
	if got, want := propEscape(`C:\a=b`), `C\:\\a\=b`; got != want {
		t.Errorf("propEscape = %q, want %q", got, want)
	}
}

func TestJavaMajor(t *testing.T) {
	for v, want := range map[string]int{"17.0.15": 17, "25": 25, "1.8.0_292": 8, "21-ea": 21, "": 0, "x": 0} {
		if got := javaMajor(v); got != want {
			t.Errorf("javaMajor(%q) = %d, want %d", v, got, want)
		}
	}
}

// fakeJDK makes a directory that looks like a JDK of the given version.
func fakeJDK(t *testing.T, version string) string {
	t.Helper()
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "bin"), 0o755)
	if err := os.WriteFile(filepath.Join(home, "bin", "java"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(home, "release"), []byte("IMPLEMENTOR=\"test\"\nJAVA_VERSION=\""+version+"\"\n"), 0o644)
	return home
}

func TestFindJava(t *testing.T) {
	t.Run("no java anywhere", func(t *testing.T) {
		t.Setenv("JAVA_HOME", "")
		t.Setenv("PATH", t.TempDir())
		_, err := FindJava("")
		wantErr(t, err, "no Java found", "install a JDK 17", "JAVA_HOME", "--cluster embedded")
	})
	t.Run("JAVA_HOME without java", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("JAVA_HOME", dir)
		_, err := FindJava("")
		wantErr(t, err, "JAVA_HOME is "+dir, "install a JDK 17")
	})
	t.Run("too old", func(t *testing.T) {
		t.Setenv("JAVA_HOME", fakeJDK(t, "11.0.2"))
		_, err := FindJava("")
		wantErr(t, err, "Java 11.0.2", "needs Java 17 or newer", "install a JDK 17")
	})
	t.Run("option wins over JAVA_HOME", func(t *testing.T) {
		t.Setenv("JAVA_HOME", t.TempDir())
		home := fakeJDK(t, "21.0.1")
		j, err := FindJava(home)
		if err != nil {
			t.Fatal(err)
		}
		if j.Path != filepath.Join(home, "bin", "java") || j.Version != "21.0.1" {
			t.Errorf("FindJava = %+v", j)
		}
	})
	t.Run("on PATH", func(t *testing.T) {
		home := fakeJDK(t, "17.0.9")
		t.Setenv("JAVA_HOME", "")
		t.Setenv("PATH", filepath.Join(home, "bin"))
		j, err := FindJava("")
		if err != nil {
			t.Fatal(err)
		}
		if j.Version != "17.0.9" {
			t.Errorf("version from release file = %q, want 17.0.9", j.Version)
		}
	})
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

// fakeKafka makes dir/libs/kafka_2.13-<version>.jar (empty) and returns dir.
func fakeKafka(t *testing.T, dir, version string, complete bool) string {
	t.Helper()
	libs := filepath.Join(dir, "libs")
	if err := os.MkdirAll(libs, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"kafka_2.13-" + version + ".jar", "kafka_2.13-" + version + "-test.jar", "kafka-clients-" + version + ".jar"} {
		os.WriteFile(filepath.Join(libs, name), nil, 0o644)
	}
	if complete {
		os.WriteFile(filepath.Join(dir, ".complete"), []byte("x\n"), 0o644)
	}
	return dir
}

// isolate points every discovery input at empty places.
func isolate(t *testing.T) string {
	t.Helper()
	cache := t.TempDir()
	t.Setenv("STREAMLAB_CACHE", cache)
	t.Setenv("STREAMLAB_KAFKA_HOME", "")
	t.Setenv("KAFKA_VERSION", "")
	return cache
}

func TestFindKafka(t *testing.T) {
	t.Run("nothing fetched", func(t *testing.T) {
		cache := isolate(t)
		_, err := FindKafka("", "")
		wantErr(t, err, "jars not found", filepath.Join(cache, "kafka", DefaultKafkaVersion), "run scripts/fetch-kafka", "STREAMLAB_KAFKA_HOME", "--cluster embedded")
	})
	t.Run("explicit version not fetched", func(t *testing.T) {
		cache := isolate(t)
		fakeKafka(t, filepath.Join(cache, "kafka", "4.3.1"), "4.3.1", true)
		t.Setenv("KAFKA_VERSION", "4.9.0")
		_, err := FindKafka("", "")
		wantErr(t, err, "Kafka 4.9.0 jars not found", "KAFKA_VERSION=4.9.0 scripts/fetch-kafka")
	})
	t.Run("default version in cache", func(t *testing.T) {
		cache := isolate(t)
		dir := fakeKafka(t, filepath.Join(cache, "kafka", DefaultKafkaVersion), DefaultKafkaVersion, true)
		d, err := FindKafka("", "")
		if err != nil {
			t.Fatal(err)
		}
		if d.Version != DefaultKafkaVersion || d.Libs != filepath.Join(dir, "libs") || filepath.Base(d.Jar) != "kafka_2.13-"+DefaultKafkaVersion+".jar" {
			t.Errorf("FindKafka = %+v", d)
		}
	})
	t.Run("incomplete fetch is ignored", func(t *testing.T) {
		cache := isolate(t)
		fakeKafka(t, filepath.Join(cache, "kafka", DefaultKafkaVersion), DefaultKafkaVersion, false)
		_, err := FindKafka("", "")
		wantErr(t, err, "run scripts/fetch-kafka")
	})
	t.Run("newest other version in cache", func(t *testing.T) {
		cache := isolate(t)
		fakeKafka(t, filepath.Join(cache, "kafka", "4.2.0"), "4.2.0", true)
		fakeKafka(t, filepath.Join(cache, "kafka", "4.10.0"), "4.10.0", true)
		fakeKafka(t, filepath.Join(cache, "kafka", "4.11.0"), "4.11.0", false)
		d, err := FindKafka("", "")
		if err != nil {
			t.Fatal(err)
		}
		if d.Version != "4.10.0" {
			t.Errorf("picked %s, want 4.10.0", d.Version)
		}
	})
	t.Run("STREAMLAB_KAFKA_HOME release layout", func(t *testing.T) {
		isolate(t)
		dir := fakeKafka(t, t.TempDir(), "4.2.1", false)
		t.Setenv("STREAMLAB_KAFKA_HOME", dir)
		d, err := FindKafka("", "")
		if err != nil {
			t.Fatal(err)
		}
		if d.Version != "4.2.1" {
			t.Errorf("FindKafka = %+v", d)
		}
	})
	t.Run("home is the libs dir", func(t *testing.T) {
		isolate(t)
		dir := fakeKafka(t, t.TempDir(), "4.1.0", false)
		d, err := FindKafka(filepath.Join(dir, "libs"), "")
		if err != nil {
			t.Fatal(err)
		}
		if d.Version != "4.1.0" || d.Libs != filepath.Join(dir, "libs") {
			t.Errorf("FindKafka = %+v", d)
		}
	})
	t.Run("bad STREAMLAB_KAFKA_HOME", func(t *testing.T) {
		isolate(t)
		dir := t.TempDir()
		t.Setenv("STREAMLAB_KAFKA_HOME", dir)
		_, err := FindKafka("", "")
		wantErr(t, err, "STREAMLAB_KAFKA_HOME="+dir, "no kafka_<scala>-<version>.jar", "run scripts/fetch-kafka")
	})
	t.Run("missing KafkaHome option", func(t *testing.T) {
		isolate(t)
		_, err := FindKafka("/nonexistent/kafka", "")
		wantErr(t, err, "KafkaHome option=/nonexistent/kafka", "no such directory")
	})
}

func TestCacheDir(t *testing.T) {
	t.Setenv("STREAMLAB_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if got := CacheDir(); got != "/xdg/streamlab" {
		t.Errorf("CacheDir with XDG_CACHE_HOME = %q", got)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := CacheDir(); got != "/home/u/.cache/streamlab" {
		t.Errorf("CacheDir from HOME = %q", got)
	}
	t.Setenv("STREAMLAB_CACHE", "/c")
	if got := CacheDir(); got != "/c" {
		t.Errorf("CacheDir with STREAMLAB_CACHE = %q", got)
	}
}

func TestProviderErrors(t *testing.T) {
	isolate(t)
	p := New(Options{})
	if p.Name() != "local" {
		t.Errorf("Name = %q", p.Name())
	}
	// Without a Pulsar implementation plugged in (pulsarSupport), Pulsar
	// is a clear error.
	saved := pulsarSupport
	pulsarSupport.start, pulsarSupport.check = nil, nil
	var events []containers.Event
	_, err := p.Start(context.Background(), containers.Pulsar, func(e containers.Event) { events = append(events, e) })
	wantErr(t, err, "Pulsar is not implemented yet")
	if len(events) != 1 || events[0].Stage != containers.StageFailed || events[0].Err == nil {
		t.Errorf("events for Pulsar = %+v, want one failed event", events)
	}
	wantErr(t, p.Check(containers.Pulsar), "Pulsar is not implemented yet")
	pulsarSupport = saved

	events = nil
	_, err = p.Start(context.Background(), containers.Kafka, func(e containers.Event) { events = append(events, e) })
	if err == nil {
		t.Fatal("Start succeeded without jars")
	}
	if !strings.Contains(err.Error(), "run scripts/fetch-kafka") && !strings.Contains(err.Error(), "install a JDK") {
		t.Errorf("error %q says neither what to fetch nor what to install", err)
	}
	if last := events[len(events)-1]; last.Stage != containers.StageFailed || last.Err == nil || last.Provider != "local" || last.Kind != containers.Kafka {
		t.Errorf("last event = %+v, want a failed event", last)
	}
	if err := p.Check(containers.Kafka); err == nil {
		t.Error("Check(Kafka) = nil without jars")
	}
}

func TestVersionLess(t *testing.T) {
	for _, c := range []struct {
		a, b string
		less bool
	}{{"4.9.1", "4.10.0", true}, {"4.1.1", "4.1.1", false}, {"4.1", "4.1.1", true}, {"4.2.0", "4.1.9", false}} {
		if got := versionLess(c.a, c.b); got != c.less {
			t.Errorf("versionLess(%s, %s) = %v", c.a, c.b, got)
		}
	}
}

// scripts/fetch-kafka and FindKafka must agree on the default version.
func TestFetchScriptDefaultVersion(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "scripts", "fetch-kafka"))
	if err != nil {
		t.Fatal(err)
	}
	want := `KAFKA_VERSION="${KAFKA_VERSION:-` + DefaultKafkaVersion + `}"`
	if !strings.Contains(string(b), want) {
		t.Errorf("scripts/fetch-kafka does not default to %s (no line %s)", DefaultKafkaVersion, want)
	}
}
