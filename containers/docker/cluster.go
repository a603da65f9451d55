package docker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/testcontainers/testcontainers-go"

	"github.com/streamlab/streamlab/containers"
)

// Cluster is a Kafka or Pulsar running in one container.
type Cluster struct {
	kind      containers.Kind
	image     string
	ctr       testcontainers.Container
	endpoints containers.Endpoints
	grace     time.Duration
	host      string // the engine's address, as the Docker client takes it
	hostPort  string // Kafka's fixed host port; "" when the engine chose it

	// Tests replace the engine client and the readiness probe.
	api   func() engineAPI
	ready func(context.Context) error

	mu      sync.Mutex
	stopped bool
}

var _ containers.Cluster = (*Cluster)(nil)

func (p *Provider) newCluster(k containers.Kind, img string, ctr testcontainers.Container, ep containers.Endpoints) *Cluster {
	return &Cluster{kind: k, image: img, ctr: ctr, endpoints: ep, grace: p.opts.StopGrace}
}

func (c *Cluster) Kind() containers.Kind { return c.kind }

func (c *Cluster) Endpoints() containers.Endpoints { return c.endpoints }

// Image is the image the container runs.
func (c *Cluster) Image() string { return c.image }

// ContainerID is the engine's id for the container.
func (c *Cluster) ContainerID() string { return c.ctr.GetContainerID() }

// Stop stops and removes the container with its volumes. It is safe to
// call more than once; after a failed attempt (a cancelled ctx, say) a
// later call tries again.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	if err := terminate(ctx, c.ctr, c.grace); err != nil {
		id := shortID(c.ctr)
		return fmt.Errorf("docker provider: removing %s container %s: %w (remove it with: docker rm -f %s)", c.kind, id, err, id)
	}
	c.stopped = true
	return nil
}

// terminate stops ctr (killing it after grace) and removes it. A container
// that is already gone counts as removed.
func terminate(ctx context.Context, ctr testcontainers.Container, grace time.Duration) error {
	err := safely(func() error {
		return ctr.Terminate(ctx, testcontainers.StopContext(ctx), testcontainers.StopTimeout(grace))
	})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return err
	}
	return nil
}

// logTail returns the last n lines of the container's output, or "".
func logTail(ctx context.Context, ctr testcontainers.Container, n int) string {
	var lines []string
	_ = safely(func() error {
		rc, err := ctr.Logs(ctx)
		if err != nil {
			return err
		}
		defer rc.Close()
		sc := bufio.NewScanner(rc)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if len(lines) > n {
				lines = lines[1:]
			}
		}
		return nil
	})
	return strings.Join(lines, "\n")
}

// kafkaEndpoints maps the kafka module's Brokers (host:port on the Docker
// host) to Endpoints.
func kafkaEndpoints(brokers []string) (containers.Endpoints, error) {
	if len(brokers) == 0 {
		return containers.Endpoints{}, errors.New("the kafka module reported no broker address")
	}
	out := make([]string, 0, len(brokers))
	for _, b := range brokers {
		host, port, err := net.SplitHostPort(strings.TrimSpace(b))
		if err != nil || host == "" || !validPort(port) {
			return containers.Endpoints{}, fmt.Errorf("the kafka module reported broker address %q, not host:port", b)
		}
		out = append(out, net.JoinHostPort(host, port))
	}
	return containers.Endpoints{KafkaBootstrap: out}, nil
}

// pulsarEndpoints maps the pulsar module's BrokerURL and HTTPServiceURL to
// Endpoints, checking that each is scheme://host:port.
func pulsarEndpoints(serviceURL, adminURL string) (containers.Endpoints, error) {
	svc, err := hostPortURL(serviceURL, "pulsar")
	if err != nil {
		return containers.Endpoints{}, fmt.Errorf("the pulsar module reported service URL %q: %v", serviceURL, err)
	}
	adm, err := hostPortURL(adminURL, "http")
	if err != nil {
		return containers.Endpoints{}, fmt.Errorf("the pulsar module reported admin URL %q: %v", adminURL, err)
	}
	return containers.Endpoints{PulsarServiceURL: svc, PulsarAdminURL: adm}, nil
}

func hostPortURL(s, scheme string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	if u.Scheme != scheme {
		return "", fmt.Errorf("want a %s:// URL", scheme)
	}
	if u.Hostname() == "" || !validPort(u.Port()) || (u.Path != "" && u.Path != "/") {
		return "", fmt.Errorf("want %s://host:port", scheme)
	}
	return scheme + "://" + u.Host, nil
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && n < 65536
}
