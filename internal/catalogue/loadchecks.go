package catalogue

import (
	"fmt"
	"strings"

	"github.com/streamlab/streamlab/internal/checks"
	"go.yaml.in/yaml/v3"
)

// validateLoadJudge reports a check that judges a load (a latency check)
// in a spec whose loads cannot give it one: its input must be loaded onto
// exactly one topic, not that check's own output, and with a spike when
// the check judges by it. n is the check's mapping; rawLoads are the
// spec's load: entries as written, so that a load already reported as
// broken is not reported again as missing.
func validateLoadJudge(file string, n *yaml.Node, cs checks.Spec, s *Spec, rawLoads []yaml.Node, c *collector) {
	j, ok := cs.Check.(checks.LoadJudge)
	if !ok {
		return
	}
	u := j.JudgesLoad()
	var loads []TopicLoad
	for _, l := range s.Load {
		if l.From == u.Input {
			loads = append(loads, l)
		}
	}
	switch len(loads) {
	case 0:
		for i := range rawLoads {
			if from := valueOf(&rawLoads[i], "from"); from != nil && from.Value == u.Input {
				return // a broken load of it, reported where it is
			}
		}
		for _, sd := range s.Seeds {
			if sd.From == u.Input {
				c.add(file, keyLine(n, "input"), "check %q measures how long the lines of %s take to come out, and %s is seeded (line %d), not loaded: a seed is on the topic before the program starts, so its latency would be the program's start-up. Publish it while the program runs with load: {topic: ..., from: %s, rate: 100/s}",
					cs.Name, u.Input, u.Input, sd.Line, u.Input)
				return
			}
		}
		c.add(file, keyLine(n, "input"), "check %q measures how long the lines of %s take to come out, and no load publishes %s: add load: {topic: ..., from: %s, rate: 100/s}", cs.Name, u.Input, u.Input, u.Input)
	case 1:
		l := loads[0]
		if l.Topic == u.Output {
			c.add(file, keyLine(n, "topic"), "check %q reads its output from %s, the topic the load publishes %s to: name the topic the program writes to", cs.Name, u.Output, u.Input)
		}
		if u.Spike && l.Spike == nil {
			c.add(file, keyLine(n, "during"), "check %q judges by the load's spike (during: spike or steady), and the load of %s (line %d) has no spike: add spike: {after: 2s, times: 5, for: 2s} to it, or remove during", cs.Name, u.Input, l.Line)
		}
	default:
		var topics []string
		for _, l := range loads {
			topics = append(topics, fmt.Sprintf("%s (line %d)", l.Topic, l.Line))
		}
		c.add(file, keyLine(n, "input"), "check %q measures how long the lines of %s take to come out, and %s is loaded onto %s: the check cannot tell which load an output came from, so load it once", cs.Name, u.Input, u.Input, strings.Join(topics, " and "))
	}
}
