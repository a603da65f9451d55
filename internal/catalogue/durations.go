package catalogue

import (
	"fmt"
	"strings"
	"time"
)

// A duration variable hands the program a length of time, such as how long
// the broker should hold a message back:
//
//	variables:
//	  DELAY: {kind: duration, value: 3s..6s}
//
// The program receives whole seconds written as "4s", which every language
// parses easily; a range is drawn from per run, so that a program that
// hard-codes the value is caught.

// DurationRange is the range a duration variable is drawn from; hi equals
// lo when Value is one duration.
func (v Variable) DurationRange() (lo, hi time.Duration, err error) {
	from, to, isRange := strings.Cut(v.Value, "..")
	if !isRange {
		to = from
	}
	lo, err1 := time.ParseDuration(strings.TrimSpace(from))
	hi, err2 := time.ParseDuration(strings.TrimSpace(to))
	switch {
	case err1 != nil || err2 != nil:
		return 0, 0, fmt.Errorf("value must be a duration like 4s or a range like 3s..6s, not %q", v.Value)
	case lo%time.Second != 0 || hi%time.Second != 0 || lo < time.Second:
		return 0, 0, fmt.Errorf("value %q must be whole seconds, at least 1s", v.Value)
	case lo > hi:
		return 0, 0, fmt.Errorf("value %q must run from a shorter to a longer duration", v.Value)
	}
	return lo, hi, nil
}

// validateDuration reports a duration variable without a usable value, and
// a value given to a variable of another kind.
func validateDuration(file string, v Variable, c *collector) {
	switch {
	case v.Kind != KindDuration:
		if v.Value != "" {
			c.add(file, v.Line, "%s: value is a setting of a duration variable, and this one is a %s", v.Name, v.Kind)
		}
	case v.Value == "":
		c.add(file, v.Line, "%s: value is missing: a duration like 4s, or a range like 3s..6s drawn from per run", v.Name)
	default:
		if _, _, err := v.DurationRange(); err != nil {
			c.add(file, v.Line, "%s: %v", v.Name, err)
		}
	}
}
