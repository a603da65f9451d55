package catalogue

import (
	"slices"
	"strings"
	"time"

	"github.com/streamlab/streamlab/internal/checks"
	"github.com/streamlab/streamlab/internal/datagen"
	"go.yaml.in/yaml/v3"
)

// Model files that hold versions of one model, for a topic of models: a
// compacted topic keyed by the model's name, seeded with the versions in
// use before the program starts and loaded with a newer one while it runs.
//
//	MODELS_TOPIC: {kind: topic, configs: {cleanup.policy: compact}}
//	MODELS: {kind: file, generator: model, versions: 2}     # an old version, then the one in use
//	NEW_MODEL: {kind: file, generator: model, follows: MODELS}
//
// A file that follows another holds the next versions of its model:
// numbered after them, each with features in an order of its own.

// ModelVersions is how many versions a model file holds.
func (v Variable) ModelVersions() int { return max(v.Versions, 1) }

// ModelDraw says how the grader draws the versions of the model file
// name: from the seed of the file whose versions it continues (Root, an
// index into Variables; its own unless it follows one), skipping the
// Skip versions that come before it. Lineage is false for a file of one
// version that nothing follows, which is drawn as a single model.
func (s Spec) ModelDraw(name string) (root, skip int, lineage bool) {
	idx := slices.IndexFunc(s.Variables, func(v Variable) bool { return v.Name == name })
	if idx < 0 {
		return -1, 0, false
	}
	v := s.Variables[idx]
	rootName := v.Name
	if v.Follows != "" {
		rootName = v.Follows
	}
	root = slices.IndexFunc(s.Variables, func(v Variable) bool { return v.Name == rootName })
	if root < 0 {
		return -1, 0, false
	}
	followed := false
	if v.Follows != "" {
		skip = s.Variables[root].ModelVersions()
	}
	for i, o := range s.Variables {
		if o.Follows != rootName {
			continue
		}
		followed = true
		if v.Follows != "" && i < idx {
			skip += o.ModelVersions()
		}
	}
	return root, skip, v.Follows != "" || followed || v.Versions > 1
}

// compacted reports whether a topic variable asks for cleanup.policy
// compact (alone or with delete).
func compacted(v Variable) bool {
	return slices.Contains(strings.Split(v.Configs["cleanup.policy"], ","), "compact")
}

// variableLine is the line of key in the mapping of variable name, or of
// the variable when it has no such key.
func variableLine(varNodes *yaml.Node, v Variable, key string) int {
	if n := valueOf(varNodes, v.Name); n != nil {
		return keyLine(n, key)
	}
	return v.Line
}

// validateModelFiles reports versions and follows that cannot be drawn:
// on a file of orders, out of range, or following what is not a model
// file that follows none.
func validateModelFiles(file string, varNodes *yaml.Node, vars []Variable, byName map[string]Variable, c *collector) {
	lineage := map[string]int{} // root -> versions drawn from its seed
	for _, v := range vars {
		if v.Kind != KindFile {
			continue
		}
		if v.Generator != GeneratorModel {
			if v.Versions != 0 || v.Follows != "" {
				c.add(file, v.Line, "%s: versions and follows shape a file of model versions, and this file is %s", v.Name, v.Generator)
			}
			continue
		}
		if v.Versions < 0 || v.Versions > datagen.MaxModelVersions {
			c.add(file, variableLine(varNodes, v, "versions"), "%s: versions must be 1 to %d (as many as the orders of the features other than the course's), not %d", v.Name, datagen.MaxModelVersions, v.Versions)
			continue
		}
		if v.Follows == "" {
			lineage[v.Name] += v.ModelVersions()
			continue
		}
		line := variableLine(varNodes, v, "follows")
		switch f, ok := byName[v.Follows]; {
		case v.Follows == v.Name:
			c.add(file, line, "%s follows itself: name the model file whose versions it continues", v.Name)
		case !ok || f.Kind != KindFile || f.Generator != GeneratorModel:
			c.add(file, line, "%s follows %s, which is not a model file: name a variable {kind: file, generator: model}", v.Name, v.Follows)
		case f.Follows != "":
			c.add(file, line, "%s follows %s, which follows %s: follow %s, the first file of the model's versions", v.Name, v.Follows, f.Follows, f.Follows)
		default:
			lineage[v.Follows] += v.ModelVersions()
		}
	}
	for _, v := range vars {
		if n := lineage[v.Name]; n > datagen.MaxModelVersions {
			c.add(file, v.Line, "%s and the files that follow it hold %d versions of the model, and at most %d can differ in the order of their features", v.Name, n, datagen.MaxModelVersions)
		}
	}
}

// validateTopicConfigs reports a cleanup.policy the broker would refuse
// when the grader creates the topic.
func validateTopicConfigs(file string, varNodes *yaml.Node, vars []Variable, c *collector) {
	for _, v := range vars {
		p, ok := v.Configs["cleanup.policy"]
		if v.Kind != KindTopic || !ok {
			continue
		}
		good := p != ""
		for _, part := range strings.Split(p, ",") {
			good = good && (part == "compact" || part == "delete")
		}
		if !good {
			line := v.Line
			if n := valueOf(varNodes, v.Name); n != nil {
				if cfg := valueOf(n, "configs"); cfg != nil {
					line = keyLine(cfg, "cleanup.policy")
				}
			}
			c.add(file, line, "%s: cleanup.policy must be compact, delete or compact,delete, not %q", v.Name, p)
		}
	}
}

// validateRecordKey reports a seed's or a load's key (what, at n) that
// its file and topic cannot have: a model file's records are keyed by the
// model's name, and a compacted topic refuses a record without a key.
func validateRecordKey(file string, n *yaml.Node, what, topic, from, key string, vars map[string]Variable, c *collector) {
	f, t := vars[from], vars[topic]
	switch {
	case f.Kind != KindFile:
	case f.Generator == GeneratorModel && key != "":
		c.add(file, keyLine(n, "key"), "a %s from the model file %s is keyed by the model's name (fraud): leave key out", what, from)
	case f.Generator == GeneratorOrders && key == "" && t.Kind == KindTopic && compacted(t):
		c.add(file, n.Line, "%s has cleanup.policy compact, and a compacted topic refuses a record without a key: give the %s key: customer_id", topic, what)
	}
}

// versionsOfOneModel reports whether a load of l's file onto a topic that
// is also seeded may be: when the load and every seed of the topic are
// model files, the topic holds a model's versions over time.
func versionsOfOneModel(l TopicLoad, s *Spec, vars map[string]Variable) bool {
	if vars[l.From].Generator != GeneratorModel {
		return false
	}
	for _, sd := range s.Seeds {
		if sd.Topic == l.Topic && vars[sd.From].Generator != GeneratorModel {
			return false
		}
	}
	return true
}

// validateModelSwap reports a spec in which a check of a model swap
// (checks.ModelSwapJudge) could not see one: the orders must be loaded,
// the versions in use seeded (at least two, so that taking the first
// record shows), and the new version loaded after them onto the same
// topic, while orders still come for a while after the grace. n is the
// check's mapping.
func validateModelSwap(file string, n *yaml.Node, cs checks.Spec, s *Spec, vars map[string]Variable, c *collector) {
	j, ok := cs.Check.(checks.ModelSwapJudge)
	if !ok {
		return
	}
	m := j.JudgesModelSwap()
	loadOf := func(from string) *TopicLoad {
		for i := range s.Load {
			if s.Load[i].From == from {
				return &s.Load[i]
			}
		}
		return nil
	}
	seedOf := func(from string) *Seed {
		for i := range s.Seeds {
			if s.Seeds[i].From == from {
				return &s.Seeds[i]
			}
		}
		return nil
	}
	orders, next, seeded := loadOf(m.Input), loadOf(m.Published), seedOf(m.Seeded)
	switch sd := seedOf(m.Input); {
	case orders == nil && sd != nil:
		c.add(file, keyLine(n, "input"), "check %q tells predictions made before %s is published from those made after, and %s is seeded (line %d): its orders are all scored before the new version comes. Load it while the program runs: load: {topic: %s, from: %s, rate: 40/s}",
			cs.Name, m.Published, m.Input, sd.Line, sd.Topic, m.Input)
	case orders == nil:
		c.add(file, keyLine(n, "input"), "check %q needs the orders of %s to keep coming while the new version is published, and no load publishes %s: add load: {topic: ..., from: %s, rate: 40/s}", cs.Name, m.Input, m.Input, m.Input)
	case orders.Topic == m.Output:
		c.add(file, keyLine(n, "topic"), "check %q reads predictions from %s, the topic the load publishes %s to: name the topic the program writes to", cs.Name, m.Output, m.Input)
	}
	if seeded == nil {
		c.add(file, keyLine(n, "seeded"), "check %q judges which of the versions of %s predictions name, and no seed puts them on a topic before the program starts: add seed: {topic: MODELS_TOPIC, from: %s}", cs.Name, m.Seeded, m.Seeded)
	} else if v := vars[m.Seeded]; v.Generator == GeneratorModel && v.ModelVersions() < 2 {
		c.add(file, keyLine(n, "seeded"), "check %q needs at least two versions in %s, an old one and the one in use, so that a program that takes the first record it reads is seen: give %s versions: 2", cs.Name, m.Seeded, m.Seeded)
	}
	if v := vars[m.Published]; v.Generator == GeneratorModel {
		switch {
		case v.ModelVersions() != 1:
			c.add(file, keyLine(n, "published"), "check %q judges predictions by when the new version was published, and %s holds %d versions: publish one", cs.Name, m.Published, v.ModelVersions())
		case v.Follows != m.Seeded:
			c.add(file, keyLine(n, "published"), "check %q needs %s to be the version after those of %s: give %s follows: %s", cs.Name, m.Published, m.Seeded, m.Published, m.Seeded)
		}
	}
	switch {
	case next == nil:
		c.add(file, keyLine(n, "published"), "check %q judges predictions by when %s was published, and no load publishes it: add load: {topic: %s, from: %s, rate: 1/s, start: 4s}", cs.Name, m.Published, topicOr(seeded, "MODELS_TOPIC"), m.Published)
	case seeded != nil && next.Topic != seeded.Topic:
		c.add(file, next.Line, "%s is loaded onto %s, and the versions of %s are seeded onto %s (line %d): publish the new version to the topic that holds the earlier ones", m.Published, next.Topic, m.Seeded, seeded.Topic, seeded.Line)
	case orders != nil:
		if next.Start <= orders.Start {
			c.add(file, next.Line, "%s is published %s after the program starts, no later than the first order of %s (%s): start its load later, so that predictions are made with the version in use first", m.Published, next.Start, m.Input, orders.Start)
		}
		lines := max(vars[m.Input].Count, 0)
		if lines == 0 {
			lines = 100
		}
		end := orders.Start + orders.Due(lines-1)
		if need := next.Start + m.Grace + minAfterSwap; end < need {
			c.add(file, next.Line, "%s is published %s after the program starts, and the last order of %s is due %s after it: orders must keep coming until at least %s (the grace of %s and %s more), so that predictions made after the swap are seen. Publish it sooner, or load more orders",
				m.Published, next.Start, m.Input, end.Round(time.Millisecond), need, m.Grace, minAfterSwap)
		}
	}
}

// minAfterSwap is how long orders must keep coming after a model swap's
// grace, for the predictions made then to show whether it happened.
const minAfterSwap = 2 * time.Second

func topicOr(sd *Seed, name string) string {
	if sd == nil {
		return name
	}
	return sd.Topic
}
