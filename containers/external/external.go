// Package external is the provider for a cluster streamlab does not run: a
// workshop's shared cluster, or one started earlier with `streamlab cluster
// up`. Starting it only checks that it answers; stopping it does nothing.
package external

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/streamlab/streamlab/containers"
)

// Provider hands out clusters at fixed endpoints.
type Provider struct {
	name string
	ep   containers.Endpoints
}

// New returns a provider for the given endpoints. name is what results and
// the UI call it ("external", or "reused local" for a cluster up).
func New(name string, ep containers.Endpoints) *Provider {
	return &Provider{name: name, ep: ep}
}

func (p *Provider) Name() string { return p.name }

// Check says whether endpoints for kind k were given at all.
func (p *Provider) Check(k containers.Kind) error {
	switch k {
	case containers.Kafka:
		if len(p.ep.KafkaBootstrap) == 0 {
			return errors.New("no Kafka bootstrap servers given: use --kafka-bootstrap, STREAMLAB_KAFKA_BOOTSTRAP or the config file")
		}
	case containers.Pulsar:
		if p.ep.PulsarServiceURL == "" || p.ep.PulsarAdminURL == "" {
			return errors.New("no Pulsar URLs given: use --pulsar-url and --pulsar-admin-url, STREAMLAB_PULSAR_URL/STREAMLAB_PULSAR_ADMIN_URL or the config file")
		}
	default:
		return fmt.Errorf("unknown cluster kind %q", k)
	}
	return nil
}

// Start checks that the cluster answers on its address; it starts nothing.
func (p *Provider) Start(ctx context.Context, k containers.Kind, progress func(containers.Event)) (containers.Cluster, error) {
	ev := containers.NewReporter(p.name, k, progress).Stage
	if err := p.Check(k); err != nil {
		ev(containers.StageFailed, err.Error(), err)
		return nil, err
	}
	ev(containers.StageWaiting, "checking that "+p.address(k)+" answers", nil)
	if err := reachable(ctx, k, p.ep); err != nil {
		ev(containers.StageFailed, err.Error(), err)
		return nil, err
	}
	ev(containers.StageReady, p.address(k)+" answers", nil)
	return &cluster{kind: k, ep: p.ep}, nil
}

func (p *Provider) address(k containers.Kind) string {
	if k == containers.Kafka {
		return strings.Join(p.ep.KafkaBootstrap, ",")
	}
	return p.ep.PulsarServiceURL
}

// reachable opens a TCP connection to the first address that accepts one
// (and, for Pulsar, asks the admin API): a cheap test that catches a wrong
// address or a cluster that is down, with no credentials needed.
func reachable(ctx context.Context, k containers.Kind, ep containers.Endpoints) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var addrs []string
	if k == containers.Kafka {
		addrs = ep.KafkaBootstrap
	} else {
		addrs = []string{hostPort(ep.PulsarServiceURL)}
	}
	var errs []error
	for _, a := range addrs {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", a)
		if err == nil {
			c.Close()
			if k == containers.Pulsar {
				return adminAnswers(ctx, ep)
			}
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("%s cluster at %s does not answer: %w", k, strings.Join(addrs, ","), errors.Join(errs...))
}

func adminAnswers(ctx context.Context, ep containers.Endpoints) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(ep.PulsarAdminURL, "/")+"/admin/v2/clusters", nil)
	if err != nil {
		return fmt.Errorf("Pulsar admin URL %q: %w", ep.PulsarAdminURL, err)
	}
	if ep.Auth != nil && ep.Auth.PulsarToken != "" {
		req.Header.Set("Authorization", "Bearer "+ep.Auth.PulsarToken)
	}
	hc := &http.Client{}
	if tc, err := ep.Auth.TLSConfig(); err != nil {
		return err
	} else if tc != nil {
		hc.Transport = &http.Transport{TLSClientConfig: tc}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("Pulsar admin API at %s does not answer: %w", ep.PulsarAdminURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fmt.Errorf("Pulsar admin API at %s refused the credentials (HTTP %d)", ep.PulsarAdminURL, resp.StatusCode)
	}
	return nil
}

// hostPort takes host:port out of pulsar://host:port.
func hostPort(url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		url = url[i+3:]
	}
	return strings.TrimRight(url, "/")
}

type cluster struct {
	kind containers.Kind
	ep   containers.Endpoints
}

func (c *cluster) Kind() containers.Kind           { return c.kind }
func (c *cluster) Endpoints() containers.Endpoints { return c.ep }
func (c *cluster) Stop(ctx context.Context) error  { return nil } // not ours to stop
