package checks

import (
	"strings"
	"testing"
)

func TestJudgeSingleActive(t *testing.T) {
	p := singleActiveParams{Property: "instance", MinInstances: 2, MaxHandovers: 1}
	rep := func(v string, n int) []string { return strings.Split(strings.Repeat(v+",", n-1)+v, ",") }
	for _, c := range []struct {
		name    string
		values  []string
		unnamed int
		status  Status
		says    string
	}{
		{"a handover", append(rep("0", 120), rep("1", 180)...), 0, Pass, "instance 0 wrote 120, then instance 1 wrote 180"},
		{"taking turns", append(append(rep("0", 3), rep("1", 2)...), rep("0", 4)...), 0, Fail, "switches between instances 2 times"},
		{"nobody took over", rep("0", 50), 0, Fail, "Only instance 0 handled messages (all 50)"},
		{"unnamed output", rep("0", 5), 2, Fail, "2 of 7 output messages carry no property instance"},
		{"empty", nil, 0, Fail, "The output is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := judgeSingleActive(c.values, c.unnamed, p)
			if o.Status != c.status || !strings.Contains(o.Message, c.says) {
				t.Errorf("%s %q, want %s saying %q", o.Status, o.Message, c.status, c.says)
			}
		})
	}
}
