// Package checks is the library of declarative check primitives an exercise
// spec combines. A check looks only at the cluster (and the run's own input
// data), never at the learner's program, so a solution in any language or
// client is graded the same way.
package checks

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Status of one check.
type Status string

const (
	Pass  Status = "pass"
	Fail  Status = "fail"  // the learner's program left the cluster wrong
	Error Status = "error" // the check could not look: the cluster or the tool failed
)

// Outcome is what one evaluation of a check found. Message is written for the
// learner: what was expected, what was seen, and the likely cause.
type Outcome struct {
	Status  Status
	Message string
}

func passed(format string, a ...any) Outcome { return Outcome{Pass, fmt.Sprintf(format, a...)} }
func failed(format string, a ...any) Outcome { return Outcome{Fail, fmt.Sprintf(format, a...)} }
func errored(err error) Outcome              { return Outcome{Error, err.Error()} }

// Check is one primitive, configured from the spec.
type Check interface {
	// Evaluate looks at the cluster once.
	Evaluate(ctx context.Context, env *Env) Outcome
	// Vars lists the spec variables the check reads, so the catalogue can
	// report a reference to a variable that does not exist.
	Vars() []string
	// Needs is the cluster kind the check talks to ("kafka" or "pulsar").
	Needs() string
}

// Observer is a check that must watch the cluster from before the program
// starts, such as a consumer that notes when the broker delivers each
// message: what it saw then cannot be read back afterwards. The grader
// calls Observe once the run's topics exist, just before the program
// runs, and stop once every check has been evaluated. An error is the
// cluster's, never the learner's.
type Observer interface {
	Observe(ctx context.Context, env *Env) (stop func(), err error)
}

// When a check is evaluated relative to the learner program.
type When string

const (
	AfterRun  When = "after"   // once the program has exited
	WhileRuns When = "running" // polled while the program runs: passes if it becomes true
)

// Spec is a check as written in an exercise spec: the common fields, and
// the primitive configured from the rest of the mapping.
type Spec struct {
	Name   string
	Type   string
	Points int
	When   When
	// Within is how long an after-run check keeps re-evaluating before its
	// failure counts: clusters are eventually consistent (commits, stats).
	Within time.Duration
	Check  Check
	Line   int
}

// factory builds a primitive from its YAML mapping (common fields removed).
type factory struct {
	needs string
	doc   string
	build func(node *yaml.Node) (Check, error)
}

var registry = map[string]factory{}

// register adds a primitive. P is its parameter struct; its yaml tags are
// the only fields the spec may use, and validate checks their values.
func register[P any](name, needs, doc string, make func(p P) (Check, error)) {
	registry[name] = factory{needs: needs, doc: doc, build: func(node *yaml.Node) (Check, error) {
		var p P
		if err := StrictDecode(node, &p); err != nil {
			return nil, err
		}
		return make(p)
	}}
}

// Types lists the registered check types with their one-line descriptions.
func Types() map[string]string {
	out := make(map[string]string, len(registry))
	for k, f := range registry {
		out[k] = f.doc
	}
	return out
}

// commonFields are the keys every check has, decoded by Parse itself.
var commonFields = map[string]bool{"name": true, "type": true, "points": true, "when": true, "within": true}

// Parse reads one check mapping from a spec. Errors carry the YAML line.
func Parse(node *yaml.Node) (Spec, error) {
	s := Spec{Points: 1, When: AfterRun, Line: node.Line}
	if node.Kind != yaml.MappingNode {
		return s, lineErr(node, "a check must be a mapping with at least name and type")
	}
	if err := duplicateKey(node); err != nil {
		return s, err
	}
	params := &yaml.Node{Kind: yaml.MappingNode, Line: node.Line, Column: node.Column}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if !commonFields[k.Value] {
			params.Content = append(params.Content, k, v)
			continue
		}
		var err error
		switch k.Value {
		case "name":
			err = v.Decode(&s.Name)
		case "type":
			err = v.Decode(&s.Type)
		case "points":
			err = v.Decode(&s.Points)
			if err == nil && s.Points < 0 {
				err = lineErr(v, "points must not be negative")
			}
		case "when":
			err = v.Decode(&s.When)
			if err == nil && s.When != AfterRun && s.When != WhileRuns {
				err = lineErr(v, "when must be %q or %q, not %q", AfterRun, WhileRuns, s.When)
			}
		case "within":
			var d string
			if err = v.Decode(&d); err == nil {
				s.Within, err = time.ParseDuration(d)
				if err != nil {
					err = lineErr(v, "within: %q is not a duration like 10s", d)
				}
			}
		}
		if err != nil {
			return s, asLineErr(v, err)
		}
	}
	if s.Type == "" {
		return s, lineErr(node, "check has no type (known types: %s)", strings.Join(typeNames(), ", "))
	}
	if s.Name == "" {
		return s, lineErr(node, "check %q has no name; the name is what the learner reads", s.Type)
	}
	f, ok := registry[s.Type]
	if !ok {
		return s, lineErr(node, "unknown check type %q (known types: %s)", s.Type, strings.Join(typeNames(), ", "))
	}
	c, err := f.build(params)
	if err != nil {
		return s, asLineErr(node, fmt.Errorf("check %q: %w", s.Type, err))
	}
	if _, ok := c.(Observer); ok && s.When == WhileRuns {
		return s, lineErr(node, "check %q watches from before the program starts and judges once it has ended: it cannot be when: running", s.Type)
	}
	s.Check = c
	return s, nil
}

func typeNames() []string {
	names := make([]string, 0, len(registry))
	for k := range registry {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
