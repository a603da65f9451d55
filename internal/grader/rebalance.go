package grader

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// A rebalance fault: a member of the grader's joins the learner's group,
// which must rebalance to give it partitions; it holds them, reads from
// them without committing, and leaves, so the group rebalances again and
// the learner's members take the partitions back from their committed
// offsets. A program that commits what it has not finished, or that
// cannot take a partition back, shows it here.

// joinLimit bounds how long the grader's member waits to be given
// partitions: the learner's members must rejoin for the group to
// rebalance, and a member that never polls holds the rebalance up.
const joinLimit = 30 * time.Second

func (f *fleet) rebalance(ctx context.Context, fr *firing) {
	f.background.Add(1)
	go func() {
		defer f.background.Done()
		fault := fr.fault
		group, topic := f.g.values[fault.Rebalance], f.g.values[fault.Topic]
		var mu sync.Mutex
		var held []int32
		assigned := make(chan struct{}, 1)
		opts := append(slices.Clone(f.g.env.KafkaOpts),
			kgo.ClientID("streamlab-rebalance"),
			kgo.ConsumerGroup(group),
			kgo.ConsumeTopics(topic),
			kgo.DisableAutoCommit(),
			// Whatever the learner's members speak: cooperative first, so a
			// cooperative group stays cooperative, and the eager ones that
			// other clients default to.
			kgo.Balancers(kgo.CooperativeStickyBalancer(), kgo.RangeBalancer(), kgo.RoundRobinBalancer(), kgo.StickyBalancer()),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
				mu.Lock()
				held = append(held, m[topic]...)
				mu.Unlock()
				if len(m[topic]) > 0 {
					select {
					case assigned <- struct{}{}:
					default:
					}
				}
			}),
		)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), joinLimit+fault.Hold)
		defer cancel()
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			f.backgroundDone(fr, fmt.Sprintf("the grader's member could not start: %v", err))
			return
		}
		read, deadline := 0, time.Time{}
		for {
			select {
			case <-assigned:
				if deadline.IsZero() {
					deadline = time.Now().Add(fault.Hold)
				}
			default:
			}
			if !deadline.IsZero() && time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
			pollCtx, stop := context.WithTimeout(ctx, 200*time.Millisecond)
			read += cl.PollFetches(pollCtx).NumRecords()
			stop()
		}
		// Close leaves the group; with auto-commit off nothing is committed.
		cl.Close()
		mu.Lock()
		parts := slices.Clone(held)
		mu.Unlock()
		slices.Sort(parts)
		parts = slices.Compact(parts)
		if len(parts) == 0 {
			f.backgroundDone(fr, fmt.Sprintf("it was given no partition of %s within %s (did the program's members stay in the group and keep polling?), and left", fault.Topic, joinLimit))
			return
		}
		f.backgroundDone(fr, fmt.Sprintf("it was given %s of %s, held %s for %s, read %d records without committing, and left", plural(len(parts), "partition"), fault.Topic, partitionNames(parts), fault.Hold, read))
	}()
}

func partitionNames(ps []int32) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprint(p)
	}
	if len(s) == 1 {
		return "partition " + s[0]
	}
	return "partitions " + strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
