package docker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/streamlab/streamlab/containers"
)

// recorder collects progress events.
type recorder struct {
	mu     sync.Mutex
	events []containers.Event
}

func (r *recorder) add(e containers.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// stages lists the stages seen, repeats folded.
func (r *recorder) stages() []containers.Stage {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []containers.Stage
	for _, e := range r.events {
		if len(s) == 0 || s[len(s)-1] != e.Stage {
			s = append(s, e.Stage)
		}
	}
	return s
}

// reporter adapts the recorder to the report functions inside the package.
func (r *recorder) reporter(k containers.Kind) func(containers.Stage, string) {
	return func(s containers.Stage, msg string) {
		r.add(containers.Event{Provider: ProviderName, Kind: k, Stage: s, Message: msg})
	}
}

func (r *recorder) messages() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.events {
		fmt.Fprintf(&b, "%s: %s\n", e.Stage, e.Message)
	}
	return b.String()
}

// noEngineHere points every place the provider looks for an engine into
// a fresh directory, so that the machine's own Docker (if any) is not
// found, and returns that directory (short, for unix socket paths).
func noEngineHere(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sld")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	oldSocket, oldRun := defaultSocket, runUserDir
	defaultSocket, runUserDir = filepath.Join(dir, "default.sock"), filepath.Join(dir, "run")
	t.Cleanup(func() { defaultSocket, runUserDir = oldSocket, oldRun })
	t.Setenv("HOME", dir)
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_CONFIG", filepath.Join(dir, ".docker"))
	t.Setenv("DOCKER_CONTEXT", "")
	t.Setenv("XDG_RUNTIME_DIR", "")
	return dir
}

// closedSocket leaves a unix socket file at path that nothing listens on.
func closedSocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
}

// fakeEngine serves the one call an engine check makes, /_ping.
func fakeEngine(t *testing.T, path string) {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/_ping") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Api-Version", "1.47")
		w.Header().Set("Ostype", "linux")
		fmt.Fprint(w, "OK")
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

// mute is an engine that accepts connections and never answers.
func mute(t *testing.T, path string) {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
}

func TestImages(t *testing.T) {
	p := New(Options{})
	for k, want := range map[containers.Kind]string{containers.Kafka: DefaultKafkaImage, containers.Pulsar: DefaultPulsarImage} {
		got, err := p.Image(k)
		if err != nil || got != want {
			t.Errorf("Image(%s) = %q, %v; want %q", k, got, err, want)
		}
		_, tag, ok := strings.Cut(got, ":")
		if !ok || tag == "" || tag == "latest" {
			t.Errorf("image %q is not pinned by tag", got)
		}
	}
	p = New(Options{KafkaImage: "confluentinc/confluent-local:7.6.0", PulsarImage: "apachepulsar/pulsar:4.0.9"})
	if got, _ := p.Image(containers.Kafka); got != "confluentinc/confluent-local:7.6.0" {
		t.Errorf("KafkaImage option ignored: %s", got)
	}
	if got, _ := p.Image(containers.Pulsar); got != "apachepulsar/pulsar:4.0.9" {
		t.Errorf("PulsarImage option ignored: %s", got)
	}
	if _, err := p.Image("rabbitmq"); err == nil {
		t.Error("unknown kind: no error")
	}
	if err := p.Check("rabbitmq"); err == nil || !strings.Contains(err.Error(), "unknown cluster kind") {
		t.Errorf("Check(unknown) = %v", err)
	}
	if p.Name() != "docker" {
		t.Errorf("Name = %q", p.Name())
	}
}

func TestDefaults(t *testing.T) {
	p := New(Options{})
	if p.startTimeout() != 3*time.Minute || p.checkTimeout() != 3*time.Second {
		t.Errorf("defaults: start %v, check %v", p.startTimeout(), p.checkTimeout())
	}
	p = New(Options{StartTimeout: time.Minute, CheckTimeout: time.Second})
	if p.startTimeout() != time.Minute || p.checkTimeout() != time.Second {
		t.Errorf("options ignored: start %v, check %v", p.startTimeout(), p.checkTimeout())
	}
}

// request applies a start's customizers on top of what a module sets.
func request(t *testing.T, p *Provider, k containers.Kind, rec *recorder, module ...testcontainers.ContainerCustomizer) testcontainers.GenericContainerRequest {
	t.Helper()
	opts, err := p.customizers(k, rec.reporter(k), &lineLogger{})
	if err != nil {
		t.Fatal(err)
	}
	var req testcontainers.GenericContainerRequest
	for _, o := range append(module, opts...) {
		if err := o.Customize(&req); err != nil {
			t.Fatal(err)
		}
	}
	return req
}

func TestKafkaRequest(t *testing.T) {
	var rec recorder
	moduleHook := testcontainers.ContainerLifecycleHooks{PostStarts: []testcontainers.ContainerHook{func(context.Context, testcontainers.Container) error {
		rec.add(containers.Event{Message: "module waits for the broker"})
		return nil
	}}}
	req := request(t, New(Options{}), containers.Kafka, &rec,
		testcontainers.WithEnv(map[string]string{"KAFKA_NODE_ID": "1"}),
		testcontainers.WithLifecycleHooks(moduleHook))

	for k, want := range map[string]string{
		"KAFKA_NODE_ID":                   "1", // the module's own stays
		"KAFKA_AUTO_CREATE_TOPICS_ENABLE": "true",
		"KAFKA_LOG_RETENTION_HOURS":       "168",
		"KAFKA_HEAP_OPTS":                 "-Xms256m -Xmx512m",
	} {
		if req.Env[k] != want {
			t.Errorf("env %s = %q, want %q", k, req.Env[k], want)
		}
	}
	if req.Labels[LabelProvider] != "docker" || req.Labels[LabelKind] != "kafka" || req.Labels[LabelPID] != fmt.Sprint(os.Getpid()) || req.Labels[LabelHost] != hostname() {
		t.Errorf("labels = %v", req.Labels)
	}
	if req.Logger == nil {
		t.Error("no logger set: testcontainers-go would log to its default")
	}
	if req.LogConsumerCfg != nil {
		t.Error("a log consumer without Options.Log")
	}
	if req.WaitingFor != nil {
		t.Errorf("Kafka: the module's readiness is kept, got a wait strategy %v", req.WaitingFor)
	}

	// Our hooks run before the module's, so "waiting" is reported before
	// the module's PostStarts hook blocks until the broker runs.
	if len(req.LifecycleHooks) != 2 {
		t.Fatalf("lifecycle hooks: %d sets, want ours and the module's", len(req.LifecycleHooks))
	}
	for _, hs := range req.LifecycleHooks {
		for _, h := range hs.PostStarts {
			if err := h(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(rec.events) != 2 || rec.events[0].Stage != containers.StageWaiting || rec.events[1].Message != "module waits for the broker" {
		t.Errorf("PostStarts order:\n%s", rec.messages())
	}
}

func TestPulsarRequest(t *testing.T) {
	var rec recorder
	var logBuf bytes.Buffer
	// The module's own wait strategy is replaced, not added to.
	req := request(t, New(Options{Log: &logBuf, StartTimeout: 90 * time.Second}), containers.Pulsar, &rec,
		testcontainers.WithWaitStrategy())
	for k, want := range map[string]string{
		"PULSAR_MEM": "-Xms512m -Xmx512m -XX:MaxDirectMemorySize=256m",
		"PULSAR_PREFIX_brokerDeleteInactiveTopicsEnabled": "false",
		"PULSAR_PREFIX_allowAutoTopicCreationType":        "non-partitioned",
	} {
		if req.Env[k] != want {
			t.Errorf("env %s = %q, want %q", k, req.Env[k], want)
		}
	}
	if _, ok := req.Env["PULSAR_PREFIX_PULSAR_MEM"]; ok {
		t.Error("PULSAR_MEM went through the config-file prefix")
	}
	if req.Labels[LabelKind] != "pulsar" {
		t.Errorf("labels = %v", req.Labels)
	}
	if req.LogConsumerCfg == nil || len(req.LogConsumerCfg.Consumers) != 1 {
		t.Fatalf("Options.Log set but no log consumer: %+v", req.LogConsumerCfg)
	}
	req.LogConsumerCfg.Consumers[0].Accept(testcontainers.Log{Content: []byte("broker up\nall good\n")})
	if got := logBuf.String(); got != "[pulsar] broker up\n[pulsar] all good\n" {
		t.Errorf("container output in the log = %q", got)
	}
	if req.WaitingFor == nil {
		t.Fatal("no wait strategy")
	}
	w := fmt.Sprint(req.WaitingFor)
	for _, want := range []string{"/admin/v2/tenants", "/admin/v2/namespaces/public", "6650"} {
		if !strings.Contains(w, want) {
			t.Errorf("wait strategy %s lacks %s", w, want)
		}
	}
	if strings.Contains(w, "Successfully updated") {
		t.Errorf("wait strategy still waits for the old log line: %s", w)
	}
}

func TestJSONListHas(t *testing.T) {
	m := jsonListHas("public/default")
	for body, want := range map[string]bool{
		`["public/default","public/functions"]`: true,
		`["public/functions"]`:                  false,
		`[]`:                                    false,
		`{"reason":"Tenant does not exist"}`:    false,
		`not json`:                              false,
	} {
		if got := m(strings.NewReader(body)); got != want {
			t.Errorf("%s: %v, want %v", body, got, want)
		}
	}
}

func TestProgressHooks(t *testing.T) {
	var rec recorder
	h := progressHooks(containers.Pulsar, rec.reporter(containers.Pulsar))
	ctx := context.Background()
	if err := h.PreCreates[0](ctx, testcontainers.ContainerRequest{Image: DefaultPulsarImage}); err != nil {
		t.Fatal(err)
	}
	fake := &fakeContainer{id: "0123456789abcdef0123"}
	for _, hs := range [][]testcontainers.ContainerHook{h.PreStarts, h.PostStarts, h.PostReadies} {
		for _, f := range hs {
			if err := f(ctx, fake); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := []containers.Stage{containers.StageStarting, containers.StageWaiting}
	if got := rec.stages(); !slices.Equal(got, want) {
		t.Errorf("stages = %v, want %v", got, want)
	}
	msgs := rec.messages()
	for _, want := range []string{DefaultPulsarImage, "0123456789ab", "waiting for Pulsar"} {
		if !strings.Contains(msgs, want) {
			t.Errorf("messages lack %q:\n%s", want, msgs)
		}
	}
	if strings.Contains(msgs, "0123456789abc") {
		t.Errorf("container id not shortened:\n%s", msgs)
	}
}

func TestKafkaEndpoints(t *testing.T) {
	ep, err := kafkaEndpoints([]string{"localhost:32768"})
	if err != nil || !slices.Equal(ep.KafkaBootstrap, []string{"localhost:32768"}) || ep.PulsarServiceURL != "" || ep.PulsarAdminURL != "" {
		t.Errorf("kafkaEndpoints = %+v, %v", ep, err)
	}
	ep, err = kafkaEndpoints([]string{" 127.0.0.1:9093", "[::1]:9093"})
	if err != nil || !slices.Equal(ep.KafkaBootstrap, []string{"127.0.0.1:9093", "[::1]:9093"}) {
		t.Errorf("kafkaEndpoints = %+v, %v", ep, err)
	}
	for _, bad := range [][]string{nil, {""}, {"localhost"}, {"localhost:0"}, {"localhost:port"}, {":9093"}, {"PLAINTEXT://localhost:9093"}} {
		if ep, err := kafkaEndpoints(bad); err == nil {
			t.Errorf("kafkaEndpoints(%q) = %+v, want an error", bad, ep)
		}
	}
}

func TestPulsarEndpoints(t *testing.T) {
	ep, err := pulsarEndpoints("pulsar://localhost:32770", "http://localhost:32771")
	if err != nil || ep.PulsarServiceURL != "pulsar://localhost:32770" || ep.PulsarAdminURL != "http://localhost:32771" || ep.KafkaBootstrap != nil {
		t.Errorf("pulsarEndpoints = %+v, %v", ep, err)
	}
	if ep, err := pulsarEndpoints("pulsar://10.0.0.5:6650/", "http://10.0.0.5:8080/"); err != nil || ep.PulsarAdminURL != "http://10.0.0.5:8080" {
		t.Errorf("trailing slash: %+v, %v", ep, err)
	}
	for _, bad := range [][2]string{
		{"http://localhost:1", "http://localhost:2"},
		{"pulsar://localhost:1", "pulsar://localhost:2"},
		{"pulsar://localhost", "http://localhost:2"},
		{"pulsar://:1", "http://localhost:2"},
		{"pulsar://localhost:1", "http://localhost:2/admin"},
		{"", ""},
	} {
		if ep, err := pulsarEndpoints(bad[0], bad[1]); err == nil {
			t.Errorf("pulsarEndpoints(%q, %q) = %+v, want an error", bad[0], bad[1], ep)
		}
	}
}

func TestNoEngineClosedSocket(t *testing.T) {
	dir := noEngineHere(t)
	sock := filepath.Join(dir, "docker.sock")
	closedSocket(t, sock)
	t.Setenv("DOCKER_HOST", "unix://"+sock)

	t0 := time.Now()
	err := New(Options{}).Check(containers.Kafka)
	if err == nil {
		t.Fatal("Check found an engine on a closed socket")
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("Check took %v", d)
	}
	if !IsNoEngine(err) {
		t.Errorf("IsNoEngine(%v) = false", err)
	}
	want := "docker provider: no Docker engine answers at unix://" + sock + ": start Docker, or use --cluster local (Java 17+) or --cluster embedded"
	if got := firstLine(err); got != want {
		t.Errorf("first line:\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(err.Error(), "(DOCKER_HOST): nothing is listening") {
		t.Errorf("error does not say what was tried:\n%v", err)
	}
	if strings.Contains(err.Error(), "set DOCKER_HOST") {
		t.Errorf("suggests setting DOCKER_HOST, which is set:\n%v", err)
	}

	err = New(Options{}).Check(containers.Pulsar)
	if err == nil || !strings.Contains(firstLine(err), "--cluster local (Java 17+ and scripts/fetch-pulsar)") || strings.Contains(err.Error(), "embedded") {
		t.Errorf("Pulsar: %v", err)
	}
}

func TestNoEngineNoSocket(t *testing.T) {
	noEngineHere(t)
	err := New(Options{}).Check(containers.Kafka)
	if err == nil || !IsNoEngine(err) {
		t.Fatalf("Check = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"no Docker engine answers at unix://" + defaultSocket, "there is no socket at", "set DOCKER_HOST"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestNoEngineMute(t *testing.T) {
	dir := noEngineHere(t)
	sock := filepath.Join(dir, "mute.sock")
	mute(t, sock)
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	t0 := time.Now()
	err := New(Options{CheckTimeout: 300 * time.Millisecond}).Check(containers.Kafka)
	if err == nil || !strings.Contains(err.Error(), "no answer within 300ms") {
		t.Errorf("Check = %v", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("Check took %v with a 300ms timeout", d)
	}
}

func TestStartWithoutEngine(t *testing.T) {
	dir := noEngineHere(t)
	sock := filepath.Join(dir, "docker.sock")
	closedSocket(t, sock)
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	var rec recorder
	c, err := New(Options{}).Start(context.Background(), containers.Kafka, rec.add)
	if err == nil || c != nil {
		t.Fatalf("Start = %v, %v", c, err)
	}
	if !IsNoEngine(err) {
		t.Errorf("IsNoEngine(%v) = false", err)
	}
	want := []containers.Stage{containers.StagePreparing, containers.StageFailed}
	if got := rec.stages(); !slices.Equal(got, want) {
		t.Errorf("stages = %v, want %v", got, want)
	}
	last := rec.events[len(rec.events)-1]
	if last.Err != err || last.Provider != "docker" || last.Kind != containers.Kafka || strings.Contains(last.Message, "\n") {
		t.Errorf("failed event = %+v", last)
	}
	// A nil progress callback is fine.
	if _, err := New(Options{}).Start(context.Background(), containers.Pulsar, nil); err == nil {
		t.Error("Pulsar started without an engine")
	}
}

func TestFindsEngine(t *testing.T) {
	dir := noEngineHere(t)
	closedSocket(t, filepath.Join(dir, "closed.sock"))
	fakeEngine(t, defaultSocket)
	// DOCKER_HOST comes first but does not answer; the default socket does,
	// as testcontainers-go would find too.
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(dir, "closed.sock"))
	if err := New(Options{}).Check(containers.Pulsar); err != nil {
		t.Fatalf("Check: %v", err)
	}
	eng, err := findEngine(context.Background(), containers.Kafka, time.Second)
	if err != nil || eng.Host != "unix://"+defaultSocket || eng.From != "the default socket" || eng.Version != "1.47" {
		t.Errorf("findEngine = %+v, %v", eng, err)
	}
}

func TestCandidatesOrder(t *testing.T) {
	dir := noEngineHere(t)
	touch := func(p string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	touch(defaultSocket)
	touch(filepath.Join(dir, ".docker", "run", "docker.sock"))
	touch(filepath.Join(dir, "xdg", "docker.sock"))
	touch(filepath.Join(runUserDir, fmt.Sprint(os.Getuid()), "docker.sock"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(dir, "xdg"))
	t.Setenv("DOCKER_HOST", "tcp://10.1.2.3:2375")
	props := "# comment\ntc.host = tcp://tc-host:2375\ndocker.host=tcp://props-host:2375\n"
	if err := os.WriteFile(filepath.Join(dir, ".testcontainers.properties"), []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range candidates() {
		got = append(got, c.Host)
	}
	want := []string{
		"tcp://tc-host:2375",
		"tcp://10.1.2.3:2375",
		"unix://" + defaultSocket,
		"tcp://props-host:2375",
		"unix://" + filepath.Join(dir, "xdg", "docker.sock"),
		"unix://" + filepath.Join(dir, ".docker", "run", "docker.sock"),
		"unix://" + filepath.Join(runUserDir, fmt.Sprint(os.Getuid()), "docker.sock"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("candidates:\n got %q\nwant %q", got, want)
	}
}

func TestCLIContext(t *testing.T) {
	dir := noEngineHere(t)
	cfg := filepath.Join(dir, ".docker")
	sum := sha256.Sum256([]byte("colima"))
	meta := filepath.Join(cfg, "contexts", "meta", hex.EncodeToString(sum[:]))
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "colima.sock")
	os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"auths":{},"currentContext":"colima"}`), 0o600)
	os.WriteFile(filepath.Join(meta, "meta.json"), []byte(`{"Name":"colima","Endpoints":{"docker":{"Host":"unix://`+sock+`","SkipTLSVerify":false}}}`), 0o600)

	if name, host := cliContext(); name != "colima" || host != "unix://"+sock {
		t.Fatalf("cliContext = %q, %q", name, host)
	}
	// Not answering: the error names it.
	err := New(Options{}).Check(containers.Kafka)
	if err == nil || !strings.Contains(err.Error(), "the docker CLI's current context (colima)") {
		t.Errorf("Check = %v", err)
	}
	// Answering: it is the engine.
	fakeEngine(t, sock)
	eng, err := findEngine(context.Background(), containers.Kafka, time.Second)
	if err != nil || eng.Host != "unix://"+sock || !strings.HasPrefix(eng.From, fromCLIContext) {
		t.Errorf("findEngine = %+v, %v", eng, err)
	}
	// DOCKER_HOST overrides the context, as for the docker CLI.
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(dir, "other.sock"))
	if _, err := findEngine(context.Background(), containers.Kafka, time.Second); err == nil {
		t.Error("the context was used although DOCKER_HOST is set")
	}
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_CONTEXT", "default")
	if name, host := cliContext(); name != "" || host != "" {
		t.Errorf("DOCKER_CONTEXT=default: cliContext = %q, %q", name, host)
	}
}

func TestReason(t *testing.T) {
	for err, want := range map[error]string{
		context.DeadlineExceeded: "no answer within 2s",
		errors.New("Cannot connect to the Docker daemon at unix:///x. Is the docker daemon running?"):  "nothing is listening",
		errors.New("permission denied while trying to connect to the Docker daemon socket"):            "permission denied (add your user to the docker group, or use rootless Docker)",
		&os.PathError{Op: "stat", Path: "/x", Err: os.ErrNotExist}:                                     "no socket there",
		errors.New("error during connect: Get \"http://h/_ping\": remote error: tls: bad certificate"): "error during connect: Get \"http://h/_ping\": remote error: tls: bad certificate",
	} {
		if got := reason(err, 2*time.Second); got != want {
			t.Errorf("reason(%v) = %q, want %q", err, got, want)
		}
	}
}

func TestDisableRyuk(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	if !disableRyuk(env(nil), false) {
		t.Error("Ryuk stays on by default")
	}
	if disableRyuk(env(nil), true) {
		t.Error("Options.Ryuk ignored")
	}
	if disableRyuk(env(map[string]string{"TESTCONTAINERS_RYUK_DISABLED": "false"}), false) {
		t.Error("the user's TESTCONTAINERS_RYUK_DISABLED=false overridden")
	}
}

// fakeImages is an engine's image API with or without the image.
type fakeImages struct {
	present    bool
	inspectErr error
	pullErr    error
	stream     string
	pulled     []string
}

func (f *fakeImages) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	if f.inspectErr != nil {
		return image.InspectResponse{}, f.inspectErr
	}
	if f.present {
		return image.InspectResponse{ID: "sha256:1"}, nil
	}
	return image.InspectResponse{}, fmt.Errorf("No such image: %s: %w", ref, cerrdefs.ErrNotFound)
}

func (f *fakeImages) ImagePull(_ context.Context, ref string, _ image.PullOptions) (io.ReadCloser, error) {
	f.pulled = append(f.pulled, ref)
	if f.pullErr != nil {
		return nil, f.pullErr
	}
	return io.NopCloser(strings.NewReader(f.stream)), nil
}

const pullStream = `{"status":"Pulling from confluentinc/confluent-local","id":"7.5.0"}
{"status":"Pulling fs layer","progressDetail":{},"id":"aaa"}
{"status":"Pulling fs layer","progressDetail":{},"id":"bbb"}
{"status":"Already exists","progressDetail":{},"id":"ccc"}
{"status":"Downloading","progressDetail":{"current":1000000,"total":4000000},"progress":"[==>  ]","id":"aaa"}
{"status":"Downloading","progressDetail":{"current":2000000,"total":6000000},"id":"bbb"}
{"status":"Download complete","progressDetail":{},"id":"aaa"}
{"status":"Extracting","progressDetail":{"current":4000000,"total":4000000},"id":"aaa"}
{"status":"Pull complete","progressDetail":{},"id":"aaa"}
{"status":"Downloading","progressDetail":{"current":6000000,"total":6000000},"id":"bbb"}
{"status":"Pull complete","progressDetail":{},"id":"bbb"}
{"status":"Digest: sha256:0123"}
{"status":"Status: Downloaded newer image for confluentinc/confluent-local:7.5.0"}
`

func TestReadPull(t *testing.T) {
	var seen []pullProgress
	total, err := readPull(strings.NewReader(pullStream), func(p pullProgress) { seen = append(seen, p) })
	if err != nil {
		t.Fatal(err)
	}
	if total != 10_000_000 {
		t.Errorf("total = %d", total)
	}
	last := seen[len(seen)-1]
	if last != (pullProgress{Current: 10_000_000, Total: 10_000_000, Done: 3, Layers: 3}) {
		t.Errorf("last progress = %+v", last)
	}
	mid := seen[4] // after bbb's first Downloading
	if mid.Current != 3_000_000 || mid.Total != 10_000_000 || mid.Done != 1 {
		t.Errorf("progress after two downloads = %+v (%s)", mid, mid)
	}
	if s := mid.String(); s != "3 MB of 10 MB, 1 of 3 layers" {
		t.Errorf("String = %q", s)
	}

	_, err = readPull(strings.NewReader(`{"status":"Pulling fs layer","id":"a"}
{"errorDetail":{"message":"toomanyrequests: You have reached your pull rate limit"},"error":"toomanyrequests: You have reached your pull rate limit"}
`), func(pullProgress) {})
	if err == nil || !strings.Contains(err.Error(), "toomanyrequests") {
		t.Errorf("error in stream: %v", err)
	}
	if _, err := readPull(strings.NewReader(`{"status":`), func(pullProgress) {}); err == nil {
		t.Error("truncated stream: no error")
	}
}

func TestEnsureImage(t *testing.T) {
	ctx := context.Background()
	img := DefaultKafkaImage

	var rec recorder
	f := &fakeImages{present: true}
	if err := ensureImage(ctx, f, img, "", rec.reporter(containers.Kafka), 0, &lineLogger{}); err != nil || len(f.pulled) != 0 {
		t.Errorf("present image: err %v, pulled %v", err, f.pulled)
	}
	if got := rec.stages(); !slices.Equal(got, []containers.Stage{containers.StagePreparing}) {
		t.Errorf("present image: stages %v", got)
	}

	rec = recorder{}
	var logBuf bytes.Buffer
	f = &fakeImages{stream: pullStream}
	if err := ensureImage(ctx, f, img, "", rec.reporter(containers.Kafka), 0, &lineLogger{w: &logBuf}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.pulled, []string{img}) {
		t.Errorf("pulled %v", f.pulled)
	}
	if got := rec.stages(); !slices.Equal(got, []containers.Stage{containers.StagePulling}) {
		t.Errorf("stages %v", got)
	}
	msgs := rec.messages()
	for _, want := range []string{"pulling " + img + " (only the first start", "3 MB of 10 MB", "pulled " + img + " (10 MB)"} {
		if !strings.Contains(msgs, want) {
			t.Errorf("events lack %q:\n%s", want, msgs)
		}
	}
	if !strings.Contains(logBuf.String(), "pulled "+img) {
		t.Errorf("log = %q", logBuf.String())
	}

	// Progress is throttled: one event per interval at most.
	rec = recorder{}
	f = &fakeImages{stream: pullStream}
	if err := ensureImage(ctx, f, img, "", rec.reporter(containers.Kafka), time.Hour, &lineLogger{}); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.events); n != 3 { // announce, first progress, done
		t.Errorf("throttled: %d events:\n%s", n, rec.messages())
	}

	for name, f := range map[string]*fakeImages{
		"pull refused":    {pullErr: errors.New("Error response from daemon: manifest for x not found: manifest unknown")},
		"error in stream": {stream: `{"errorDetail":{"message":"dial tcp: lookup registry-1.docker.io: no such host"}}`},
	} {
		err := ensureImage(ctx, f, img, "", func(containers.Stage, string) {}, 0, &lineLogger{})
		if !errors.Is(err, ErrImageUnavailable) {
			t.Errorf("%s: %v does not wrap ErrImageUnavailable", name, err)
		}
		if err != nil && !strings.Contains(err.Error(), "docker pull "+img) {
			t.Errorf("%s: error does not say how to pull by hand: %v", name, err)
		}
	}
	err := ensureImage(ctx, &fakeImages{inspectErr: errors.New("engine on fire")}, img, "", func(containers.Stage, string) {}, 0, &lineLogger{})
	if err == nil || errors.Is(err, ErrImageUnavailable) {
		t.Errorf("inspect failure: %v", err)
	}
}

// fakeContainer is a testcontainers.Container with only what the provider
// calls on a container it gives up or stops; other methods panic.
type fakeContainer struct {
	testcontainers.Container
	id           string
	logs         string
	terminateErr []error // one per call; nil when used up
	terminated   int
	lastCtxErr   error
}

func (f *fakeContainer) GetContainerID() string { return f.id }

func (f *fakeContainer) Logs(context.Context) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(f.logs)), nil
}

func (f *fakeContainer) Terminate(ctx context.Context, _ ...testcontainers.TerminateOption) error {
	f.lastCtxErr = ctx.Err()
	if len(f.terminateErr) > 0 {
		err := f.terminateErr[0]
		f.terminateErr = f.terminateErr[1:]
		if err != nil {
			return err
		}
	}
	f.terminated++
	return nil
}

func TestAbandonRemovesPartialContainer(t *testing.T) {
	var lines []string
	for i := range 40 {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	lines = append(lines, "java.lang.NullPointerException: boom")
	f := &fakeContainer{id: "abcdef0123456789", logs: strings.Join(lines, "\n") + "\n"}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a learner pressed Esc: cleanup happens all the same
	err := New(Options{}).abandon(ctx, f, containers.Kafka, DefaultKafkaImage, errors.New("wait until ready: context canceled"))
	if f.terminated != 1 || f.lastCtxErr != nil {
		t.Errorf("terminated %d times, with ctx error %v", f.terminated, f.lastCtxErr)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "docker provider: kafka did not start from "+DefaultKafkaImage+": wait until ready") {
		t.Errorf("error = %s", msg)
	}
	if !strings.Contains(msg, "NullPointerException: boom") || !strings.Contains(msg, "line 26") || strings.Contains(msg, "line 25\n") {
		t.Errorf("error should end with the last 15 log lines:\n%s", msg)
	}

	f = &fakeContainer{id: "abcdef0123456789", terminateErr: []error{errors.New("engine went away")}}
	err = New(Options{}).abandon(context.Background(), f, containers.Pulsar, DefaultPulsarImage, errors.New("boom"))
	if !strings.Contains(err.Error(), "docker rm -f abcdef012345") {
		t.Errorf("error does not say how to remove the container: %v", err)
	}

	// No container came back: just the error.
	err = New(Options{}).abandon(context.Background(), nil, containers.Kafka, DefaultKafkaImage, errors.New("pull failed"))
	if err.Error() != "docker provider: kafka did not start from "+DefaultKafkaImage+": pull failed" {
		t.Errorf("error = %v", err)
	}
}

func TestClusterStop(t *testing.T) {
	f := &fakeContainer{id: "abcdef0123456789", terminateErr: []error{context.Canceled}}
	p := New(Options{StopGrace: 5 * time.Second})
	ep, _ := kafkaEndpoints([]string{"localhost:1234"})
	c := p.newCluster(containers.Kafka, DefaultKafkaImage, f, ep)
	if c.Kind() != containers.Kafka || c.Endpoints().KafkaBootstrap[0] != "localhost:1234" || c.Image() != DefaultKafkaImage || c.ContainerID() != f.id || c.grace != 5*time.Second {
		t.Errorf("cluster = %+v", c)
	}
	if err := c.Stop(context.Background()); err == nil || !strings.Contains(err.Error(), "docker rm -f abcdef012345") {
		t.Errorf("failed Stop = %v", err)
	}
	if err := c.Stop(context.Background()); err != nil || f.terminated != 1 {
		t.Errorf("retried Stop = %v, terminated %d", err, f.terminated)
	}
	if err := c.Stop(context.Background()); err != nil || f.terminated != 1 {
		t.Errorf("third Stop = %v, terminated %d", err, f.terminated)
	}

	// A container someone already removed counts as stopped.
	f = &fakeContainer{id: "x", terminateErr: []error{fmt.Errorf("No such container: x: %w", cerrdefs.ErrNotFound)}}
	if err := p.newCluster(containers.Pulsar, DefaultPulsarImage, f, containers.Endpoints{}).Stop(context.Background()); err != nil {
		t.Errorf("Stop of a removed container = %v", err)
	}
}

func TestSafely(t *testing.T) {
	err := safely(func() error { panic("rootless Docker not found") })
	if err == nil || !strings.Contains(err.Error(), "rootless Docker not found") {
		t.Errorf("safely = %v", err)
	}
	want := errors.New("plain")
	if err := safely(func() error { return want }); err != want {
		t.Errorf("safely = %v", err)
	}
}

func TestLineLogger(t *testing.T) {
	var b bytes.Buffer
	l := &lineLogger{w: &b}
	l.Printf("Connected to docker: %s\n", "27.0")
	if got := b.String(); !strings.HasSuffix(got, " testcontainers: Connected to docker: 27.0\n") || strings.Count(got, "\n") != 1 {
		t.Errorf("logged %q", got)
	}
	(&lineLogger{}).Printf("nowhere %d", 1) // a nil writer discards
}

// fakeAPI answers the Docker API calls a start makes before it would
// create a container: ping, info, image inspect (no such image) and a pull
// that the registry refuses inside the stream, as a daemon reports it.
func fakeAPI(t *testing.T, path string) *[]string {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var calls []string
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Api-Version", "1.47")
		w.Header().Set("Content-Type", "application/json")
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/_ping"):
			fmt.Fprint(w, "OK")
		case strings.HasSuffix(p, "/info"):
			fmt.Fprint(w, `{"ServerVersion":"27.0.0","OperatingSystem":"fake","IndexServerAddress":"https://index.docker.io/v1/"}`)
		case strings.HasPrefix(p, "/v1.47/images/") && strings.HasSuffix(p, "/json"):
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"message":"No such image: %s"}`, strings.TrimSuffix(strings.TrimPrefix(p, "/v1.47/images/"), "/json"))
		case p == "/v1.47/containers/json":
			// One container of a streamlab that died, one of this process,
			// one of a process on another host, one that is not ours.
			fmt.Fprintf(w, `[
{"Id":"dead0000000000","Labels":{%[1]q:"docker",%[2]q:"999999999",%[3]q:%[4]q}},
{"Id":"live0000000000","Labels":{%[1]q:"docker",%[2]q:"%[5]d",%[3]q:%[4]q}},
{"Id":"away0000000000","Labels":{%[1]q:"docker",%[2]q:"999999999",%[3]q:"elsewhere"}},
{"Id":"else0000000000","Labels":{}}]`, LabelProvider, LabelPID, LabelHost, hostname(), os.Getpid())
		case r.Method == http.MethodDelete && strings.HasPrefix(p, "/v1.47/containers/"):
			w.WriteHeader(http.StatusNoContent)
		case p == "/v1.47/images/create":
			fmt.Fprint(w, `{"status":"Pulling from confluentinc/confluent-local","id":"7.5.0"}`+"\n")
			fmt.Fprint(w, `{"errorDetail":{"message":"toomanyrequests: You have reached your unauthenticated pull rate limit"},"error":"toomanyrequests"}`+"\n")
		default:
			w.WriteHeader(http.StatusNotImplemented)
			fmt.Fprint(w, `{"message":"not in this fake"}`)
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return &calls
}

// TestStartImageUnavailable runs a start against a fake engine that has no
// image and cannot pull one: the start fails before creating anything,
// says so plainly, and reports preparing, pulling, failed. It runs in a
// child process because testcontainers-go caches the engine it finds for
// the life of the process.
func TestStartImageUnavailable(t *testing.T) {
	if os.Getenv("STREAMLAB_DOCKER_FAKE_ENGINE") == "1" {
		startAgainstFakeEngine(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStartImageUnavailable$", "-test.v")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TESTCONTAINERS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "STREAMLAB_DOCKER_FAKE_ENGINE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestStartImageUnavailable") {
		t.Fatalf("child did not pass:\n%s", out)
	}
}

func startAgainstFakeEngine(t *testing.T) {
	dir := noEngineHere(t)
	sock := filepath.Join(dir, "fake.sock")
	calls := fakeAPI(t, sock)
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	var rec recorder
	var logBuf bytes.Buffer
	c, err := New(Options{Log: &logBuf}).Start(context.Background(), containers.Kafka, rec.add)
	if err == nil || c != nil {
		t.Fatalf("Start = %v, %v", c, err)
	}
	if !errors.Is(err, ErrImageUnavailable) || IsNoEngine(err) {
		t.Errorf("error = %v; want ErrImageUnavailable", err)
	}
	for _, want := range []string{DefaultKafkaImage, "toomanyrequests", "docker pull " + DefaultKafkaImage} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	want := []containers.Stage{containers.StagePreparing, containers.StagePulling, containers.StageFailed}
	if got := rec.stages(); !slices.Equal(got, want) {
		t.Errorf("stages = %v, want %v\n%s", got, want, rec.messages())
	}
	if !strings.Contains(rec.messages(), "Docker 1.47 at unix://"+sock) {
		t.Errorf("events do not name the engine:\n%s", rec.messages())
	}
	var removed []string
	for _, call := range *calls {
		if id, ok := strings.CutPrefix(call, "DELETE /v1.47/containers/"); ok {
			removed = append(removed, id)
		} else if strings.Contains(call, "/containers/") && call != "GET /v1.47/containers/json" {
			t.Errorf("a container call on a failed pull: %s", call)
		}
	}
	// The orphan only: the server's filters are not applied by this fake,
	// so the provider's own check must spare the others.
	if !slices.Equal(removed, []string{"dead0000000000"}) {
		t.Errorf("removed %v, want the dead process's container only", removed)
	}
	if !strings.Contains(rec.messages(), "removed 1 container(s) left by a streamlab that is no longer running") {
		t.Errorf("orphan removal not reported:\n%s", rec.messages())
	}
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") != "true" {
		t.Errorf("TESTCONTAINERS_RYUK_DISABLED = %q after a start", os.Getenv("TESTCONTAINERS_RYUK_DISABLED"))
	}
	t.Logf("calls: %v\nlog:\n%s", *calls, logBuf.String())
}

func TestOrphaned(t *testing.T) {
	alive := func(pid int) bool { return pid == 42 }
	ours := func(pid, host string) map[string]string {
		return map[string]string{LabelProvider: "docker", LabelKind: "kafka", LabelPID: pid, LabelHost: host}
	}
	for _, tc := range []struct {
		labels map[string]string
		want   bool
	}{
		{ours("7", "here"), true},
		{ours("42", "here"), false},  // its process still runs
		{ours("7", "there"), false},  // another machine's process table
		{ours("", "here"), false},    // no pid: not judged
		{ours("x", "here"), false},   // garbled pid
		{map[string]string{}, false}, // not streamlab's
		{map[string]string{LabelProvider: "local", LabelPID: "7", LabelHost: "here"}, false},
	} {
		if got := orphaned(tc.labels, "here", alive); got != tc.want {
			t.Errorf("orphaned(%v) = %v, want %v", tc.labels, got, tc.want)
		}
	}
	if !processAlive(os.Getpid()) || processAlive(999999999) {
		t.Error("processAlive is wrong about this process or a pid that cannot exist")
	}
}
