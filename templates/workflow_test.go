package templates

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/streamlab/streamlab/containers/local"
)

var workflowFile = filepath.Join("github-actions", ".github", "workflows", "streamlab.yml")

// workflow is the part of a GitHub Actions workflow the template uses.
type workflow struct {
	Name        string                    `yaml:"name"`
	On          map[string]map[string]any `yaml:"on"`
	Permissions map[string]string         `yaml:"permissions"`
	Env         map[string]string         `yaml:"env"`
	Defaults    struct {
		Run struct {
			Shell string `yaml:"shell"`
		} `yaml:"run"`
	} `yaml:"defaults"`
	Jobs map[string]job `yaml:"jobs"`
}

type job struct {
	RunsOn         string            `yaml:"runs-on"`
	TimeoutMinutes int               `yaml:"timeout-minutes"`
	Env            map[string]string `yaml:"env"`
	Steps          []step            `yaml:"steps"`
}

type step struct {
	Name             string            `yaml:"name"`
	ID               string            `yaml:"id"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	With             map[string]string `yaml:"with"`
	Run              string            `yaml:"run"`
	Env              map[string]string `yaml:"env"`
	Shell            string            `yaml:"shell"`
	WorkingDirectory string            `yaml:"working-directory"`
	ContinueOnError  bool              `yaml:"continue-on-error"`
}

func (s step) label() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Uses
}

func loadWorkflow(t testing.TB) *workflow {
	t.Helper()
	b, err := os.ReadFile(workflowFile)
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true) // a key this test does not know is one it does not run
	if err := dec.Decode(&wf); err != nil {
		t.Fatalf("%s: %v", workflowFile, err)
	}
	if len(wf.Jobs) != 1 {
		t.Fatalf("%s has %d jobs; the README describes one", workflowFile, len(wf.Jobs))
	}
	return &wf
}

func (wf *workflow) job() job {
	for _, j := range wf.Jobs {
		return j
	}
	return job{}
}

// steps are the job's steps that match.
func (wf *workflow) steps(match func(step) bool) []step {
	var found []step
	for _, s := range wf.job().Steps {
		if match(s) {
			found = append(found, s)
		}
	}
	return found
}

// TestWorkflowPromises: the workflow has the steps its README promises —
// checkout, Go and Java, a cache of Go's builds and one of the broker
// jars keyed by their versions, the grade, a step summary and the JUnit
// files as an artifact even when the grade failed, and a last step that
// fails the job below the full score — and keeps ${{ }} out of every
// script.
func TestWorkflowPromises(t *testing.T) {
	wf := loadWorkflow(t)
	for _, on := range []string{"push", "pull_request", "workflow_dispatch"} {
		if _, ok := wf.On[on]; !ok {
			t.Errorf("the workflow does not run on %s", on)
		}
	}
	if len(wf.Permissions) != 1 || wf.Permissions["contents"] != "read" {
		t.Errorf("permissions %v: grading reads the repository and writes nothing to it", wf.Permissions)
	}
	if j := wf.job(); !strings.HasPrefix(j.RunsOn, "ubuntu-") || j.TimeoutMinutes == 0 {
		t.Errorf("the job runs on %q with a time limit of %d minutes: want Ubuntu (the fetch scripts need Maven, which its runners have) and a limit", j.RunsOn, j.TimeoutMinutes)
	}
	uses := func(prefix string) []step {
		return wf.steps(func(s step) bool { return strings.HasPrefix(s.Uses, prefix) })
	}
	for _, a := range []string{"actions/checkout@", "actions/setup-go@", "actions/setup-java@", "actions/upload-artifact@"} {
		if len(uses(a)) != 1 {
			t.Errorf("want one step using %s", a)
		}
	}
	if v, err := strconv.Atoi(wf.Env["JAVA_VERSION"]); err != nil || v < 17 {
		t.Errorf("JAVA_VERSION %q: Kafka 4 and Pulsar 4 need 17 or newer", wf.Env["JAVA_VERSION"])
	}
	if java := uses("actions/setup-java@"); len(java) == 1 && java[0].With["java-version"] != "${{ env.JAVA_VERSION }}" {
		t.Errorf("setup-java installs %q, not JAVA_VERSION", java[0].With["java-version"])
	}
	if wf.Env["KAFKA_VERSION"] != local.DefaultKafkaVersion || wf.Env["PULSAR_VERSION"] != local.DefaultPulsarVersion {
		t.Errorf("the workflow pins Kafka %s and Pulsar %s; streamlab fetches %s and %s by default: keep them in step",
			wf.Env["KAFKA_VERSION"], wf.Env["PULSAR_VERSION"], local.DefaultKafkaVersion, local.DefaultPulsarVersion)
	}

	caches := uses("actions/cache@")
	var goCache, jarCache *step
	for i, c := range caches {
		switch {
		case strings.Contains(c.With["path"], "~/.cache/go-build"):
			goCache = &caches[i]
		case strings.Contains(c.With["path"], "~/.cache/streamlab/kafka"):
			jarCache = &caches[i]
		}
	}
	if goCache == nil || !strings.Contains(goCache.With["path"], "~/go/pkg/mod") || !strings.Contains(goCache.With["key"], "env.STREAMLAB_VERSION") {
		t.Errorf("want a cache of Go's build cache and modules keyed by the streamlab version: %+v", goCache)
	}
	if jarCache == nil || !strings.Contains(jarCache.With["path"], "~/.cache/streamlab/pulsar") {
		t.Fatalf("want a cache of ~/.cache/streamlab/kafka and pulsar: %+v", jarCache)
	}
	// The jar cache's key is the plan step's output, which names the
	// brokers' versions: TestWorkflowRuns checks what the step writes.
	m := regexp.MustCompile(`^\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}$`).FindStringSubmatch(jarCache.With["key"])
	if m == nil {
		t.Fatalf("the jar cache's key %q is not a step's output", jarCache.With["key"])
	}
	plan := wf.steps(func(s step) bool { return s.ID == m[1] })
	if len(plan) != 1 || !strings.Contains(plan[0].Run, m[2]+"=") || !strings.Contains(plan[0].Run, "$KAFKA_VERSION") || !strings.Contains(plan[0].Run, "$PULSAR_VERSION") {
		t.Errorf("no step %q writes output %q from KAFKA_VERSION and PULSAR_VERSION", m[1], m[2])
	}
	if i, j := slices.IndexFunc(wf.job().Steps, func(s step) bool { return s.ID == m[1] }), slices.IndexFunc(wf.job().Steps, func(s step) bool { return s.Uses == jarCache.Uses && s.With["key"] == jarCache.With["key"] }); i > j {
		t.Errorf("the jar cache comes before the step that names its key")
	}

	art := uses("actions/upload-artifact@")
	if len(art) == 1 && (art[0].If != "always()" || art[0].With["path"] != "${{ runner.temp }}/streamlab-results") {
		t.Errorf("the results artifact must be uploaded always(), from runner.temp/streamlab-results: %+v", art[0])
	}
	summary := wf.steps(func(s step) bool { return strings.Contains(s.Run, "$GITHUB_STEP_SUMMARY") })
	if len(summary) != 1 || summary[0].If != "always()" {
		t.Errorf("want one step writing the summary, always(): %+v", summary)
	}
	steps := wf.job().Steps
	last := steps[len(steps)-1]
	if last.Run == "" || last.If != "" || !strings.Contains(last.Run, ".max_score") || !strings.Contains(last.Run, `exit "$failed"`) {
		t.Errorf("the last step must fail the job below the full score: %+v", last)
	}
	if wf.Defaults.Run.Shell != "bash" {
		t.Errorf("run steps' shell is %q; the test runs them as GitHub runs shell: bash", wf.Defaults.Run.Shell)
	}
	for _, s := range steps {
		if s.Run != "" && s.Uses != "" {
			t.Errorf("step %q both runs and uses", s.label())
		}
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %q has ${{ }} in its script: GitHub pastes the value into the shell code; pass it through env", s.label())
		}
		for k, v := range s.Env {
			if strings.Contains(v, "${{") {
				t.Errorf("step %q: env %s=%s: this test cannot give it that value", s.label(), k, v)
			}
		}
		if s.Shell != "" || s.WorkingDirectory != "" || s.ContinueOnError || (s.If != "" && s.If != "always()") {
			t.Errorf("step %q uses a setting this test does not run as GitHub would", s.label())
		}
	}
	for k, v := range wf.Env {
		if strings.Contains(v, "${{") {
			t.Errorf("env %s=%s: a workflow's env has no contexts to read", k, v)
		}
	}
}

// actionsRun runs a workflow's run steps in order as a GitHub runner
// would — bash -eo pipefail in GITHUB_WORKSPACE, with GITHUB_ENV,
// GITHUB_PATH, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY read after each step
// — skipping the steps that use an action. Go, Java and the caches those
// set up are this machine's own.
type actionsRun struct {
	wf        *workflow
	workspace string
	temp      string
	env       map[string]string // from GITHUB_ENV
	path      []string          // from GITHUB_PATH, newest first
	outputs   map[string]map[string]string
	summary   strings.Builder
	results   []stepResult
}

type stepResult struct {
	step    step
	skipped bool
	code    int
	out     string
	took    time.Duration
}

func newActionsRun(t *testing.T, wf *workflow, workspace string) *actionsRun {
	return &actionsRun{wf: wf, workspace: workspace, temp: t.TempDir(), env: map[string]string{}, outputs: map[string]map[string]string{}}
}

func (r *actionsRun) run(t *testing.T, base []string) {
	t.Helper()
	failed := false
	for i, s := range r.wf.job().Steps {
		if s.Uses != "" || (failed && s.If != "always()") {
			r.results = append(r.results, stepResult{step: s, skipped: true})
			continue
		}
		dir := filepath.Join(r.temp, fmt.Sprintf("step%d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		for _, f := range []string{"GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
			files[f] = filepath.Join(dir, strings.ToLower(f))
			if err := os.WriteFile(files[f], nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		script := filepath.Join(dir, "script.sh")
		if err := os.WriteFile(script, []byte(s.Run), 0o644); err != nil {
			t.Fatal(err)
		}
		env := slices.Clone(base)
		for _, m := range []map[string]string{r.wf.Env, r.wf.job().Env, r.env, s.Env} {
			for k, v := range m {
				env = append(env, k+"="+v)
			}
		}
		for k, f := range files {
			env = append(env, k+"="+f)
		}
		path := os.Getenv("PATH")
		if len(r.path) > 0 {
			path = strings.Join(r.path, string(os.PathListSeparator)) + string(os.PathListSeparator) + path
		}
		env = append(env, "PATH="+path, "GITHUB_WORKSPACE="+r.workspace, "RUNNER_TEMP="+r.temp,
			"RUNNER_OS=Linux", "GITHUB_ACTIONS=true", "CI=true")
		t0 := time.Now()
		code, out := runScript(t, env, r.workspace, "--noprofile", "--norc", "-eo", "pipefail", script)
		r.results = append(r.results, stepResult{step: s, code: code, out: out, took: time.Since(t0)})
		if code != 0 {
			failed = true
		}

		for k, v := range readEnvFile(t, files["GITHUB_ENV"]) {
			r.env[k] = v
		}
		if s.ID != "" {
			r.outputs[s.ID] = readEnvFile(t, files["GITHUB_OUTPUT"])
		}
		b, _ := os.ReadFile(files["GITHUB_PATH"])
		for _, p := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if p != "" {
				r.path = append([]string{p}, r.path...)
			}
		}
		b, _ = os.ReadFile(files["GITHUB_STEP_SUMMARY"])
		r.summary.Write(b)
	}
}

// readEnvFile reads GITHUB_ENV's (and GITHUB_OUTPUT's) format: NAME=value
// lines, or NAME<<DELIMITER, lines, DELIMITER.
func readEnvFile(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var lines []string
			for sc.Scan() && sc.Text() != delim {
				lines = append(lines, sc.Text())
			}
			vars[name] = strings.Join(lines, "\n")
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is neither NAME=value nor NAME<<DELIMITER", file, line)
		}
		vars[name] = value
	}
	return vars
}

// last is the outcome of the last step, the one that passes or fails
// the job.
func (r *actionsRun) last() stepResult { return r.results[len(r.results)-1] }

func (r *actionsRun) log() string {
	var b strings.Builder
	for _, s := range r.results {
		if s.skipped {
			fmt.Fprintf(&b, "--- %s: skipped\n", s.step.label())
			continue
		}
		fmt.Fprintf(&b, "--- %s: exit %d (%.1fs)\n%s", s.step.label(), s.code, s.took.Seconds(), s.out)
	}
	fmt.Fprintf(&b, "--- summary:\n%s", r.summary.String())
	return b.String()
}

// junitFailures counts the failed test cases of a junit.xml.
func junitFailures(t *testing.T, file string) (cases, failures int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			cases++
			if c.Failure != nil {
				failures++
			}
		}
	}
	return cases, failures
}

// summaryRow finds a submission's row in the summary's table:
// | name | score/max | status | time |.
func summaryRow(summary, name string) []string {
	for _, line := range strings.Split(summary, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) == 4 && cells[0] == name {
			return cells
		}
	}
	return nil
}

// TestWorkflowRuns runs the workflow's own steps on a local Kafka, with
// the install step building streamlab from this checkout (STREAMLAB_SOURCE,
// as from a submodule): a learner's repository holding the reference
// solution passes with a full score; a class repository with the solution
// and the starter fails the job, naming the starter, with both in the
// summary and the JUnit files.
func TestWorkflowRuns(t *testing.T) {
	requireLocalKafka(t)
	requireTool(t, "jq")
	wf := loadWorkflow(t)
	wf.Env["STREAMLAB_SOURCE"] = repoRoot
	tmp := t.TempDir() // where the local provider keeps the cluster's files
	base := scriptEnv("GOBIN="+t.TempDir(), "TMPDIR="+tmp)

	t.Run("a learner's repository with the solution", func(t *testing.T) {
		repo := filepath.Join(t.TempDir(), "keyed-producer-ada")
		goProgram(t, solutionDir, repo, true)
		copyFile(t, workflowFile, filepath.Join(repo, ".github", "workflows", "streamlab.yml"))
		r := newActionsRun(t, wf, repo)
		r.run(t, base)
		noProcessesUnder(t, tmp)
		for _, s := range r.results {
			if !s.skipped && s.code != 0 {
				t.Fatalf("step %q failed:\n%s", s.step.label(), r.log())
			}
		}
		if key := r.outputs["plan"]["jars-key"]; key != "streamlab-jars-Linux-kafka-"+local.DefaultKafkaVersion {
			t.Errorf("the jar cache's key is %q: want the OS and the one broker the exercise needs, with its version", key)
		}
		row := summaryRow(r.summary.String(), "keyed-producer-ada")
		if row == nil || row[1] != "8/8" || row[2] != "pass" {
			t.Fatalf("the summary's row for the solution is %q:\n%s", row, r.log())
		}
		if !strings.Contains(r.summary.String(), "| every record is keyed by its customer_id | 2/2 | pass |") {
			t.Errorf("the summary does not list the checks:\n%s", r.summary.String())
		}
		cases, failures := junitFailures(t, filepath.Join(r.temp, "streamlab-results", "keyed-producer-ada", "junit.xml"))
		if cases == 0 || failures != 0 {
			t.Errorf("junit.xml: %d cases, %d failures; want all passed", cases, failures)
		}
		validResults(t, filepath.Join(r.temp, "streamlab-results", "keyed-producer-ada", "results.json"))
	})

	t.Run("a class repository with the solution and the starter", func(t *testing.T) {
		repo := filepath.Join(t.TempDir(), "class")
		goProgram(t, solutionDir, filepath.Join(repo, "submissions", "ada"), true)
		goProgram(t, starterDir, filepath.Join(repo, "submissions", "grace"), true)
		class := *wf
		class.Env = map[string]string{}
		for k, v := range wf.Env {
			class.Env[k] = v
		}
		class.Env["LAYOUT"], class.Env["SUBMISSIONS"] = "class", "submissions"
		r := newActionsRun(t, &class, repo)
		r.run(t, base)
		noProcessesUnder(t, tmp)
		for _, s := range r.results[:len(r.results)-1] {
			if !s.skipped && s.code != 0 {
				t.Fatalf("step %q failed:\n%s", s.step.label(), r.log())
			}
		}
		if l := r.last(); l.code == 0 || !strings.Contains(l.out, "::error title=streamlab::grace: ") || strings.Contains(l.out, "ada:") {
			t.Fatalf("the last step must fail naming grace, and grace only:\n%s", r.log())
		}
		if row := summaryRow(r.summary.String(), "ada"); row == nil || row[1] != "8/8" {
			t.Errorf("the summary's row for ada is %q:\n%s", row, r.summary.String())
		}
		row := summaryRow(r.summary.String(), "grace")
		var score, max int
		if row == nil || row[2] != "fail" {
			t.Fatalf("the summary's row for grace is %q:\n%s", row, r.summary.String())
		}
		if _, err := fmt.Sscanf(row[1], "%d/%d", &score, &max); err != nil || score >= max {
			t.Errorf("grace's score in the summary is %q: want below the maximum", row[1])
		}
		if _, failures := junitFailures(t, filepath.Join(r.temp, "streamlab-results", "grace", "junit.xml")); failures == 0 {
			t.Errorf("grace's junit.xml has no failure")
		}
		if b, err := os.ReadFile(filepath.Join(r.temp, "streamlab-results", "gradebook.csv")); err != nil || strings.Count(string(b), "\n") != 3 {
			t.Errorf("gradebook.csv: %v\n%s", err, b)
		}
	})
}
