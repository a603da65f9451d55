package docker

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
	"github.com/testcontainers/testcontainers-go"

	"github.com/streamlab/streamlab/containers"
)

func TestLocalEngine(t *testing.T) {
	for host, want := range map[string]bool{
		"unix:///var/run/docker.sock":         true,
		"unix:///home/me/.colima/docker.sock": true,
		"npipe:////./pipe/docker_engine":      true,
		"tcp://127.0.0.1:2375":                true,
		"tcp://localhost:2376":                true,
		"tcp://[::1]:2375":                    true,
		"tcp://10.0.0.5:2376":                 false,
		"tcp://docker.example.org:2376":       false,
		"ssh://me@build-host":                 false,
		"::not a url":                         false,
	} {
		if got := localEngine(host); got != want {
			t.Errorf("localEngine(%q) = %v, want %v", host, got, want)
		}
	}
}

// TestFixedPort: the Kafka container's client port is published on the
// host port chosen, whatever the module asked for before.
func TestFixedPort(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", ":"+port)
	if err != nil {
		t.Fatalf("the free port %s cannot be bound: %v", port, err)
	}
	l.Close()
	req := testcontainers.GenericContainerRequest{}
	if err := testcontainers.WithExposedPorts(string(kafkaPort))(&req); err != nil {
		t.Fatal(err)
	}
	if err := fixedPort(port)(&req); err != nil {
		t.Fatal(err)
	}
	hc := &container.HostConfig{}
	req.HostConfigModifier(hc)
	want := []nat.PortBinding{{HostPort: port}}
	if got := hc.PortBindings[kafkaPort]; !slices.Equal(got, want) {
		t.Errorf("binding of %s = %v, want %v", kafkaPort, got, want)
	}
}

// fakeEngine records the calls a restart makes and answers them as told.
type fakeEngineAPI struct {
	calls     []string
	killErr   error
	startErr  error
	ports     []string // host ports published after the start
	exited    bool     // the container stopped again after its start
	neverStop bool
}

func (f *fakeEngineAPI) ContainerKill(_ context.Context, id, signal string) error {
	f.calls = append(f.calls, "kill "+id+" "+signal)
	return f.killErr
}

func (f *fakeEngineAPI) ContainerWait(ctx context.Context, id string, cond container.WaitCondition) (<-chan container.WaitResponse, <-chan error) {
	f.calls = append(f.calls, "wait "+id+" "+string(cond))
	ch := make(chan container.WaitResponse, 1)
	if !f.neverStop {
		ch <- container.WaitResponse{StatusCode: 137}
	}
	return ch, make(chan error)
}

func (f *fakeEngineAPI) ContainerStart(_ context.Context, id string, _ container.StartOptions) error {
	f.calls = append(f.calls, "start "+id)
	return f.startErr
}

func (f *fakeEngineAPI) ContainerInspect(_ context.Context, id string) (container.InspectResponse, error) {
	f.calls = append(f.calls, "inspect "+id)
	var bindings []nat.PortBinding
	for _, p := range f.ports {
		bindings = append(bindings, nat.PortBinding{HostIP: "0.0.0.0", HostPort: p})
	}
	return container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{State: &container.State{Running: !f.exited, ExitCode: 1}},
		NetworkSettings:   &container.NetworkSettings{NetworkSettingsBase: container.NetworkSettingsBase{Ports: nat.PortMap{kafkaPort: bindings}}},
	}, nil
}

func (f *fakeEngineAPI) Close() error { return nil }

func restartable(eng *fakeEngineAPI, probe func(context.Context) error) *Cluster {
	return &Cluster{
		kind:      containers.Kafka,
		ctr:       &fakeContainer{id: "abcdef0123456789", logs: "[KafkaServer id=1] started\nFATAL disk full\n"},
		endpoints: containers.Endpoints{KafkaBootstrap: []string{"localhost:39093"}},
		host:      "unix:///var/run/docker.sock",
		hostPort:  "39093",
		api:       func() engineAPI { return eng },
		ready:     probe,
	}
}

func TestRestartBroker(t *testing.T) {
	eng := &fakeEngineAPI{ports: []string{"39093"}}
	probes := 0
	c := restartable(eng, func(context.Context) error {
		probes++
		if probes < 3 {
			return errors.New("connection refused")
		}
		return nil
	})
	if err := c.RestartBroker(context.Background()); err != nil {
		t.Fatalf("RestartBroker: %v", err)
	}
	id := "abcdef0123456789"
	// Killed, waited for, started, its port checked, then probed until it
	// answers (an inspect after each failed probe).
	want := []string{"kill " + id + " KILL", "wait " + id + " not-running", "start " + id, "inspect " + id, "inspect " + id, "inspect " + id}
	if !slices.Equal(eng.calls, want) {
		t.Errorf("calls = %q\nwant    %q", eng.calls, want)
	}
	if probes != 3 {
		t.Errorf("probed %d times, want 3", probes)
	}
}

func TestRestartBrokerFailures(t *testing.T) {
	ok := func(context.Context) error { return nil }
	for _, tc := range []struct {
		name  string
		eng   *fakeEngineAPI
		probe func(context.Context) error
		ctx   time.Duration
		want  []string
	}{
		{"kill refused", &fakeEngineAPI{killErr: errors.New("permission denied")}, ok, 0,
			[]string{"killing container abcdef012345", "permission denied"}},
		{"start refused", &fakeEngineAPI{startErr: errors.New("port is already allocated")}, ok, 0,
			[]string{"starting container abcdef012345 again", "port is already allocated", "docker start abcdef012345"}},
		{"port moved", &fakeEngineAPI{ports: []string{"40000"}}, ok, 0,
			[]string{"no longer publishes Kafka on port 39093"}},
		{"exits after start", &fakeEngineAPI{ports: []string{"39093"}, exited: true}, func(context.Context) error { return errors.New("refused") }, 0,
			[]string{"exited (code 1) after a restart", "FATAL disk full"}},
		{"never answers", &fakeEngineAPI{ports: []string{"39093"}}, func(context.Context) error { return errors.New("refused") }, 300 * time.Millisecond,
			[]string{"did not answer on [localhost:39093] after a restart", "refused"}},
		{"never stops", &fakeEngineAPI{neverStop: true}, ok, 100 * time.Millisecond,
			[]string{"did not stop"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctx)
				defer cancel()
			}
			err := restartable(tc.eng, tc.probe).RestartBroker(ctx)
			if err == nil {
				t.Fatal("RestartBroker succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
}

// TestRestartRefused: a cluster whose broker cannot be restarted says why
// and touches no container.
func TestRestartRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Cluster)
		want   string
	}{
		{"pulsar", func(c *Cluster) { c.kind = containers.Pulsar }, "only a Kafka broker can be restarted, not pulsar"},
		{"remote engine", func(c *Cluster) { c.host, c.hostPort = "tcp://10.0.0.5:2376", "" }, "tcp://10.0.0.5:2376 is not on this machine"},
		{"stopped", func(c *Cluster) { c.stopped = true }, "was stopped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := &fakeEngineAPI{}
			c := restartable(eng, nil)
			tc.change(c)
			err := c.RestartBroker(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one saying %q", err, tc.want)
			}
			if len(eng.calls) > 0 {
				t.Errorf("the engine was called: %v", eng.calls)
			}
		})
	}
}
