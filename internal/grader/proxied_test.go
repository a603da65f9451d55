package grader

import (
	"context"
	"errors"
	"testing"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/runner"
)

// overTLS is a cluster reached over TLS, which the proxy cannot read.
type overTLS struct{}

func (overTLS) Kind() containers.Kind { return containers.Kafka }
func (overTLS) Endpoints() containers.Endpoints {
	return containers.Endpoints{KafkaBootstrap: []string{"127.0.0.1:1"}, Auth: &containers.Auth{TLS: true}}
}
func (overTLS) Stop(context.Context) error { return nil }

// On a TLS cluster a run that needs the proxy is refused with a message,
// and one that only would have liked it runs without.
func TestProxiesOverTLS(t *testing.T) {
	f := &fleet{g: &run{req: Request{Cluster: overTLS{}}}, procs: make([]*runner.Process, 2)}
	if err := f.startProxies(true); !errors.Is(err, errProxyTLS) || f.proxies != nil {
		t.Fatalf("needed: %v, proxies %v", err, f.proxies)
	}
	if err := f.startProxies(false); err != nil || f.proxies != nil {
		t.Fatalf("wanted: %v, proxies %v", err, f.proxies)
	}
}
