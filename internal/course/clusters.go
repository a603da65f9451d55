package course

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/grader"
	"github.com/streamlab/streamlab/internal/inspect"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ErrNoCluster is wrapped by an Options.Choose that has no cluster of a
// kind to give at all, as a workshop's server that runs none: no check
// of that kind can run in the session, so the UI says so rather than
// promise that the first check starts one.
var ErrNoCluster = errors.New("no cluster of this kind here")

// Run is a graded run whose topics and groups stay on the cluster until
// the next run of the same exercise, or the end of the session.
type Run struct {
	Exercise *catalogue.Exercise
	Cluster  containers.Cluster
	Others   []containers.Cluster // an exercise on two clusters: the second
	Values   map[string]string    // variable -> this run's value
	Started  time.Time
}

// Target is what the inspector should look at for this run.
func (r *Run) Target() inspect.Target {
	var t inspect.Target
	for _, v := range r.Exercise.Variables {
		val := r.Values[v.Name]
		if val == "" {
			continue
		}
		switch v.Kind {
		case catalogue.KindTopic:
			t.Topics = append(t.Topics, val)
		case catalogue.KindGroup:
			t.Groups = append(t.Groups, val)
		case catalogue.KindSubscription:
			t.Subscriptions = append(t.Subscriptions, val)
		}
	}
	return t
}

// StartCluster brings up a cluster of kind k, or returns the one already
// started. progress receives the provider's events. Cancelling ctx
// abandons the start and leaves nothing running.
func (s *Session) StartCluster(ctx context.Context, k containers.Kind, progress func(containers.Event)) (containers.Cluster, auto.Choice, error) {
	s.mu.Lock()
	if st := s.clusters[k]; st != nil {
		s.mu.Unlock()
		return st.cluster, st.choice, nil
	}
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, auto.Choice{}, errors.New("streamlab is shutting down")
	}
	choice, err := s.Choice(k)
	if err != nil {
		s.log.Warn("no provider", "kind", k, "err", err)
		return nil, choice, err
	}
	s.log.Info("starting cluster", "kind", k, "provider", choice.Provider.Name(), "why", choice.Why)
	cl, err := choice.Provider.Start(ctx, k, progress)
	if next, ok := auto.Fallback(s.opts.Config.Cluster, k, s.AutoOptions(), err); err != nil && ok && ctx.Err() == nil {
		s.log.Warn("falling back", "kind", k, "from", choice.Provider.Name(), "err", err, "to", next.Provider.Name())
		choice = next
		cl, err = choice.Provider.Start(ctx, k, progress)
	}
	if err != nil {
		s.log.Warn("cluster failed to start", "kind", k, "err", err)
		return nil, choice, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev := s.clusters[k]; prev != nil || s.closed {
		// Another start won the race, or the session closed meanwhile.
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = cl.Stop(stopCtx)
		if prev != nil {
			return prev.cluster, prev.choice, nil
		}
		return nil, choice, errors.New("streamlab is shutting down")
	}
	s.clusters[k] = &started{cluster: cl, choice: choice}
	s.log.Info("cluster ready", "kind", k, "endpoints", fmt.Sprint(cl.Endpoints()))
	return cl, choice, nil
}

// Cluster returns the running cluster of kind k, or nil.
func (s *Session) Cluster(k containers.Kind) containers.Cluster {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.clusters[k]; st != nil {
		return st.cluster
	}
	return nil
}

func (s *Session) keep(r *Run) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[r.Exercise.ID] = r
	s.latest = r.Exercise.ID
}

// LastRun returns the kept run of an exercise ("" for the most recent run
// of any), or nil.
func (s *Session) LastRun(id string) *Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		id = s.latest
	}
	return s.runs[id]
}

// RemoveRun deletes the kept topics and groups of an exercise's last run.
func (s *Session) RemoveRun(ctx context.Context, id string) error {
	s.mu.Lock()
	r := s.runs[id]
	delete(s.runs, id)
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	s.log.Info("removing kept run", "exercise", id, "values", fmt.Sprint(r.Values))
	return grader.Remove(ctx, r.Cluster, r.Exercise, r.Values, r.Others...)
}

// Inspect looks at the resources of an exercise's last run ("" for the
// most recent run). It returns a nil run when there is none to look at.
func (s *Session) Inspect(ctx context.Context, id string) (inspect.Snapshot, *Run, error) {
	r := s.LastRun(id)
	if r == nil {
		return inspect.Snapshot{}, nil, nil
	}
	kind := r.Cluster.Kind()
	s.mu.Lock()
	in := s.inspectors[kind]
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return inspect.Snapshot{}, r, errors.New("streamlab is shutting down")
	}
	if in == nil {
		// A Pulsar inspector reads its token and TLS settings from the
		// endpoints; Kafka's need turning into client options.
		var kafkaOpts []kgo.Opt
		if kind == containers.Kafka {
			var err error
			if kafkaOpts, err = grader.KafkaAuthOpts(r.Cluster.Endpoints().Auth); err != nil {
				return inspect.Snapshot{}, r, err
			}
		}
		var err error
		if in, err = inspect.New(r.Cluster, kafkaOpts...); err != nil {
			return inspect.Snapshot{}, r, err
		}
		s.mu.Lock()
		if prev := s.inspectors[kind]; prev != nil {
			in.Close()
			in = prev
		} else {
			s.inspectors[kind] = in
		}
		s.mu.Unlock()
	}
	snap, err := in.Inspect(ctx, r.Target())
	return snap, r, err
}
