package catalogue

import (
	"strings"
	"testing"
	"testing/fstest"
)

const goodSpec = `title: T
cluster: kafka
files: [main.go]
variables:
  TOPIC:
    kind: topic
hints: [one, two]
checks:
  - name: topic exists
    type: kafka.topic
    topic: TOPIC
`

const goodLab = `---
id: basics
title: Basics
exercises: [kafka/first]
---

## Step one

Do [the first](exercise:kafka/first).
`

func course(overrides map[string]string) fstest.MapFS {
	files := map[string]string{
		"labs/01-basics/lab.md":                  goodLab,
		"exercises/kafka/01-first/exercise.yaml": goodSpec,
		"exercises/kafka/01-first/main.go":       "package main // TODO\n",
		"solutions/kafka/01-first/main.go":       "package main\n",
	}
	for k, v := range overrides {
		if v == "" {
			delete(files, k)
		} else {
			files[k] = v
		}
	}
	fs := fstest.MapFS{}
	for k, v := range files {
		fs[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return fs
}

func TestGoodCourseLoads(t *testing.T) {
	cat, err := Load(course(nil))
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise("kafka/first")
	if ex == nil || ex.Lab != "basics" || ex.Build != DefaultBuild || ex.Timeout.Seconds() != 60 {
		t.Fatalf("exercise %+v", ex)
	}
	lab := cat.Lab("basics")
	if len(lab.Steps) != 1 || lab.Steps[0].Title != "Step one" || lab.Steps[0].Exercises[0] != "kafka/first" {
		t.Fatalf("steps %+v", lab.Steps)
	}
}

// Each malformed input is reported at its file and line, in words that say
// what to change.
func TestProblemsNameFileAndLine(t *testing.T) {
	spec := "exercises/kafka/01-first/exercise.yaml"
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"unknown field", map[string]string{spec: strings.Replace(goodSpec, "hints:", "hintz: [a]\nhints:", 1)},
			spec + `:7: unknown field "hintz"`},
		{"unknown check type", map[string]string{spec: strings.Replace(goodSpec, "kafka.topic", "kafka.topik", 1)},
			spec + `:9: unknown check type "kafka.topik"`},
		{"unknown check parameter", map[string]string{spec: strings.Replace(goodSpec, "    topic: TOPIC", "    topic: TOPIC\n    partitons: 3", 1)},
			spec + `:12: unknown field "partitons"`},
		{"undeclared variable", map[string]string{spec: strings.Replace(goodSpec, "topic: TOPIC", "topic: OUTPUT", 1)},
			spec + `:9: check "topic exists" refers to variable OUTPUT`},
		{"duplicate key", map[string]string{spec: strings.Replace(goodSpec, "    topic: TOPIC", "    topic: TOPIC\n    topic: TOPIC", 1)},
			spec + `:12: "topic" is given twice`},
		{"bad yaml", map[string]string{spec: "title: [unclosed\n"},
			spec + `:1: not valid YAML`},
		{"bad timeout", map[string]string{spec: goodSpec + "timeout: soon\n"},
			spec + `:12: timeout "soon"`},
		{"missing starter", map[string]string{"exercises/kafka/01-first/main.go": ""},
			spec + `: starter file main.go is missing`},
		{"missing solution", map[string]string{"solutions/kafka/01-first/main.go": ""},
			`solution file solutions/kafka/01-first/main.go is missing`},
		{"starter without TODO", map[string]string{"exercises/kafka/01-first/main.go": "package main\n"},
			`exercises/kafka/01-first/main.go: a starter marks what to do with TODO`},
		{"stray solution", map[string]string{"solutions/kafka/02-other/main.go": "package main\n"},
			`solutions/kafka/02-other: solution has no exercise`},
		{"duplicate id", map[string]string{
			"exercises/kafka/02-first/exercise.yaml": goodSpec,
			"exercises/kafka/02-first/main.go":       "package main // TODO\n",
			"solutions/kafka/02-first/main.go":       "package main\n"},
			`exercise id kafka/first is also used by`},
		{"lab lists a missing exercise", map[string]string{"labs/01-basics/lab.md": strings.Replace(goodLab, "[kafka/first]", "[kafka/first, kafka/second]", 1)},
			`labs/01-basics/lab.md: lists exercise kafka/second, which does not exist`},
		{"broken link", map[string]string{"labs/01-basics/lab.md": strings.Replace(goodLab, "exercise:kafka/first)", "exercise:kafka/frist)", 1)},
			`labs/01-basics/lab.md:7: step "Step one" links to exercise kafka/frist`},
		{"exercise in no lab", map[string]string{"labs/01-basics/lab.md": strings.Replace(strings.Replace(goodLab, "[kafka/first]", "[]", 1), "Do [the first](exercise:kafka/first).", "", 1)},
			`exercise kafka/first is in no lab`},
		{"lab front matter field", map[string]string{"labs/01-basics/lab.md": strings.Replace(goodLab, "title:", "titel: x\ntitle:", 1)},
			`labs/01-basics/lab.md:3: unknown field "titel"`},
		{"lab without front matter", map[string]string{"labs/01-basics/lab.md": "## Step\n"},
			`labs/01-basics/lab.md:1: a lab starts with YAML front matter`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(course(c.files))
			if err == nil {
				t.Fatal("loaded without a problem")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("problems do not contain %q:\n%v", c.want, err)
			}
		})
	}
}

// A "##" inside a fenced code block is not a step.
func TestStepsIgnoreHeadingsInCode(t *testing.T) {
	lab := strings.Replace(goodLab, "Do [the first]", "```\n## not a step\n```\n\nDo [the first]", 1)
	cat, err := Load(course(map[string]string{"labs/01-basics/lab.md": lab}))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cat.Lab("basics").Steps); n != 1 {
		t.Fatalf("%d steps, want 1", n)
	}
}
