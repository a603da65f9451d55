package grader

import (
	"context"
	"fmt"
	"time"

	"github.com/streamlab/streamlab/containers"
)

// A kill: broker fault restarts the cluster's broker while the program
// runs. The grader knows it did: health checks pause while the broker is
// down, so a broker the grader restarted is never reported as a cluster
// that failed; only one that does not come back is.

// restartLimit is how long a restarted broker may take to answer again
// before the run is the cluster's error.
const restartLimit = 2 * time.Minute

// restarter is the run's cluster as a broker restarter, or an error that
// says, in a learner's words, why this cluster cannot be restarted.
func (g *run) restarter() (containers.BrokerRestarter, error) {
	where := "this cluster"
	if g.req.Provider != "" {
		where = fmt.Sprintf("this cluster (%s)", g.req.Provider)
	}
	r, ok := g.cluster(containers.Kafka).(containers.BrokerRestarter)
	if !ok {
		return nil, fmt.Errorf("this exercise restarts the Kafka broker while your program runs, and streamlab only restarts a broker it started for this check itself (--cluster local, docker or embedded); it cannot restart %s, an external cluster or one kept up by another streamlab process, so nothing was run. Check it with --cluster local (or docker, or embedded)", where)
	}
	if err := r.CanRestartBroker(); err != nil {
		return nil, fmt.Errorf("this exercise restarts the Kafka broker while your program runs, and %s cannot be restarted, so nothing was run: %w", where, err)
	}
	return r, nil
}

// restartBroker runs the broker fault fr in the background; the fleet
// waits for it before it returns.
func (f *fleet) restartBroker(ctx context.Context, fr *firing) {
	f.background.Add(1)
	go func() {
		defer f.background.Done()
		f.g.restarting.Add(1)
		defer f.g.restarting.Add(-1)
		t0 := time.Now()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restartLimit)
		defer cancel()
		err := f.restarter.RestartBroker(ctx)
		f.mu.Lock()
		if err != nil {
			fr.after = fmt.Sprintf("it did not come back: %v", err)
		} else {
			fr.after = fmt.Sprintf("it answered again %s later", time.Since(t0).Round(10*time.Millisecond))
		}
		report := fr.report()
		f.mu.Unlock()
		f.g.emit(Event{Fault: report})
		if err != nil && f.stop != nil {
			f.stop(fmt.Errorf("the broker the grader restarted did not come back: %w", err))
		}
	}()
}
