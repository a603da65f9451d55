package catalogue

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/streamlab/streamlab/internal/checks"
	"github.com/streamlab/streamlab/internal/datagen"
	"go.yaml.in/yaml/v3"
)

// TopicLoad is input the grader publishes while the program runs, so that
// an exercise can grade a pipeline under load: the lines of a file
// variable, in file order, onto a topic variable, at a steady rate with
// an optional spike.
//
//	load:
//	  - topic: INPUT_TOPIC
//	    from: ORDERS
//	    key: customer_id
//	    rate: 100/s
//	    spike: {after: 4s, times: 5, for: 3s}
//	    start: 500ms
//
// The load ends once every line is published; the grader stops it sooner
// when the program has ended.
type TopicLoad struct {
	Topic string // topic variable
	From  string // file variable whose lines are published
	Key   string // input field used as the record key; "" for none
	Rate  int    // lines per second, steady
	Spike *Spike // nil for none
	// Start is how long after the program (all its instances) started the
	// first line goes out.
	Start time.Duration
	Line  int
}

// Spike multiplies a load's rate by Times for For, from After on: counted
// from the load's first line, not from the program's start.
type Spike struct {
	After time.Duration
	Times int
	For   time.Duration
}

// MaxLoadRate bounds a load's rate, spike included.
const MaxLoadRate = 100_000

// Due is when line i (0-based) is due, counted from the load's first line:
// the moment the lines published so far, at the rate the schedule has
// had, come to i. Line 0 is due at once; the schedule is a pure function
// of the spec, so the grader paces by it and never by the time a send took.
func (l TopicLoad) Due(i int) time.Duration {
	r, x := float64(l.Rate), float64(i)
	if r <= 0 || i <= 0 {
		return 0
	}
	secs := x / r
	if s := l.Spike; s != nil {
		fast := r * float64(s.Times)
		before := r * s.After.Seconds()         // lines due before the spike
		during := before + fast*s.For.Seconds() // ... and by its end
		switch {
		case x <= before:
		case x <= during:
			secs = s.After.Seconds() + (x-before)/fast
		default:
			secs = (s.After + s.For).Seconds() + (x-during)/r
		}
	}
	return time.Duration(math.Round(secs * float64(time.Second)))
}

// SpikeLines is which of the load's first n lines its schedule has due
// during the spike, from After to After+For: lines first to end-1. Both
// are 0 without a spike.
func (l TopicLoad) SpikeLines(n int) (first, end int) {
	s := l.Spike
	if s == nil {
		return 0, 0
	}
	first = sort.Search(n, func(i int) bool { return l.Due(i) >= s.After })
	end = sort.Search(n, func(i int) bool { return l.Due(i) >= s.After+s.For })
	return first, end
}

// String says what the load does, in a learner's words: "500 lines of
// ORDERS to INPUT_TOPIC at 100/s (500/s from 4s for 3s)".
func (l TopicLoad) String() string {
	s := fmt.Sprintf("%s to %s at %d/s", l.From, l.Topic, l.Rate)
	if l.Spike != nil {
		s += fmt.Sprintf(" (%d/s from %s for %s)", l.Rate*l.Spike.Times, l.Spike.After, l.Spike.For)
	}
	return s
}

type rawLoad struct {
	Topic string    `yaml:"topic"`
	From  string    `yaml:"from"`
	Key   string    `yaml:"key"`
	Rate  yaml.Node `yaml:"rate"`
	Spike yaml.Node `yaml:"spike"`
	Start yaml.Node `yaml:"start"`
}

type rawSpike struct {
	After yaml.Node `yaml:"after"`
	Times yaml.Node `yaml:"times"`
	For   yaml.Node `yaml:"for"`
}

var rateRe = regexp.MustCompile(`^([0-9]+)/s$`)

// orderFields are the fields of an orders line, which a load may key by.
var orderFields = func() []string {
	var out []string
	t := reflect.TypeFor[datagen.Order]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}()

// parseLoads reads `load:` for a spec whose variables, seeds and time
// limit are known, adding every problem to c.
func parseLoads(file string, nodes []yaml.Node, s *Spec, vars map[string]Variable, c *collector) {
	seeded := map[string]int{}
	for _, sd := range s.Seeds {
		seeded[sd.Topic] = sd.Line
	}
	loaded := map[string]int{}
	for i := range nodes {
		n := &nodes[i]
		l, ok := parseLoad(file, n, s, vars, c)
		if l.Topic != "" {
			if line, dup := loaded[l.Topic]; dup {
				c.add(file, keyLine(n, "topic"), "%s is loaded twice (also at line %d): one load per topic, so that its lines keep their order", l.Topic, line)
				ok = false
			} else {
				loaded[l.Topic] = n.Line
			}
			if line, dup := seeded[l.Topic]; dup && !versionsOfOneModel(l, s, vars) {
				// A topic holds one file's lines, whole, so that checks of
				// it compare with that file; and a seed is there before the
				// program starts, which is what a load is not.
				c.add(file, keyLine(n, "topic"), "%s is seeded (line %d) and loaded: a load publishes onto a topic of its own while the program runs, so give the seed and the load a topic each", l.Topic, line)
				ok = false
			}
		}
		if ok {
			s.Load = append(s.Load, l)
		}
	}
}

func parseLoad(file string, n *yaml.Node, s *Spec, vars map[string]Variable, c *collector) (TopicLoad, bool) {
	l := TopicLoad{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		c.add(file, n.Line, "a load is a mapping such as {topic: INPUT_TOPIC, from: ORDERS, rate: 100/s}")
		return l, false
	}
	var raw rawLoad
	if err := checks.StrictDecode(n, &raw); err != nil {
		addErr(c, file, 0, err)
		return l, false
	}
	l.Topic, l.From, l.Key = raw.Topic, raw.From, raw.Key
	ok := true
	bad := func(line int, format string, a ...any) {
		c.add(file, line, format, a...)
		ok = false
	}
	kindOf := func(name string) string {
		if v, declared := vars[name]; declared {
			return "it is a variable of kind " + v.Kind
		}
		return "the spec declares no such variable"
	}

	switch v := vars[l.Topic]; {
	case l.Topic == "":
		bad(n.Line, "the load has no topic: name the topic variable it publishes to")
	case v.Kind != KindTopic:
		bad(keyLine(n, "topic"), "load topic %q must be a topic variable: %s", l.Topic, kindOf(l.Topic))
	case !v.Created():
		bad(keyLine(n, "topic"), "load topic %s has create: false: a load publishes to a topic the grader creates", l.Topic)
	}
	switch {
	case l.From == "":
		bad(n.Line, "the load has no from: name the file variable whose lines it publishes")
	case vars[l.From].Kind != KindFile:
		bad(keyLine(n, "from"), "load from %q must be a file variable: %s", l.From, kindOf(l.From))
	}
	validateRecordKey(file, n, "load", l.Topic, l.From, l.Key, vars, c) // models.go
	if l.Key != "" && !slices.Contains(orderFields, l.Key) && vars[l.From].Generator != GeneratorModel {
		bad(keyLine(n, "key"), "key %q is not a field of an input line (%s)", l.Key, strings.Join(orderFields, ", "))
	}

	switch m := rateRe.FindStringSubmatch(raw.Rate.Value); {
	case raw.Rate.Kind == 0:
		bad(n.Line, "the load has no rate: give lines per second, like 100/s")
	case m == nil || raw.Rate.Kind != yaml.ScalarNode:
		bad(raw.Rate.Line, "rate must be lines per second like 100/s, not %q", raw.Rate.Value)
	default:
		l.Rate, _ = strconv.Atoi(m[1])
		if l.Rate < 1 || l.Rate > MaxLoadRate {
			bad(raw.Rate.Line, "rate must be 1/s to %d/s, not %s", MaxLoadRate, raw.Rate.Value)
			l.Rate = 0
		}
	}
	if raw.Spike.Kind != 0 {
		sp, spikeOK := parseSpike(file, keyLine(n, "spike"), &raw.Spike, l.Rate, c)
		l.Spike, ok = sp, ok && spikeOK
	}
	if raw.Start.Kind != 0 {
		d, err := time.ParseDuration(raw.Start.Value)
		if raw.Start.Kind != yaml.ScalarNode || err != nil || d < 0 {
			bad(raw.Start.Line, "start must be a duration like 500ms (0 or more), not %q", raw.Start.Value)
		}
		l.Start = d
	}
	if ok {
		ok = loadFits(file, n, l, vars[l.From], s, c)
	}
	return l, ok
}

// parseSpike reads a load's spike, the value n of its key at line.
func parseSpike(file string, line int, n *yaml.Node, rate int, c *collector) (*Spike, bool) {
	if n.Kind != yaml.MappingNode {
		c.add(file, line, "spike must be a mapping like {after: 4s, times: 5, for: 3s}")
		return nil, false
	}
	var raw rawSpike
	if err := checks.StrictDecode(n, &raw); err != nil {
		addErr(c, file, 0, err)
		return nil, false
	}
	sp, ok := &Spike{}, true
	duration := func(v *yaml.Node, key, what string, zero bool) time.Duration {
		if v.Kind == 0 {
			c.add(file, line, "spike: %s is missing: %s", key, what)
			ok = false
			return 0
		}
		d, err := time.ParseDuration(v.Value)
		if v.Kind != yaml.ScalarNode || err != nil || d < 0 || (d == 0 && !zero) {
			c.add(file, v.Line, "spike: %s must be %s, not %q", key, what, v.Value)
			ok = false
		}
		return d
	}
	sp.After = duration(&raw.After, "after", "a duration like 4s (0 or more), counted from the load's first line", true)
	sp.For = duration(&raw.For, "for", "a duration like 3s", false)
	switch t, err := strconv.Atoi(raw.Times.Value); {
	case raw.Times.Kind == 0:
		c.add(file, line, "spike: times is missing: how many times the steady rate the spike publishes at, like 5")
		ok = false
	case raw.Times.Kind != yaml.ScalarNode || err != nil || t < 2 || t > 100:
		c.add(file, raw.Times.Line, "spike: times must be a whole number from 2 to 100 (the spike's rate is the steady rate times this), not %q", raw.Times.Value)
		ok = false
	default:
		sp.Times = t
		if rate > 0 && rate*t > MaxLoadRate {
			c.add(file, raw.Times.Line, "the spike's rate, %d/s × %d = %d/s, must be at most %d/s", rate, t, rate*t, MaxLoadRate)
			ok = false
		}
	}
	return sp, ok
}

// loadFits reports a load that cannot do what it says within the run: a
// spike that begins after the last line, or a load still publishing when
// the program's time limit ends it.
func loadFits(file string, n *yaml.Node, l TopicLoad, from Variable, s *Spec, c *collector) bool {
	count := from.Count
	if from.Generator == GeneratorModel {
		count = from.ModelVersions()
	}
	if count <= 0 {
		count = 100 // the default datagen.Orders uses
	}
	// Deletions add lines: at most Deletes of them.
	lines := count + max(from.Deletes, 0)
	last := l.Due(lines - 1)
	ok := true
	if sp := l.Spike; sp != nil && sp.After >= l.Due(count-1) {
		c.add(file, keyLine(valueOf(n, "spike"), "after"), "the spike begins %s into the load, and at %d/s the %d lines of %s are all published by %s: begin it sooner, or lower the rate", sp.After, l.Rate, count, l.From, l.Due(count-1))
		ok = false
	}
	if s.Timeout > 0 && l.Start+last >= s.Timeout {
		c.add(file, n.Line, "the load publishes until about %s after the program starts (%d lines of %s from %s, as rate and spike pace them), and the program's time limit is %s: raise timeout, or the rate", (l.Start + last).Round(time.Millisecond), lines, l.From, l.Start, s.Timeout)
		ok = false
	}
	return ok
}
