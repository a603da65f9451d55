package catalogue

import (
	"testing"
	"time"
)

// delayLines is a good spec with a duration variable; line i+1 is
// delayLines[i].
var delayLines = []string{
	"title: T",              // 1
	"cluster: kafka",        // 2
	"files: [main.go]",      // 3
	"variables:",            // 4
	"  TOPIC:",              // 5
	"    kind: topic",       // 6
	"  DELAY:",              // 7
	"    kind: duration",    // 8
	"    value: 3s..6s",     // 9
	"hints: [one, two]",     // 10
	"checks:",               // 11
	"  - name: topic",       // 12
	"    type: kafka.topic", // 13
	"    topic: TOPIC",      // 14
}

func TestDurationVariableParses(t *testing.T) {
	cat, err := Load(course(map[string]string{specFile: fileOf(delayLines...)}))
	if err != nil {
		t.Fatal(err)
	}
	v := cat.Exercise("kafka/first").Variables[1]
	lo, hi, err := v.DurationRange()
	if v.Kind != KindDuration || err != nil || lo != 3*time.Second || hi != 6*time.Second {
		t.Fatalf("duration variable %+v: %v..%v, %v", v, lo, hi, err)
	}
	if lo, hi, err := (Variable{Value: "4s"}).DurationRange(); err != nil || lo != 4*time.Second || hi != lo {
		t.Fatalf("value 4s: %v..%v, %v", lo, hi, err)
	}
}

func TestDurationProblemsAtTheirLine(t *testing.T) {
	for _, c := range []struct {
		name    string
		content string
		line    int
		msg     string
	}{
		{"no value", edit(delayLines, 9, 9), 7, "DELAY: value is missing: a duration like 4s"},
		{"not a duration", edit(delayLines, 9, 9, "    value: soon"), 7, `value must be a duration like 4s or a range like 3s..6s, not "soon"`},
		{"not whole seconds", edit(delayLines, 9, 9, "    value: 1500ms"), 7, `value "1500ms" must be whole seconds, at least 1s`},
		{"reversed", edit(delayLines, 9, 9, "    value: 6s..3s"), 7, "must run from a shorter to a longer duration"},
		{"value on a topic", edit(delayLines, 6, 6, "    kind: topic", "    value: 4s"), 5, "TOPIC: value is a setting of a duration variable, and this one is a topic"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ps := problemsFor(t, map[string]string{specFile: c.content}, specFile)
			wantProblemAt(t, ps, specFile, c.line, c.msg)
			if len(ps) != 1 {
				t.Fatalf("want one problem, got %v", ps)
			}
		})
	}
}
