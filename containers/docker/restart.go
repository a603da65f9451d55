package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
	"github.com/testcontainers/testcontainers-go"

	"github.com/streamlab/streamlab/containers"
)

// A broker restart kills the Kafka container (SIGKILL, a crash) and starts
// the same container again: its data lives in the container's own file
// system, which a stop keeps. What a restart would not keep by itself is
// the port: the engine gives a container that publishes a port without
// naming one a new host port on every start, while the broker advertises
// the address it was first given (the kafka module writes it into the
// container's start script once) and the learner's program holds the old
// one. So a Kafka container is created with its host port fixed, chosen
// free on this machine, and a restart keeps it.
//
// A free port can only be chosen on the machine that binds it, so a port
// is fixed only when the engine runs here; with an engine elsewhere
// (DOCKER_HOST=tcp://other-host) the engine picks the port, as before, and
// a restart is refused with a message rather than attempted.

// kafkaPort is the container port the kafka module publishes for clients.
const kafkaPort = nat.Port("9093/tcp")

// localEngine reports whether the engine at host binds its published ports
// on this machine.
func localEngine(host string) bool {
	u, err := url.Parse(host)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "unix", "npipe":
		return true
	case "tcp", "http", "https":
		h := u.Hostname()
		if h == "localhost" {
			return true
		}
		ip := net.ParseIP(h)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// freePort asks the system for a TCP port that nothing listens on now.
func freePort() (string, error) {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// fixedPort publishes the container's Kafka port on the given host port.
func fixedPort(port string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
		if hc.PortBindings == nil {
			hc.PortBindings = nat.PortMap{}
		}
		hc.PortBindings[kafkaPort] = []nat.PortBinding{{HostPort: port}}
	})
}

// engineAPI is the part of the Docker client a restart uses.
type engineAPI interface {
	ContainerKill(ctx context.Context, id, signal string) error
	ContainerWait(ctx context.Context, id string, cond container.WaitCondition) (<-chan container.WaitResponse, <-chan error)
	ContainerStart(ctx context.Context, id string, opts container.StartOptions) error
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
	Close() error
}

var _ containers.BrokerRestarter = (*Cluster)(nil)

// RestartBroker kills the Kafka container, starts it again with the same
// data and host port, and returns once the broker answers there.
func (c *Cluster) RestartBroker(ctx context.Context) error {
	if err := c.CanRestartBroker(); err != nil {
		return err
	}
	cli, err := c.engineAPI()
	if err != nil {
		return fmt.Errorf("docker provider: restarting the broker: %w", err)
	}
	defer cli.Close()
	id := c.ContainerID()
	short := shortID(c.ctr)
	if err := cli.ContainerKill(ctx, id, "KILL"); err != nil {
		return fmt.Errorf("docker provider: killing container %s: %w", short, err)
	}
	waited, waitErr := cli.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	select {
	case <-waited:
	case err := <-waitErr:
		return fmt.Errorf("docker provider: waiting for container %s to stop: %w", short, err)
	case <-ctx.Done():
		return fmt.Errorf("docker provider: container %s did not stop: %w", short, ctx.Err())
	}
	if err := cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return fmt.Errorf("docker provider: starting container %s again: %w (docker start %s)", short, err, short)
	}
	if err := c.samePort(ctx, cli, id); err != nil {
		return err
	}
	for {
		err := c.probe(ctx)
		if err == nil {
			return nil
		}
		info, ierr := cli.ContainerInspect(ctx, id)
		if ierr == nil && info.State != nil && !info.State.Running {
			err = fmt.Errorf("docker provider: Kafka's container %s exited (code %d) after a restart", short, info.State.ExitCode)
			if tail := logTail(context.WithoutCancel(ctx), c.ctr, 15); tail != "" {
				err = fmt.Errorf("%w\nlast lines of the container's log:\n%s", err, tail)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("docker provider: Kafka did not answer on %v after a restart: %w (last: %v)", c.endpoints.KafkaBootstrap, ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// CanRestartBroker says why this cluster's broker cannot be restarted, or
// returns nil.
func (c *Cluster) CanRestartBroker() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.kind != containers.Kafka:
		return fmt.Errorf("docker provider: only a Kafka broker can be restarted, not %s", c.kind)
	case c.stopped:
		return errors.New("docker provider: the cluster was stopped")
	case c.hostPort == "":
		return fmt.Errorf("docker provider: the Docker engine at %s is not on this machine, so the broker's port could not be fixed and would change across a restart; use --cluster local for an exercise that restarts the broker", c.host)
	}
	return nil
}

// samePort checks that the engine published Kafka's port where it was
// before: a port taken by something else meanwhile fails the start.
func (c *Cluster) samePort(ctx context.Context, cli engineAPI, id string) error {
	info, err := cli.ContainerInspect(ctx, id)
	if err != nil {
		return fmt.Errorf("docker provider: inspecting container %s after a restart: %w", shortID(c.ctr), err)
	}
	if info.NetworkSettings != nil {
		for _, b := range info.NetworkSettings.Ports[kafkaPort] {
			if b.HostPort == c.hostPort {
				return nil
			}
		}
	}
	return fmt.Errorf("docker provider: after a restart container %s no longer publishes Kafka on port %s", shortID(c.ctr), c.hostPort)
}

func (c *Cluster) engineAPI() (engineAPI, error) {
	if c.api != nil {
		return c.api(), nil
	}
	return newClient(c.host)
}

func (c *Cluster) probe(ctx context.Context) error {
	if c.ready != nil {
		return c.ready(ctx)
	}
	return kafkaAnswers(ctx, c.endpoints.KafkaBootstrap)
}

// kafkaAnswers asks the broker for its metadata once.
func kafkaAnswers(ctx context.Context, bootstrap []string) error {
	brokers, err := containers.KafkaBrokers(ctx, bootstrap...)
	if err == nil && len(brokers) == 0 {
		err = errors.New("the metadata lists no broker yet")
	}
	return err
}
