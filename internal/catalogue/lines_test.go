package catalogue

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// fileOf builds a file from lines so a test can say which line it breaks.
func fileOf(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// specLines is a good spec; line i+1 is specLines[i].
var specLines = []string{
	"title: T",                        // 1
	"cluster: kafka",                  // 2
	"task: |",                         // 3
	"  Create the topic.",             // 4
	"files: [main.go]",                // 5
	"variables:",                      // 6
	"  TOPIC:",                        // 7
	"    kind: topic",                 // 8
	"    partitions: 3",               // 9
	"hints:",                          // 10
	"  - one",                         // 11
	"  - two",                         // 12
	`build: go build -o "$PROGRAM" .`, // 13
	`run: '"$PROGRAM"'`,               // 14
	"timeout: 60s",                    // 15
	"checks:",                         // 16
	"  - name: topic exists",          // 17
	"    type: kafka.topic",           // 18
	"    topic: TOPIC",                // 19
	"  - name: topic has partitions",  // 20
	"    type: kafka.topic",           // 21
	"    topic: TOPIC",                // 22
	"    partitions: 3",               // 23
}

// edit replaces lines from..to (1-based, inclusive) of lines with with;
// to == from-1 inserts before line from.
func edit(lines []string, from, to int, with ...string) string {
	out := append([]string(nil), lines[:from-1]...)
	out = append(out, with...)
	return fileOf(append(out, lines[to:]...)...)
}

func spec(n int, with ...string) string { return edit(specLines, n, n, with...) }

var labLines = []string{
	"---",                                   // 1
	"id: basics",                            // 2
	"title: Basics",                         // 3
	"exercises: [kafka/first]",              // 4
	"summary: The first steps.",             // 5
	"---",                                   // 6
	"",                                      // 7
	"## Step one",                           // 8
	"",                                      // 9
	"Do [the first](exercise:kafka/first).", // 10
}

func lab(n int, with ...string) string { return edit(labLines, n, n, with...) }

// problemsFor loads the course with files changed and returns the problems
// reported for file.
func problemsFor(t *testing.T, files map[string]string, file string) []Problem {
	t.Helper()
	_, err := Load(course(files))
	if err == nil {
		t.Fatal("loaded without a problem")
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error is %T, not Problems: %v", err, err)
	}
	var out []Problem
	for _, p := range ps {
		if p.File == file {
			out = append(out, p)
		}
	}
	return out
}

// wantProblemAt fails unless a problem in file says msg at exactly line.
func wantProblemAt(t *testing.T, ps []Problem, file string, line int, msg string) {
	t.Helper()
	want := fmt.Sprintf("%s:%d: ", file, line)
	for _, p := range ps {
		if strings.Contains(p.Msg, msg) {
			if !strings.HasPrefix(p.String(), want) {
				t.Fatalf("reported as\n  %s\nwant it at %s", p, want)
			}
			return
		}
	}
	t.Fatalf("no problem in %s says %q: %v", file, msg, ps)
}

const specFile = "exercises/kafka/01-first/exercise.yaml"
const labFile = "labs/01-basics/lab.md"

// Every YAML problem is reported at the line an editor shows for it: syntax
// errors, tabs and type errors, in exercise.yaml and in a lab's front matter.
func TestYAMLProblemsAtTheEditorsLine(t *testing.T) {
	cases := []struct {
		name     string
		file     string
		content  string
		wantLine int
		wantMsg  string
	}{
		// Syntax errors.
		{"unclosed flow sequence", specFile, spec(15, "timeout: [60s"), 15, "did not find expected ',' or ']'"},
		{"unclosed flow sequence on the last line", specFile, fileOf(append(specLines[:len(specLines):len(specLines)], "timeout: [60s")...), 24, "did not find expected ',' or ']'"},
		{"unclosed flow sequence on line 1", specFile, "title: [unclosed\n", 1, "did not find expected ',' or ']'"},
		{"unclosed flow mapping", specFile, edit(specLines, 10, 9, "    configs: {retention.ms: 1000"), 10, "did not find expected ',' or '}'"},
		{"unclosed quote", specFile, spec(2, `cluster: "kafka`), 2, "not valid YAML"},
		{"key without a colon", specFile, spec(15, "timeout"), 15, "could not find expected ':'"},
		{"key under a list", specFile, edit(specLines, 13, 12, "  three: 3"), 13, "did not find expected '-' indicator"},
		{"two values on a line", specFile, spec(1, "title: T: U"), 1, "mapping values are not allowed"},
		{"list item outdented", specFile, spec(12, " - two"), 12, "not valid YAML"},
		// Tabs.
		{"tab indenting a key", specFile, spec(8, "\tkind: topic"), 8, "not valid YAML"},
		{"tab indenting a list item", specFile, spec(12, "\t- two"), 12, "tab character"},
		{"tab indenting a top-level key", specFile, spec(5, "\tfiles: [main.go]"), 5, "tab character"},
		{"tab on a blank line", specFile, edit(specLines, 5, 4, "\t"), 5, "tab character"},
		{"tab after a dash", specFile, spec(11, "  -\tone"), 11, "not valid YAML"},
		// Errors yaml.v3 gives no line at all.
		{"control character", specFile, spec(4, "  Create\x01 the topic."), 4, "control characters are not allowed"},
		{"unknown alias", specFile, spec(1, "title: *name"), 1, "unknown anchor"},
		// Type errors: a well-formed value of the wrong kind.
		{"sequence for a string", specFile, spec(15, "timeout: [60s]"), 15, "cannot unmarshal !!seq into string"},
		{"string for a list", specFile, spec(5, "files: main.go"), 5, "cannot unmarshal !!str `main.go` into []string"},
		{"word for a variable's number", specFile, spec(9, "    partitions: many"), 9, "cannot unmarshal !!str `many` into int"},
		{"word for a check's number", specFile, spec(23, "    partitions: many"), 23, "cannot unmarshal !!str `many` into int"},
		{"word for points", specFile, edit(specLines, 20, 19, "    points: many"), 20, "cannot unmarshal !!str `many` into int"},
		// Lab front matter: lines count from the file's first "---".
		{"front matter unclosed flow sequence", labFile, lab(4, "exercises: [kafka/first"), 4, "did not find expected ',' or ']'"},
		{"front matter unclosed on its first line", labFile, lab(2, "id: [basics"), 2, "did not find expected ',' or ']'"},
		{"front matter unclosed quote", labFile, lab(3, `title: "Basics`), 3, "front matter is not valid YAML"},
		{"front matter two values on a line", labFile, lab(2, "id: a: b"), 2, "mapping values are not allowed"},
		{"front matter tab", labFile, lab(3, "\ttitle: Basics"), 3, "front matter is not valid YAML"},
		{"front matter tab in a list", labFile, lab(4, "exercises:", "  - kafka/first", "\t- kafka/second"), 6, "tab character"},
		{"front matter type error", labFile, lab(4, "exercises: kafka/first"), 4, "into []string"},
		{"front matter type error in a list", labFile, lab(4, "exercises:", "  - kafka/first", "  - {id: kafka/second}"), 6, "cannot unmarshal !!map into string"},
		{"front matter unknown field", labFile, lab(5, "sumary: x"), 5, `unknown field "sumary"`},
		{"front matter wrong id", labFile, edit(labLines, 2, 3, "title: Basics", "id: basic"), 3, `id must be "basics"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantProblemAt(t, problemsFor(t, map[string]string{c.file: c.content}, c.file), c.file, c.wantLine, c.wantMsg)
		})
	}
}

// yaml.v3 keeps decoding after a type error: each bad value is its own
// problem at its own line.
func TestEveryTypeErrorAtItsLine(t *testing.T) {
	content := edit(specLines, 5, 15, append(append([]string{"files: main.go"}, specLines[5:14]...), "timeout: [60s]")...)
	ps := problemsFor(t, map[string]string{specFile: content}, specFile)
	wantProblemAt(t, ps, specFile, 5, "cannot unmarshal !!str `main.go` into []string")
	wantProblemAt(t, ps, specFile, 15, "cannot unmarshal !!seq into string")
	if len(ps) != 2 {
		t.Fatalf("want two problems, got %v", ps)
	}
}

// Two checks with one name would share one result: the second is reported
// where its name is written, pointing back at the first.
func TestDuplicateCheckName(t *testing.T) {
	cases := []struct {
		name     string
		content  string
		wantLine int
	}{
		{"name first", spec(20, "  - name: topic exists"), 20},
		{"name after type", edit(specLines, 20, 21, "  - type: kafka.topic", "    name: topic exists"), 21},
		{"quoted", spec(20, `  - name: "topic exists"`), 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := problemsFor(t, map[string]string{specFile: c.content}, specFile)
			wantProblemAt(t, ps, specFile, c.wantLine, `two checks are named "topic exists" (also at line 17)`)
			if len(ps) != 1 {
				t.Fatalf("want one problem, got %v", ps)
			}
		})
	}
}

// The fixtures above are good as written, so each case breaks one thing.
func TestLineFixturesLoad(t *testing.T) {
	if _, err := Load(course(map[string]string{specFile: fileOf(specLines...), labFile: fileOf(labLines...)})); err != nil {
		t.Fatal(err)
	}
}
