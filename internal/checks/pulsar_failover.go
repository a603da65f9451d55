package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// pulsar.single-active judges "one instance at a time" from the output
// alone: every output message names, in a property, the instance that
// wrote it, and the topic keeps them in the order the broker stored them.
// While one consumer of a Failover subscription is active the names form
// one run; a handover starts the next. Consumers that share the work (a
// Shared subscription, or a subscription each) interleave their names.

func init() {
	register("pulsar.single-active", "pulsar", "the output, in the order stored, names one instance at a time (a property), with at most max_handovers changes, and at least min_instances did work",
		func(p singleActiveParams) (Check, error) {
			if p.Topic == "" || p.Property == "" {
				return nil, errors.New("needs topic and property")
			}
			if p.MinInstances == 0 {
				p.MinInstances = 2
			}
			if p.MaxHandovers == 0 {
				p.MaxHandovers = 1
			}
			if p.MinInstances < 1 || p.MaxHandovers < 1 {
				return nil, errors.New("min_instances and max_handovers must be 1 or more")
			}
			return p, nil
		})
}

type singleActiveParams struct {
	Topic        string `yaml:"topic"`
	Property     string `yaml:"property"`
	MinInstances int    `yaml:"min_instances"`
	MaxHandovers int    `yaml:"max_handovers"`
}

func (p singleActiveParams) Vars() []string { return []string{p.Topic} }
func (p singleActiveParams) Needs() string  { return "pulsar" }

func (p singleActiveParams) Evaluate(ctx context.Context, env *Env) Outcome {
	msgs, o := env.messagesOf(ctx, p.Topic)
	if o != nil {
		return *o
	}
	values := make([]string, 0, len(msgs))
	unnamed := 0
	for _, m := range msgs {
		v, ok := m.Properties[p.Property]
		if !ok {
			unnamed++
			continue
		}
		values = append(values, v)
	}
	return judgeSingleActive(values, unnamed, p)
}

// run is one instance's stretch of consecutive output.
type run struct {
	who string
	n   int
}

func judgeSingleActive(values []string, unnamed int, p singleActiveParams) Outcome {
	if unnamed > 0 {
		return failed("%d of %d output messages carry no property %s: set it on every message to the instance that wrote it ($INSTANCE).", unnamed, unnamed+len(values), p.Property)
	}
	if len(values) == 0 {
		return failed("The output is empty: no instance handled anything.")
	}
	var runs []run
	for _, v := range values {
		if len(runs) > 0 && runs[len(runs)-1].who == v {
			runs[len(runs)-1].n++
			continue
		}
		runs = append(runs, run{v, 1})
	}
	distinct := map[string]bool{}
	for _, r := range runs {
		distinct[r.who] = true
	}
	handovers := len(runs) - 1
	if handovers > p.MaxHandovers {
		return failed("The output switches between instances %d times (%s): more than one instance handled messages at the same time. On a Failover subscription one consumer gets every message; another gets them only once it has gone away.", handovers, describeRuns(runs, 6))
	}
	if len(distinct) < p.MinInstances {
		return failed("Only instance %s handled messages (all %d): when it was killed, no other instance took over. Keep every instance subscribed, waiting, so that a standby is there to take over.", runs[0].who, len(values))
	}
	return passed("One instance at a time: %s.", describeRuns(runs, 6))
}

func describeRuns(runs []run, limit int) string {
	var parts []string
	for i, r := range runs {
		if i == limit {
			parts = append(parts, fmt.Sprintf("… %d more", len(runs)-limit))
			break
		}
		parts = append(parts, fmt.Sprintf("instance %s wrote %d", r.who, r.n))
	}
	return strings.Join(parts, ", then ")
}
