package grader

import (
	"context"
	"errors"
	"time"

	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/datagen"
)

// stampingBackend is a backend whose records carry a timestamp the
// producer chooses (Kafka's CreateTime).
type stampingBackend interface {
	SeedAt(ctx context.Context, topic string, lines, keys []string, stamps []time.Time) error
}

// seed publishes lines to topic, stamped with stamps when they are given.
func (g *run) seed(ctx context.Context, topic string, lines, keys []string, stamps []time.Time) error {
	if stamps == nil {
		return g.be.Seed(ctx, topic, lines, keys)
	}
	sb, ok := g.be.forTopic(topic).(stampingBackend)
	if !ok {
		// The catalogue refuses timestamps on a seed for any other cluster.
		return errors.New("this cluster's records cannot carry the timestamps the seed asks for")
	}
	return sb.SeedAt(ctx, topic, lines, keys, stamps)
}

// nameTimes gives each time variable its value for this run: a moment
// drawn from the timestamps seeded into its topic, written in RFC 3339
// with the UTC offset datagen.Instant chose.
func (g *run) nameTimes(stamps map[string][]time.Time) {
	for i, v := range g.req.Exercise.Variables {
		if v.Kind != catalogue.KindTime {
			continue
		}
		lo, hi, _ := v.AtRange() // validated when the catalogue loaded
		g.values[v.Name] = datagen.Instant(g.res.Seed+uint64(i), stamps[v.Of], lo, hi).Format(time.RFC3339Nano)
	}
}
