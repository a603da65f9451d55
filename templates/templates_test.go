package templates

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/local/localtest"
)

// repoRoot is the streamlab checkout these templates belong to.
var repoRoot = func() string {
	abs, err := filepath.Abs("..")
	if err != nil {
		panic(err)
	}
	return abs
}()

const exercise = "kafka/keyed-producer"

var (
	solutionDir = filepath.Join(repoRoot, "solutions", "kafka", "02-keyed-producer")
	starterDir  = filepath.Join(repoRoot, "exercises", "kafka", "02-keyed-producer")
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// streamlabBin builds cmd/streamlab once and returns the folder holding
// it. -trimpath, as setup.sh and the workflow build it, so that all three
// builds share Go's build cache wherever the source sits.
func streamlabBin(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "streamlab-templates-bin")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(binDir, "streamlab"), "./cmd/streamlab")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building streamlab: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// requireLocalKafka skips where no local Kafka can run (a failure under
// STREAMLAB_REQUIRE_LOCAL=1: see localtest).
func requireLocalKafka(t testing.TB) { localtest.Provider(t, containers.Kafka) }

// requireTool fails when a tool the templates use is missing: each is on
// Gradescope's image after setup.sh and on GitHub's runners.
func requireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed to run the templates (Debian/Ubuntu: apt-get install %s)", name, name)
	}
}

// scriptEnv is the environment a template's script runs with: this
// process's, without the variables of streamlab, Gradescope's layout and
// GitHub that would change what it does, plus extra (KEY=value).
func scriptEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "STREAMLAB_") && k != "STREAMLAB_CACHE",
			strings.HasPrefix(k, "AUTOGRADER_"), strings.HasPrefix(k, "GITHUB_"), strings.HasPrefix(k, "RUNNER_"),
			k == "KAFKA_VERSION", k == "PULSAR_VERSION", k == "CI":
		default:
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// runScript runs a script with bash and returns its exit code and its
// combined output. Nothing a template does waits for input, so a run
// that outlives the limit is stuck and fails the test.
func runScript(t testing.TB, env []string, dir string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", args...)
	cmd.Env = env
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("bash %s did not finish in 10 minutes:\n%s", strings.Join(args, " "), out.String())
	}
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("bash %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// gradescopeSchema is Gradescope's results.json as the gradebook's tests
// pin it, compiled by a complete JSON Schema validator.
func gradescopeSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "internal", "gradebook", "testdata", "gradescope-results.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("gradescope-results.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("gradescope-results.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// gradescopeResults is what the tests read of a results.json.
type gradescopeResults struct {
	Score  float64 `json:"score"`
	Output string  `json:"output"`
	Tests  []struct {
		Name     string  `json:"name"`
		Status   string  `json:"status"`
		Score    float64 `json:"score"`
		MaxScore float64 `json:"max_score"`
	} `json:"tests"`
}

// maxScore is the sum of the tests' maximums.
func (r gradescopeResults) maxScore() float64 {
	var m float64
	for _, tc := range r.Tests {
		m += tc.MaxScore
	}
	return m
}

// validResults reads a results.json and fails the test unless it is
// Gradescope's format.
func validResults(t testing.TB, path string) gradescopeResults {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no results.json: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not JSON: %v\n%s", path, err, b)
	}
	if err := gradescopeSchema(t).Validate(doc); err != nil {
		t.Fatalf("%s is not Gradescope's results.json: %v\n%s", path, err, b)
	}
	var r gradescopeResults
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// noProcessesUnder fails when a process still running names dir in its
// command line: a broker a template started and did not stop (the local
// provider keeps each cluster's files under TMPDIR).
func noProcessesUnder(t testing.TB, dir string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // a stopped JVM takes a moment to go
	for {
		var left []string
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			b, err := os.ReadFile(p)
			if err != nil || !bytes.Contains(b, []byte(dir)) {
				continue
			}
			left = append(left, filepath.Base(filepath.Dir(p))+": "+string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still running after the template finished:\n%s", strings.Join(left, "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// copyFile copies a file, keeping its run bit.
func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, fi.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

// goProgram puts the exercise's main.go from src in dst, with the module
// files `streamlab init` gives a workspace when withModule is set: the
// two ways a learner hands a Go program in.
func goProgram(t testing.TB, src, dst string, withModule bool) {
	t.Helper()
	copyFile(t, filepath.Join(src, "main.go"), filepath.Join(dst, "main.go"))
	if !withModule {
		return
	}
	ws := filepath.Join(t.TempDir(), "ws")
	cmd := exec.Command(filepath.Join(streamlabBin(t), "streamlab"), "init", ws)
	cmd.Env = scriptEnv("STREAMLAB_STATE_DIR="+t.TempDir(), "STREAMLAB_CONFIG="+filepath.Join(t.TempDir(), "none.yaml"))
	cmd.Dir = t.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("streamlab init: %v\n%s", err, out)
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		copyFile(t, filepath.Join(ws, f), filepath.Join(dst, f))
	}
}

// TestScriptsParse: bash reads every script of the templates, and every
// run step of the workflow, without a syntax error.
func TestScriptsParse(t *testing.T) {
	scripts := []string{"gradescope/setup.sh", "gradescope/run_autograder", "gradescope/lib.sh", "gradescope/make-zip"}
	for _, s := range scripts {
		if out, err := exec.Command("bash", "-n", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", s, err, out)
		}
	}
	for _, s := range []string{"gradescope/setup.sh", "gradescope/run_autograder", "gradescope/make-zip"} {
		if fi, err := os.Stat(s); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable: Gradescope and instructors run it as a program", s)
		}
	}
	wf := loadWorkflow(t)
	n := 0
	for _, st := range wf.job().Steps {
		if st.Run == "" {
			continue
		}
		n++
		cmd := exec.Command("bash", "-n")
		cmd.Stdin = strings.NewReader(st.Run)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("the workflow's step %q: %v\n%s", st.Name, err, out)
		}
	}
	if n == 0 {
		t.Fatal("the workflow has no run steps")
	}
}
