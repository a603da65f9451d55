package catalogue

import (
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/streamlab/streamlab/containers"
)

// parseClusters reads which clusters an exercise needs: `cluster: kafka`
// for one, or `clusters: [kafka, pulsar]` for an exercise that moves data
// between the two. The first is the exercise's own: its topics live there
// unless a topic variable says otherwise.
func parseClusters(file string, root *yaml.Node, raw rawSpec, s *Spec, c *collector) {
	known := func(k string) bool { return k == string(containers.Kafka) || k == string(containers.Pulsar) }
	switch {
	case raw.Cluster != "" && len(raw.Clusters) > 0:
		c.add(file, keyLine(root, "clusters"), "give cluster (one) or clusters (a list), not both")
	case len(raw.Clusters) > 0:
		for _, k := range raw.Clusters {
			if !known(k) {
				c.add(file, keyLine(root, "clusters"), "clusters must list kafka and pulsar, not %q", k)
				return
			}
			if slices.Contains(s.Clusters, containers.Kind(k)) {
				c.add(file, keyLine(root, "clusters"), "clusters names %s twice", k)
				return
			}
			s.Clusters = append(s.Clusters, containers.Kind(k))
		}
		s.Cluster = s.Clusters[0]
		return
	case !known(raw.Cluster):
		c.add(file, keyLine(root, "cluster"), "cluster must be kafka or pulsar, not %q", raw.Cluster)
		return
	}
	s.Cluster = containers.Kind(raw.Cluster)
	s.Clusters = []containers.Kind{s.Cluster}
}

// placeVariable sets the cluster a named resource lives on: groups on
// Kafka, subscriptions and namespaces on Pulsar, topics on the exercise's
// first cluster unless they name another.
func placeVariable(file string, v *Variable, s *Spec, c *collector) {
	var home containers.Kind
	switch v.Kind {
	case KindTopic:
		home = s.Cluster
	case KindGroup:
		home = containers.Kafka
	case KindSubscription, KindNamespace:
		home = containers.Pulsar
	default:
		if v.Cluster != "" {
			c.add(file, v.Line, "%s: cluster is for topics; a %s lives on no cluster", v.Name, v.Kind)
		}
		return
	}
	if v.Cluster != "" && v.Kind != KindTopic && v.Cluster != home {
		c.add(file, v.Line, "%s: a %s lives on %s, not %s", v.Name, v.Kind, home, v.Cluster)
		return
	}
	if v.Cluster == "" {
		v.Cluster = home
		if len(s.Clusters) == 1 && !s.Uses(home) {
			// A spec on one cluster names each resource as it likes; the
			// cluster's backend makes a name of it.
			v.Cluster = s.Cluster
		}
	}
	if len(s.Clusters) > 0 && !s.Uses(v.Cluster) {
		c.add(file, v.Line, "%s: a %s on %s, and this exercise uses %s", v.Name, v.Kind, v.Cluster, containers.JoinKinds(s.Clusters, " and "))
	}
}
