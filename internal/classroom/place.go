package classroom

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/external"
	"github.com/streamlab/streamlab/internal/course"
	"github.com/streamlab/streamlab/internal/grader"
)

// Place is the Kafka cluster a class's topic lives on.
type Place struct {
	// Name says which cluster, for people: "external at kafka.workshop:9092".
	Name      string
	Endpoints containers.Endpoints
}

// String is the place's name.
func (p Place) String() string { return p.Name }

// PlaceAt is a place at known endpoints, for a front end that owns its
// cluster (a workshop server hands its learners' sessions the one it runs).
func PlaceAt(provider string, ep containers.Endpoints) Place {
	return Place{Name: provider + " at " + strings.Join(ep.KafkaBootstrap, ","), Endpoints: ep}
}

// Locate finds the class's cluster for a session: the Kafka cluster its
// learner grades on, which must be one that others reach too, an
// external cluster or one kept up by `streamlab cluster up`. A cluster a
// single streamlab process starts for itself would hold a class of one
// and vanish with it, so it is refused with what to do instead. Locate
// checks that the cluster answers; ctx bounds how long it waits.
func Locate(ctx context.Context, sess *course.Session) (Place, error) {
	choice, err := sess.Choice(containers.Kafka)
	if err != nil {
		if p, perr := sess.Choice(containers.Pulsar); perr == nil && isShared(p.Provider) {
			return Place{}, &NoPlaceError{fmt.Sprintf("the class view needs Kafka, and the shared cluster (%s) has only Pulsar: give its Kafka with --kafka-bootstrap (or kafka: bootstrap: in the config file)", p.Provider.Name())}
		}
		return Place{}, &NoPlaceError{fmt.Sprintf("the class lives on the shared Kafka cluster, and there is none: %v", err)}
	}
	if !isShared(choice.Provider) {
		return Place{}, &NoPlaceError{fmt.Sprintf("the class lives on a shared Kafka cluster, but --cluster %s would start one of your own (%s) that no one else sees: use the workshop's cluster (--cluster external --kafka-bootstrap HOST:PORT) or one kept up by `streamlab cluster up`", sess.ProviderName(), choice.Provider.Name())}
	}
	cl, err := choice.Provider.Start(ctx, containers.Kafka, nil)
	if err != nil {
		return Place{}, fmt.Errorf("the class's cluster: %w", err)
	}
	defer cl.Stop(context.WithoutCancel(ctx)) // an external cluster: stopping it does nothing
	return PlaceAt(choice.Provider.Name(), cl.Endpoints()), nil
}

// NoPlaceError is a configuration without a shared Kafka cluster: asking
// again will not find one.
type NoPlaceError struct{ msg string }

func (e *NoPlaceError) Error() string { return e.msg }

// isShared reports whether a provider hands out a cluster that outlives
// this process and that other learners can reach: external, or kept up.
func isShared(p containers.Provider) bool {
	_, ok := p.(*external.Provider)
	return ok
}

// clientOpts reach the place as the grader does (TLS, SASL).
func (p Place) clientOpts(extra ...kgo.Opt) ([]kgo.Opt, error) {
	if len(p.Endpoints.KafkaBootstrap) == 0 {
		return nil, fmt.Errorf("%s has no Kafka bootstrap servers", p.Name)
	}
	auth, err := grader.KafkaAuthOpts(p.Endpoints.Auth)
	if err != nil {
		return nil, err
	}
	opts := append([]kgo.Opt{kgo.SeedBrokers(p.Endpoints.KafkaBootstrap...)}, auth...)
	return append(opts, extra...), nil
}
