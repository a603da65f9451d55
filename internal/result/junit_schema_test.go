package result_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamlab/streamlab/containers/local/localtest"
	"github.com/streamlab/streamlab/internal/result"
)

// junitResults are verdicts of every shape the JUnit writer meets, with
// the text that is hardest to carry in XML.
func junitResults() map[string]result.Result {
	const ex = "kafka/keyed-producer"
	mk := func(status result.Status, message string, tests ...result.Test) result.Result {
		r := result.Result{Exercise: ex, Status: status, Message: message, Tests: tests, Output: "produced 120 records\n"}
		r.Finish()
		return r
	}
	pass := func(name string, d time.Duration) result.Test {
		return result.Test{Name: name, Status: result.Pass, Score: 1, MaxScore: 1, Duration: d}
	}
	long := strings.Repeat("a line the program printed, again and again, to fill the report\n", 20000)
	control := "nul\x00 bell\x07 escape\x1b[31mred\x1b[0m backspace\x08 vt\x0b ff\x0c del\x7f c1\u0085\u009b bad utf-8 \xff\xfe\xed\xa0\x80 nonchars \uFFFE\uFFFF end"
	unicode := "ünïcödé ✓ ✗ 日本語 שלום עולם e\u0301 👩\u200d💻 \u2028line\u2029para 𝄞"

	return map[string]result.Result{
		"pass": mk("", "",
			pass("the program runs to completion", 2*time.Second),
			pass("every input line arrived exactly once", 1500*time.Millisecond),
			pass("an instant check", 3*time.Microsecond),
			pass("a check that took no time", 0)),
		"fail": mk("", "",
			pass("the program runs to completion", time.Second),
			result.Test{Name: "every record is keyed by its customer_id", Status: result.Fail, Message: "None of the 120 records has a key.", Output: "sent 120\n", MaxScore: 2, Duration: 40 * time.Millisecond}),
		"error with message": mk("", "",
			pass("the program runs to completion", time.Second),
			result.Test{Name: "the topic has 6 partitions", Status: result.Error, Message: "the cluster did not answer: dial tcp 127.0.0.1:9092: connection refused", MaxScore: 1}),
		"error before any test": mk(result.Error, "no Java: install a JDK 17+"),
		"error after the checks": mk(result.Error, "the cluster stopped answering during the check",
			pass("the program runs to completion", time.Second),
			result.Test{Name: "every record is keyed", Status: result.Fail, Message: "no keys", MaxScore: 1}),
		// The result has no skipped status: checks that could not run
		// because the program does not build fail, not checked.
		"not checked": mk("", "",
			result.Test{Name: "the program builds", Status: result.Fail, Message: "go build: undefined: kgo.NewClient", Output: "./main.go:12:2: undefined: kgo.NewClient\n"},
			result.Test{Name: "every record is keyed", Status: result.Fail, Message: "Not checked: the program does not build.", MaxScore: 2}),
		"no tests": mk("", ""),
		"escaping": mk("", "",
			result.Test{Name: `a <check> & "its" 'name' ]]> too`, Status: result.Fail,
				Message: "saw <3> & \"quotes\" 'single' ]]> &amp; &#x1; \t tab\r\nCRLF\nnewline",
				Output:  "<![CDATA[ not really ]]>\n</failure></testcase></testsuite>\n<?xml version=\"1.0\"?>\n<!-- comment -->\n&lt; \r\n"}),
		"control characters": mk("", "",
			result.Test{Name: "control\x01 in a name", Status: result.Fail, Message: control, Output: control},
			result.Test{Name: "an error with control characters", Status: result.Error, Message: control, Output: control}),
		"very long output": mk("", "",
			result.Test{Name: "the program runs to completion", Status: result.Fail, Message: strings.Repeat("long message ", 5000), Output: long, Duration: 90 * time.Second}),
		"unicode": func() result.Result {
			r := mk("", "",
				pass(unicode, time.Millisecond),
				result.Test{Name: "ünïcödé fails", Status: result.Fail, Message: unicode, Output: unicode + "\n"})
			r.Exercise = "kafka/ünïcödé-生产者"
			r.Output = unicode
			return r
		}(),
	}
}

// A report that uses all of the common format, not only what streamlab
// writes: the schema must accept it.
const fullJUnit = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="all" tests="4" failures="1" errors="1" skipped="1" disabled="0" time="12.5" timestamp="2025-03-14T09:00:00Z">
  <testsuite name="com.example.FooTest" tests="4" failures="1" errors="1" skipped="1" time="12.500" timestamp="2025-03-14T09:00:00" hostname="ci-7" id="0" package="com.example" file="FooTest.java">
    <properties>
      <property name="java.version" value="17.0.15"/>
      <property name="empty" value=""/>
    </properties>
    <testcase name="passes" classname="com.example.FooTest" time="0.001" assertions="3" file="FooTest.java" line="12"/>
    <testcase name="fails" classname="com.example.FooTest" time="1">
      <failure message="expected 1 but was 2" type="java.lang.AssertionError">at FooTest.fails(FooTest.java:20)</failure>
      <system-out>out</system-out>
      <system-err>err</system-err>
    </testcase>
    <testcase name="errs" classname="com.example.FooTest" time=".5">
      <error message="boom" type="java.lang.IllegalStateException"/>
    </testcase>
    <testcase name="skips" classname="com.example.FooTest">
      <skipped message="not on this platform"/>
    </testcase>
    <system-out><![CDATA[suite output]]></system-out>
    <system-err/>
  </testsuite>
</testsuites>
`

// What the schema must reject, or a valid verdict proves nothing; why
// is part of the validator's reason (a value or a name, not words,
// which the JDK translates).
var invalidJUnit = []struct{ name, doc, why string }{
	{"time is not a number", `<testsuites><testsuite name="s" tests="1"><testcase name="c" time="abc"/></testsuite></testsuites>`, "'abc'"},
	{"time with an exponent", `<testsuites><testsuite name="s" tests="1"><testcase name="c" time="1e-06"/></testsuite></testsuites>`, "'1e-06'"},
	{"negative time", `<testsuite name="s" tests="1" time="-1.0"><testcase name="c"/></testsuite>`, "'-1.0'"},
	{"testcase outside a testsuite", `<testsuites><testcase name="c" time="1"/></testsuites>`, "'testcase'"},
	{"testcase as the root", `<testcase name="c" time="1"/>`, "'testcase'"},
	{"negative count", `<testsuite name="s" tests="-1"/>`, "'-1'"},
	{"fractional count", `<testsuite name="s" tests="1" failures="0.5"><testcase name="c"/></testsuite>`, "'0.5'"},
	{"suite without a name", `<testsuite tests="0"/>`, "'name'"},
	{"suite without tests", `<testsuite name="s"/>`, "'tests'"},
	{"case with an empty name", `<testsuite name="s" tests="1"><testcase name=""/></testsuite>`, "cvc-minLength-valid"},
	{"timestamp is not a date", `<testsuite name="s" tests="0" timestamp="yesterday"/>`, "'yesterday'"},
	{"failure and error in one case", `<testsuite name="s" tests="1"><testcase name="c"><failure/><error/></testcase></testsuite>`, "'error'"},
	{"outcome after the output", `<testsuite name="s" tests="1"><testcase name="c"><system-out/><failure/></testcase></testsuite>`, "'failure'"},
	{"output before the testcases", `<testsuite name="s" tests="1"><system-out/><testcase name="c"/></testsuite>`, "'testcase'"},
	{"unknown attribute", `<testsuite name="s" tests="1"><testcase name="c" result="ok"/></testsuite>`, "'result'"},
	{"unknown element", `<testsuite name="s" tests="1"><testcase name="c"><flaky/></testcase></testsuite>`, "'flaky'"},
	{"a control character", `<testsuite name="s" tests="1"><testcase name="c"><failure message="&#x1;"/></testcase></testsuite>`, "&#x1"},
	{"not well-formed", `<testsuite name="s" tests="1"><testcase name="c"></testsuite>`, "testcase"},
}

// Every JUnit report the writer makes is valid against the common JUnit
// schema in testdata/junit.xsd, checked by the JDK's own validator; the
// same run shows the validator rejects what the schema forbids.
func TestJUnitIsValidAgainstTheSchema(t *testing.T) {
	java := javaThatRunsSources(t)
	dir := t.TempDir()
	want := map[string]string{} // file → "" when valid, else why not
	var files []string
	add := func(name, doc, why string) {
		path := filepath.Join(dir, fmt.Sprintf("%02d-%s.xml", len(files), strings.ReplaceAll(name, " ", "-")))
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
		want[path] = why
	}
	for name, r := range junitResults() {
		var b bytes.Buffer
		if err := result.Write(&b, r, "junit"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkJUnitCounts(t, name, r, b.Bytes())
		add(name, b.String(), "")
	}
	add("full format", fullJUnit, "")
	for _, c := range invalidJUnit {
		add(c.name, c.doc, c.why)
	}

	got := validateXML(t, java, "testdata/junit.xsd", files)
	for _, f := range files {
		verdict, ok := got[f]
		switch {
		case !ok:
			t.Errorf("%s: the validator said nothing", filepath.Base(f))
		case want[f] == "" && verdict != "":
			b, _ := os.ReadFile(f)
			if len(b) > 4000 {
				b = append(b[:4000], "…"...)
			}
			t.Errorf("%s is invalid: %s\n%s", filepath.Base(f), verdict, b)
		case want[f] != "" && verdict == "":
			t.Errorf("%s: the validator let it through", filepath.Base(f))
		case !strings.Contains(verdict, want[f]):
			t.Errorf("%s is rejected, but not for %s: %s", filepath.Base(f), want[f], verdict)
		}
	}
}

// checkJUnitCounts checks what XML Schema cannot say: that a suite's
// counts agree with its testcases, and that every test is reported.
func checkJUnitCounts(t *testing.T, name string, r result.Result, doc []byte) {
	t.Helper()
	var suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
			Cases    []struct {
				Name    string   `xml:"name,attr"`
				Failure *problem `xml:"failure"`
				Error   *problem `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(doc, &suites); err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	if len(suites.Suites) != 1 {
		t.Errorf("%s: %d suites", name, len(suites.Suites))
		return
	}
	s := suites.Suites[0]
	failures, errs := 0, 0
	for _, c := range s.Cases {
		if c.Failure != nil {
			failures++
		}
		if c.Error != nil {
			errs++
		}
	}
	if s.Tests != len(s.Cases) || s.Failures != failures || s.Errors != errs {
		t.Errorf("%s: the suite counts %d tests, %d failures, %d errors; its testcases %d, %d, %d", name, s.Tests, s.Failures, s.Errors, len(s.Cases), failures, errs)
	}
	if len(s.Cases) < len(r.Tests) {
		t.Errorf("%s: %d testcases for %d tests", name, len(s.Cases), len(r.Tests))
	}
	if r.Status == result.Error && errs == 0 {
		t.Errorf("%s: an error verdict with no error in the report", name)
	}
	// Text XML can carry comes back as it was: markup characters, tabs,
	// line ends and any Unicode (control characters cannot be carried).
	if name != "escaping" && name != "unicode" {
		return
	}
	for i, tc := range r.Tests {
		if i >= len(s.Cases) || s.Cases[i].Name != tc.Name {
			t.Errorf("%s: test %d is not named %q", name, i, tc.Name)
			continue
		}
		if p := s.Cases[i].Failure; tc.Status == result.Fail && (p == nil || p.Message != tc.Message || p.Text != tc.Output) {
			t.Errorf("%s: the failure of %q came back as %+v", name, tc.Name, p)
		}
	}
}

type problem struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// javaThatRunsSources is the java command, once it can run a single-file
// source program (Java 11+ with the compiler module). Without one the
// test skips — unless real clusters are required (CI), whose Java must
// run this too.
func javaThatRunsSources(t *testing.T) string {
	t.Helper()
	unavailable := func(why string) {
		t.Helper()
		if localtest.Required() {
			t.Fatalf("STREAMLAB_REQUIRE_LOCAL=1 but the JUnit schema cannot be checked: %s", why)
		}
		t.Skipf("the JUnit schema cannot be checked: %s (install a JDK 11+)", why)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		unavailable("java is not on PATH")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, java, "--list-modules").Output()
	if err != nil {
		unavailable(fmt.Sprintf("java --list-modules: %v (Java older than 9?)", err))
	}
	m := regexp.MustCompile(`(?m)^java\.base@(\d+)`).FindSubmatch(out)
	if m == nil {
		unavailable("java --list-modules does not list java.base")
	}
	if v, _ := strconv.Atoi(string(m[1])); v < 11 {
		unavailable(fmt.Sprintf("Java %d cannot run a source file", v))
	}
	if !regexp.MustCompile(`(?m)^jdk\.compiler@`).Match(out) {
		unavailable("this Java is a runtime without the compiler (jdk.compiler), not a JDK")
	}
	return java
}

// validateXML runs testdata/Validate.java on files: for each file, "" when
// it is valid against schema, else why not.
func validateXML(t *testing.T, java, schema string, files []string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, java, append([]string{"testdata/Validate.java", schema}, files...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Exit status 1 is some file invalid, or Validate.java not compiling:
	// only the latter prints no verdicts.
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); err != nil && (code != 1 || stdout.Len() == 0) {
		t.Fatalf("java Validate.java: %v\n%s%s", err, stderr.String(), stdout.String())
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n") {
		f := strings.SplitN(line, "\t", 3)
		switch {
		case len(f) == 2 && f[0] == "valid":
			got[f[1]] = ""
		case len(f) == 3 && f[0] == "invalid":
			got[f[1]] = f[2]
		default:
			t.Fatalf("java Validate.java printed %q\n%s", line, stderr.String())
		}
	}
	return got
}
