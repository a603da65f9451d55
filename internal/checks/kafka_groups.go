package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

func init() {
	register("kafka.group-members", "kafka", "one observation of the group shows at least N members, exactly M of them assigned partitions of the topic",
		func(p membersParams) (Check, error) {
			if p.Group == "" || p.Topic == "" {
				return nil, errors.New("needs group and topic")
			}
			if p.Members < 1 {
				return nil, errors.New("members: the number of members the group must reach (at least 1)")
			}
			if p.Working == nil || *p.Working < 0 || *p.Working > p.Members {
				return nil, fmt.Errorf("working: how many of the %d members must hold partitions (0 to %d)", p.Members, p.Members)
			}
			return p, nil
		})
}

// ---- kafka.group-members

type membersParams struct {
	Group   string `yaml:"group"`
	Topic   string `yaml:"topic"`
	Members int    `yaml:"members"`
	Working *int   `yaml:"working"`
}

func (p membersParams) Vars() []string { return []string{p.Group, p.Topic} }
func (p membersParams) Needs() string  { return "kafka" }

// groupView is one observation of a group: how many members, and how many
// of them held partitions of the topic.
type groupView struct {
	members, working int
	state            string
}

func (p membersParams) Evaluate(ctx context.Context, env *Env) Outcome {
	group, topic := env.Var(p.Group), env.Var(p.Topic)
	now, err := describeMembers(ctx, env.admin(), group, topic)
	if err != nil {
		return errored(fmt.Errorf("describing group %s: %w", group, err))
	}
	if now.members >= p.Members && now.working == *p.Working {
		return passed("Group %s had %d members, %d of them with partitions of %s (%d idle).", group, now.members, now.working, topic, now.members-now.working)
	}
	// A watched check is judged by its last look, taken as the program
	// ends: the largest group seen so far says more than the group then.
	best := remember(env, p, now)
	switch {
	case best.members == 0:
		return failed("Group %s never had a member: did every instance join the group named in $%s (kgo.ConsumerGroup) and subscribe to $%s?", group, p.Group, p.Topic)
	case best.members < p.Members:
		return failed("Group %s never had more than %d member%s at once; expected %d. Did every instance join the group named in $%s, and stay in it until the group had caught up (an instance with no partitions must not exit at once)?",
			group, best.members, plural(best.members), p.Members, p.Group)
	case best.working > *p.Working:
		return failed("%d members, but %d of them had partitions of %s; expected exactly %d. A group gives each partition to one member, so no more members can work than %s has partitions.",
			best.members, best.working, topic, *p.Working, topic)
	default:
		return failed("%d members, but only %d of them had partitions of %s; expected %d. Did every instance subscribe to $%s, and keep polling so the group could finish its rebalance?",
			best.members, best.working, topic, *p.Working, p.Topic)
	}
}

// describeMembers asks for the group as a classic group, and as a KIP-848
// consumer group if it is not one: the learner's client picks the protocol.
func describeMembers(ctx context.Context, adm *kadm.Client, group, topic string) (groupView, error) {
	classic, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return groupView{}, err
	}
	if g, ok := classic[group]; ok && g.Err == nil && len(g.Members) > 0 {
		v := groupView{members: len(g.Members), state: g.State}
		for _, m := range g.Members {
			if c, ok := m.Assigned.AsConsumer(); ok {
				for _, t := range c.Topics {
					if t.Topic == topic && len(t.Partitions) > 0 {
						v.working++
						break
					}
				}
			}
		}
		return v, nil
	} else if ok && g.Err != nil && !errors.Is(g.Err, kerr.GroupIDNotFound) {
		return groupView{}, g.Err
	}
	next, err := adm.DescribeConsumerGroups(ctx, group)
	if err != nil {
		// No such group in either protocol, or a broker that predates KIP-848.
		if errors.Is(err, kerr.GroupIDNotFound) || errors.Is(err, kerr.UnsupportedVersion) || strings.Contains(err.Error(), "too old") {
			return groupView{}, nil
		}
		return groupView{}, err
	}
	g, ok := next[group]
	if !ok || g.Err != nil {
		return groupView{}, nil
	}
	v := groupView{members: len(g.Members), state: g.State}
	for _, m := range g.Members {
		if len(m.Assignment[topic]) > 0 {
			v.working++
		}
	}
	return v, nil
}

type membersKey struct {
	group, topic     string
	members, working int
}

// remember records an observation and returns the one with the most
// members this check has seen in this run: a check watched while the
// programs run is judged by its last look, which may come as members
// leave, and its message should say what the group was at its fullest.
func remember(env *Env, p membersParams, v groupView) groupView {
	best := env.remember(membersKey{p.Group, p.Topic, p.Members, *p.Working}, func(old any) any {
		if b, ok := old.(groupView); ok && b.members > v.members {
			return b
		}
		return v
	})
	return best.(groupView)
}
