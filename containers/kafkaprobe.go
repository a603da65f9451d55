package containers

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// KafkaBrokers asks a Kafka cluster once, without retrying, for the
// brokers its metadata lists: a real protocol round trip, which providers
// use to tell a broker that answers from a port that is merely open.
func KafkaBrokers(ctx context.Context, bootstrap ...string) (kadm.BrokerDetails, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap...), kgo.DialTimeout(time.Second), kgo.RequestRetries(0))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return kadm.NewClient(cl).ListBrokers(ctx)
}
