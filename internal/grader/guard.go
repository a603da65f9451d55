package grader

import (
	"fmt"
	"slices"
	"strings"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/proxy"
)

// A guarded run (Request.Guard) is one of many programs on one shared
// cluster. Its program talks to Kafka through a guarded proxy per
// instance (the one faults use, when they use one) and to Pulsar's admin
// API through a guarded admin proxy, so that it can change its own
// topics, groups and namespaces and nobody else's (proxy/guard.go).

// owns is a guarded run's guard: what its program may change. That is
// what the run hands it (a topic, group, subscription or namespace
// variable's value) and every name that starts with one (GROUP-copier,
// TOPIC-DLQ, a partition of a partitioned topic), and every name in the
// space names.go gives this learner's runs of this exercise. On Pulsar,
// a topic is also its program's in one of the program's namespaces, or
// in the shared public/default when its own name is in that space. A
// transactional id is the one name a program chooses itself (exercises
// only suggest one): any is its own but one made from another run's
// names, so a correct program passes in a class as it does alone.
func (g *run) owns(r proxy.Resource) bool {
	space := ExercisePrefix(g.req.Prefix, g.req.Exercise.Slug)
	if g.handed(r.Name) {
		return true
	}
	switch r.Type {
	case proxy.Topic:
		_, full, pulsar := strings.Cut(r.Name, "://")
		if !pulsar {
			return strings.HasPrefix(r.Name, space) // Kafka
		}
		parts := strings.Split(full, "/")
		if len(parts) != 3 {
			return false
		}
		ns := parts[0] + "/" + parts[1]
		return g.owns(proxy.Resource{Type: proxy.Namespace, Name: ns}) ||
			ns == pulsarDefaultNamespace && strings.HasPrefix(parts[2], space)
	case proxy.Group:
		return strings.HasPrefix(r.Name, space)
	case proxy.TransactionalID:
		return strings.HasPrefix(r.Name, space) || !runName(r.Name)
	case proxy.Namespace:
		tenant, ns, _ := strings.Cut(r.Name, "/")
		return tenant == pulsarTenant && strings.HasPrefix(ns, space)
	}
	return false // tenants and the cluster are nobody's
}

// runName reports whether name is, or is made from, a name some run gave
// its program: every name ResourceName makes has its "sl" part.
func runName(name string) bool {
	return strings.HasPrefix(name, "sl-") || strings.Contains(name, "-sl-")
}

// handed reports whether name is, or starts with, a name the run gave
// its program.
func (g *run) handed(name string) bool {
	for _, v := range g.req.Exercise.Variables {
		switch v.Kind {
		case catalogue.KindTopic, catalogue.KindGroup, catalogue.KindSubscription, catalogue.KindNamespace:
			if given := g.values[v.Name]; given != "" && strings.HasPrefix(name, given) {
				return true
			}
		}
	}
	return false
}

// guard is the guard of the run's proxies: nil when the run is not
// guarded.
func (f *fleet) guard() proxy.Guard {
	if !f.g.req.Guard {
		return nil
	}
	return f.g.owns
}

// startAdmin puts a guarded proxy before the Pulsar admin API.
func (f *fleet) startAdmin() error {
	ep := f.g.cluster(containers.Pulsar).Endpoints()
	tc, err := ep.Auth.TLSConfig()
	if err != nil {
		return err
	}
	a, err := proxy.StartAdmin(ep.PulsarAdminURL, tc, f.g.owns, func(r proxy.Request) proxy.Verdict {
		f.refuse(r)
		return proxy.Deliver
	})
	if err != nil {
		return err
	}
	f.admin = a
	return nil
}

// maxRefusals is how many refused requests a run describes; it counts
// them all.
const maxRefusals = 3

// refuse notes a request the guard refused.
func (f *fleet) refuse(r proxy.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refusals++
	what := make([]string, len(r.Denied))
	for i, d := range r.Denied {
		what[i] = d.String()
	}
	s := fmt.Sprintf("%s on %s", r.Action, strings.Join(what, ", "))
	if len(f.denials) < maxRefusals && !slices.Contains(f.denials, s) {
		f.denials = append(f.denials, s)
	}
}

// refusalNote says what the guard refused the program, for the program's
// test; "" when nothing. Called with f.mu held.
func (f *fleet) refusalNote() string {
	if f.refusals == 0 {
		return ""
	}
	what := "request"
	if f.refusals > 1 {
		what = fmt.Sprintf("%d requests", f.refusals)
	}
	return fmt.Sprintf("streamlab refused the program's %s to change what this run did not give it (%s): on a shared cluster a program may change only its own topics, groups and namespaces",
		what, strings.Join(f.denials, "; "))
}
