package catalogue

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/streamlab/streamlab/containers"
	"go.yaml.in/yaml/v3"
)

// SeedTimestamps stamps a seed's records with CreateTimes spread over Span,
// increasing in file order and ending when the run is prepared, so that an
// exercise can ask about time: replay from a moment, window by event time.
//
//	seed:
//	  - topic: INPUT_TOPIC
//	    from: ORDERS
//	    timestamps: {span: 24h}
type SeedTimestamps struct {
	Span time.Duration `yaml:"span"`
}

// validateSeedTimestamps reports a seed's timestamps setting that cannot
// work: only a Kafka record carries a timestamp its producer chooses.
func validateSeedTimestamps(file string, n *yaml.Node, sd Seed, cluster containers.Kind, c *collector) {
	if sd.Timestamps == nil {
		return
	}
	line := keyLine(n, "timestamps")
	if cluster != containers.Kafka {
		c.add(file, line, "timestamps are for Kafka seeds: a Kafka record carries the CreateTime its producer gives it, and this is a %s exercise", cluster)
		return
	}
	if sd.Timestamps.Span < time.Second {
		if v := valueOf(n, "timestamps"); v != nil && v.Kind == yaml.MappingNode {
			line = keyLine(v, "span")
		}
		c.add(file, line, "timestamps: span must be a duration of at least 1s, like 24h")
	}
}

// percentages is a time variable's `at`: "60%" or "30%..70%".
var percentages = regexp.MustCompile(`^(\d+(?:\.\d+)?)%(?:\.\.(\d+(?:\.\d+)?)%)?$`)

// AtRange is where a time variable falls in its topic's seeded span, as
// fractions from 0 (the first record) to 1 (the last): hi equals lo when
// At is one percentage; otherwise each run draws a point between them.
func (v Variable) AtRange() (lo, hi float64, err error) {
	m := percentages.FindStringSubmatch(v.At)
	if m == nil {
		return 0, 0, fmt.Errorf("at must be a percentage like 60%% or a range like 30%%..70%%, not %q", v.At)
	}
	lo, _ = strconv.ParseFloat(m[1], 64)
	hi = lo
	if m[2] != "" {
		hi, _ = strconv.ParseFloat(m[2], 64)
	}
	if lo > 100 || hi > 100 || lo > hi {
		return 0, 0, fmt.Errorf("at %q must run from a lower to a higher percentage, 0%% to 100%%", v.At)
	}
	return lo / 100, hi / 100, nil
}

// validateTimeVariables checks each time variable against the seeds, which
// are parsed after the variables: its `of` must name a topic that a seed
// stamps, and its `at` must say where in that seed's span it falls. The
// seeds are read as written, so that a seed with a problem of its own
// (reported already) does not make its time variable a second problem.
func validateTimeVariables(file string, varNodes *yaml.Node, seeds []yaml.Node, vars []Variable, c *collector) {
	stamped := map[string]bool{}
	for i := range seeds {
		if topic := valueOf(&seeds[i], "topic"); topic != nil && valueOf(&seeds[i], "timestamps") != nil {
			stamped[topic.Value] = true
		}
	}
	for _, v := range vars {
		node := valueOf(varNodes, v.Name)
		if node == nil || node.Kind != yaml.MappingNode {
			continue
		}
		switch v.Kind {
		case KindTime:
		case KindTopic, KindGroup, KindFile, KindSubscription, KindNamespace, KindDuration:
			if v.Of != "" || v.At != "" {
				c.add(file, v.Line, "%s: of and at are settings of a time variable, and this one is a %s", v.Name, v.Kind)
			}
			continue
		default:
			continue // an unknown kind is reported already
		}
		switch {
		case v.Of == "":
			c.add(file, v.Line, "%s: of is missing: name the topic variable whose seeded timestamps the time is taken from", v.Name)
		case !stamped[v.Of]:
			c.add(file, keyLine(node, "of"), "%s: of %q must be a topic that a seed stamps (seed: - topic: %s ... timestamps: {span: 24h})", v.Name, v.Of, v.Of)
		}
		if v.At == "" {
			c.add(file, v.Line, "%s: at is missing: say where in the seeded span the time falls, like 60%% or 30%%..70%%", v.Name)
		} else if _, _, err := v.AtRange(); err != nil {
			c.add(file, keyLine(node, "at"), "%s: %v", v.Name, err)
		}
	}
}

// valueOf returns the value of key in mapping m, or nil.
func valueOf(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
