// Package containers holds the cluster providers: the ways streamlab gets a
// live Kafka or Pulsar to grade against. Every provider sits behind Provider,
// reports its start-up through Events, and owns everything it started so that
// Stop (or a cancelled context) leaves nothing running.
package containers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"
)

// Kind names a streaming system an exercise needs.
type Kind string

const (
	Kafka  Kind = "kafka"
	Pulsar Kind = "pulsar"
)

// JoinKinds names clusters for a reader: "kafka", or with sep " and ",
// "kafka and pulsar".
func JoinKinds(ks []Kind, sep string) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, sep)
}

// Endpoints is how programs and checks reach a cluster. Only the fields of the
// cluster's Kind are set.
type Endpoints struct {
	KafkaBootstrap   []string // host:port
	PulsarServiceURL string   // pulsar://host:port
	PulsarAdminURL   string   // http://host:port
	// Auth is how to authenticate to a cluster streamlab did not start;
	// nil for plaintext without credentials.
	Auth *Auth `json:"-"`
}

// Auth holds TLS settings and credentials for an external cluster. Its
// String never shows a secret, so it is safe in logs and messages.
type Auth struct {
	TLS         bool   // connect to Kafka over TLS
	TLSCAFile   string // PEM bundle to trust instead of the system roots
	TLSInsecure bool   // skip certificate verification (test clusters only)

	SASLMechanism string // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
	SASLUsername  string
	SASLPassword  string

	PulsarToken string // JWT for Pulsar's token authentication
}

func (a *Auth) String() string {
	if a == nil {
		return "plaintext"
	}
	var parts []string
	if a.TLS {
		parts = append(parts, "TLS")
	}
	if a.SASLMechanism != "" {
		parts = append(parts, "SASL/"+a.SASLMechanism+" as "+a.SASLUsername)
	}
	if a.PulsarToken != "" {
		parts = append(parts, "Pulsar token")
	}
	if len(parts) == 0 {
		return "plaintext"
	}
	return strings.Join(parts, ", ")
}

// Stage is a step of a provider's start-up, shown to the learner as progress.
type Stage string

const (
	StagePreparing Stage = "preparing" // finding jars, images, free ports
	StagePulling   Stage = "pulling"   // docker image pull
	StageStarting  Stage = "starting"  // process or container launched
	StageWaiting   Stage = "waiting"   // waiting for the cluster to answer
	StageReady     Stage = "ready"
	StageFailed    Stage = "failed"
	StageStopped   Stage = "stopped"
)

// Event is one progress report from a provider.
type Event struct {
	Provider string
	Kind     Kind
	Stage    Stage
	Message  string
	Elapsed  time.Duration // since Start was called
	Err      error         // set with StageFailed
}

// Cluster is a running cluster of one Kind.
type Cluster interface {
	Kind() Kind
	Endpoints() Endpoints
	// Stop shuts the cluster down and removes what the provider created for
	// it. It is safe to call more than once.
	Stop(ctx context.Context) error
}

// BrokerRestarter is a cluster whose broker streamlab can restart while a
// learner's program uses it, as a fault an exercise injects. Only a
// cluster this process started can be restarted: an external cluster, or
// one kept up by another streamlab process, cannot, and an exercise that
// needs a restart is refused on it rather than graded without one.
type BrokerRestarter interface {
	// CanRestartBroker says, before a program runs, why this cluster's
	// broker cannot be restarted (a docker engine on another machine, say),
	// or returns nil.
	CanRestartBroker() error
	// RestartBroker ends the broker abruptly (no clean shutdown, as in a
	// crash), starts it again on the same data and the same ports, and
	// returns once it answers again.
	RestartBroker(ctx context.Context) error
}

// Provider starts clusters.
type Provider interface {
	Name() string
	// Start brings up a cluster of kind k and returns once it answers.
	// progress may be nil. On error nothing the call started is left running.
	Start(ctx context.Context, k Kind, progress func(Event)) (Cluster, error)
}

// Report calls progress if it is set; providers use it so that a nil
// callback needs no special case at each call site.
func Report(progress func(Event), e Event) {
	if progress != nil {
		progress(e)
	}
}

// Reporter reports the stages of one start-up, each with the time elapsed
// since the reporter was made.
type Reporter struct {
	provider string
	kind     Kind
	progress func(Event)
	start    time.Time
}

// NewReporter starts timing a start-up of kind k by provider; progress may
// be nil.
func NewReporter(provider string, k Kind, progress func(Event)) Reporter {
	return Reporter{provider: provider, kind: k, progress: progress, start: time.Now()}
}

// Stage reports a stage; err goes with StageFailed.
func (r Reporter) Stage(s Stage, msg string, err error) {
	Report(r.progress, Event{Provider: r.provider, Kind: r.kind, Stage: s, Message: msg, Elapsed: time.Since(r.start), Err: err})
}

// TLSConfig builds the TLS settings; nil when TLS is off.
func (a *Auth) TLSConfig() (*tls.Config, error) {
	if a == nil || (!a.TLS && a.TLSCAFile == "" && !a.TLSInsecure) {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: a.TLSInsecure}
	if a.TLSCAFile != "" {
		pem, err := os.ReadFile(a.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("reading the TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the TLS CA file %s holds no PEM certificate", a.TLSCAFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}
