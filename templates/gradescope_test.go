package templates

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

var gradescopeDir = filepath.Join(repoRoot, "templates", "gradescope")

// unzip unpacks an autograder zip as Gradescope does, into dir, and
// returns the names it held.
func unzip(t testing.TB, file, dir string) []string {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if strings.Contains(f.Name, "/") || strings.HasPrefix(f.Name, ".") {
			t.Fatalf("%s in the zip: Gradescope wants setup.sh and run_autograder at its top", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), b, f.Mode().Perm()|0o600); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(names)
	return names
}

// goDownloads stands in for go.dev/dl: a listing with the SHA-256 of one
// download, the Go version setup.sh will ask for, and that download: a Go
// whose go and gofmt hand over to this machine's. listed replaces the
// listed checksum when set.
func goDownloads(t *testing.T, listed *atomic.Value) (url, version string) {
	t.Helper()
	out, err := exec.Command("go", "mod", "edit", "-json", filepath.Join(repoRoot, "go.mod")).Output()
	if err != nil {
		t.Fatal(err)
	}
	var mod struct{ Go, Toolchain string }
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatal(err)
	}
	version = strings.TrimPrefix(mod.Toolchain, "go")
	if version == "" {
		version = mod.Go
	}
	if strings.Count(version, ".") == 1 {
		version += ".0"
	}
	file := fmt.Sprintf("go%s.linux-%s.tar.gz", version, runtime.GOARCH)

	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	for _, tool := range []string{"go", "gofmt"} {
		real, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if real, err = filepath.EvalSymlinks(real); err != nil {
			t.Fatal(err)
		}
		script := fmt.Sprintf("#!/bin/sh\nexec '%s' \"$@\"\n", real)
		if err := tw.WriteHeader(&tar.Header{Name: "go/bin/" + tool, Mode: 0o755, Size: int64(len(script))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(script)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(tgz.Bytes())

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/" && r.URL.Query().Get("mode") == "json":
			sha := hex.EncodeToString(sum[:])
			if l, _ := listed.Load().(string); l != "" {
				sha = l
			}
			fmt.Fprintf(w, `[{"version":"go%s","stable":true,"files":[{"filename":"go%s.src.tar.gz","sha256":"%064d"},{"filename":%q,"sha256":%q}]}]`,
				version, version, 0, file, sha)
		case r.URL.Path == "/"+file:
			w.Write(tgz.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, version
}

// TestGradescopeSetup builds the autograder zip with make-zip, unpacks it
// as Gradescope does and runs its setup.sh with apt-get switched off (it
// needs root): it installs Go from a stand-in for go.dev, checking the
// listed checksum, builds streamlab from the zip's source copy, finds the
// brokers of the configured exercise, fetches their jars (from the cache
// here), and compiles the workspace's libraries ahead.
func TestGradescopeSetup(t *testing.T) {
	requireLocalKafka(t)
	requireTool(t, "jq")
	requireTool(t, "zip")
	requireTool(t, "curl")
	root := t.TempDir()
	source := filepath.Join(root, "source")
	if err := os.MkdirAll(source, 0o755); err != nil {
		t.Fatal(err)
	}
	zipFile := filepath.Join(root, "autograder.zip")
	if code, out := runScript(t, scriptEnv(), root, filepath.Join(gradescopeDir, "make-zip"), zipFile); code != 0 {
		t.Fatalf("make-zip: exit %d\n%s", code, out)
	}
	got := unzip(t, zipFile, source)
	want := []string{"lib.sh", "run_autograder", "setup.sh", "streamlab-src.tar.gz", "streamlab-src.txt", "streamlab.conf"}
	if !slices.Equal(got, want) {
		t.Fatalf("the zip holds %v, want %v", got, want)
	}
	for _, s := range []string{"setup.sh", "run_autograder"} {
		if fi, _ := os.Stat(filepath.Join(source, s)); fi == nil || fi.Mode()&0o100 == 0 {
			t.Errorf("%s lost its run bit in the zip", s)
		}
	}

	var listed atomic.Value
	dl, goVersion := goDownloads(t, &listed)
	bin := filepath.Join(root, "bin")
	goRoot := filepath.Join(root, "go")
	env := scriptEnv("AUTOGRADER_ROOT="+root, "STREAMLAB_BIN_DIR="+bin, "STREAMLAB_SETUP_APT=0",
		"STREAMLAB_GO_DOWNLOADS="+dl, "STREAMLAB_GO_ROOT="+goRoot)
	code, out := runScript(t, env, root, filepath.Join(source, "setup.sh"))
	if code != 0 {
		t.Fatalf("setup.sh: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "installing Go "+goVersion+" from "+dl) {
		t.Errorf("setup.sh did not install the Go of streamlab's go.mod, %s:\n%s", goVersion, out)
	}
	for _, tool := range []string{"go", "gofmt"} {
		if link, err := os.Readlink(filepath.Join(bin, tool)); err != nil || link != filepath.Join(goRoot, "bin", tool) {
			t.Errorf("%s on the PATH of later steps is %q (%v), want the downloaded one", tool, link, err)
		}
	}
	if !strings.Contains(out, "exercise "+exercise+" on kafka") {
		t.Errorf("setup.sh did not find the exercise's cluster:\n%s", out)
	}
	v, err := exec.Command(filepath.Join(bin, "streamlab"), "version").Output()
	if err != nil || !strings.HasPrefix(string(v), "streamlab ") {
		t.Errorf("the streamlab setup.sh built does not run: %v %s", err, v)
	}
	if _, err := os.Stat(filepath.Join(root, "streamlab-src", "cmd", "streamlab")); err != nil {
		t.Errorf("the source copy was not unpacked: %v", err)
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if _, err := os.Stat(filepath.Join(root, "streamlab-workspace", f)); err != nil {
			t.Errorf("setup.sh made no workspace for run_autograder to take module files from: %v", err)
		}
	}

	t.Run("a Go download that does not match its checksum", func(t *testing.T) {
		listed.Store(strings.Repeat("0", 64))
		defer listed.Store("")
		env := append(env, "STREAMLAB_SRC="+filepath.Join(root, "streamlab-src"), "STREAMLAB_GO_ROOT="+t.TempDir())
		code, out := runScript(t, env, root, filepath.Join(source, "setup.sh"))
		if code == 0 || !strings.Contains(out, "does not match the SHA-256") {
			t.Fatalf("setup.sh with a Go download whose checksum is wrong: exit %d, want a failure that says so:\n%s", code, out)
		}
	})

	t.Run("an unknown exercise fails the upload", func(t *testing.T) {
		conf := filepath.Join(t.TempDir(), "streamlab.conf")
		if err := os.WriteFile(conf, []byte("EXERCISE=kafka/no-such-exercise\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		env := append(env, "STREAMLAB_AUTOGRADER_CONFIG="+conf, "STREAMLAB_SRC="+filepath.Join(root, "streamlab-src"), "STREAMLAB_SETUP_GO=0")
		code, out := runScript(t, env, root, filepath.Join(source, "setup.sh"))
		if code == 0 || !strings.Contains(out, `no exercise "kafka/no-such-exercise"`) || !strings.Contains(out, exercise) {
			t.Fatalf("setup.sh with an unknown exercise: exit %d, want a failure that names it and lists the ids:\n%s", code, out)
		}
	})
}

// autograder is a Gradescope autograder folder as the zip unpacks it,
// with the streamlab this test built on PATH.
type autograder struct {
	root, bin, tmp string
}

func newAutograder(t *testing.T) *autograder {
	t.Helper()
	a := &autograder{root: t.TempDir(), bin: streamlabBin(t)}
	a.tmp = filepath.Join(a.root, "tmp")
	for _, f := range []string{"lib.sh", "run_autograder", "streamlab.conf"} {
		copyFile(t, filepath.Join(gradescopeDir, f), filepath.Join(a.root, "source", f))
	}
	// Gradescope runs its own copy of run_autograder, outside source/.
	copyFile(t, filepath.Join(gradescopeDir, "run_autograder"), filepath.Join(a.root, "run_autograder"))
	if err := os.MkdirAll(a.tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	return a
}

// run grades what the submission folder holds and returns
// results.json, checked against Gradescope's schema, and the output.
func (a *autograder) run(t *testing.T, extraEnv ...string) (gradescopeResults, string) {
	t.Helper()
	results := filepath.Join(a.root, "results", "results.json")
	os.Remove(results)
	env := scriptEnv(append([]string{
		"AUTOGRADER_ROOT=" + a.root,
		"STREAMLAB_BIN_DIR=" + a.bin,
		"PATH=" + a.bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"TMPDIR=" + a.tmp, // where the local provider keeps the cluster's files
	}, extraEnv...)...)
	code, out := runScript(t, env, a.root, filepath.Join(a.root, "run_autograder"))
	noProcessesUnder(t, a.tmp)
	if code != 0 {
		t.Errorf("run_autograder: exit %d, want 0 (Gradescope reads results.json either way)\n%s", code, out)
	}
	return validResults(t, results), out
}

func (a *autograder) submit(t *testing.T, fill func(dir string)) {
	t.Helper()
	dir := filepath.Join(a.root, "submission")
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fill(dir)
}

// TestRunAutograder runs run_autograder as Gradescope would, on a local
// Kafka: the reference solution gets every point, the starter fewer, and
// when the grade cannot happen (a wrong setting, no streamlab, a cluster
// that does not start) results.json still says why.
func TestRunAutograder(t *testing.T) {
	requireLocalKafka(t)
	a := newAutograder(t)

	t.Run("the solution, main.go alone", func(t *testing.T) {
		a.submit(t, func(dir string) { goProgram(t, solutionDir, dir, false) })
		r, out := a.run(t)
		if max := r.maxScore(); max == 0 || r.Score != max {
			t.Fatalf("the solution scored %v of %v:\n%+v\n%s", r.Score, max, r, out)
		}
		if !strings.Contains(out, "no go.mod") {
			t.Errorf("run_autograder did not say it gave the program the workspace's go.mod:\n%s", out)
		}
		for _, tc := range r.Tests {
			if tc.Status != "passed" {
				t.Errorf("%s: %s", tc.Name, tc.Status)
			}
		}
	})

	t.Run("the starter, in a folder with its module", func(t *testing.T) {
		a.submit(t, func(dir string) { goProgram(t, starterDir, filepath.Join(dir, "keyed-producer"), true) })
		r, out := a.run(t)
		if max := r.maxScore(); max == 0 || r.Score >= max {
			t.Fatalf("the starter scored %v of %v, want fewer points:\n%+v\n%s", r.Score, max, r, out)
		}
		failed := 0
		for _, tc := range r.Tests {
			if tc.Status == "failed" {
				failed++
			}
		}
		if failed == 0 || !strings.Contains(r.Output, exercise+": fail") {
			t.Fatalf("the starter's results.json shows no failed check:\n%+v", r)
		}
	})

	// The rest never reach a program: any submission will do.
	a.submit(t, func(dir string) { goProgram(t, solutionDir, dir, true) })
	notGraded := func(t *testing.T, r gradescopeResults, why ...string) {
		t.Helper()
		if r.Score != 0 || !strings.Contains(r.Output, "not graded") {
			t.Fatalf("want a results.json that scores 0 and says it was not graded, got %+v", r)
		}
		for _, w := range why {
			if !strings.Contains(r.Output, w) {
				t.Errorf("results.json's output does not say %q:\n%s", w, r.Output)
			}
		}
	}

	t.Run("an unknown exercise", func(t *testing.T) {
		conf := filepath.Join(t.TempDir(), "streamlab.conf")
		if err := os.WriteFile(conf, []byte("# a typo\nEXERCISE=kafka/no-such-exercise\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r, _ := a.run(t, "STREAMLAB_AUTOGRADER_CONFIG="+conf)
		notGraded(t, r, `no exercise "kafka/no-such-exercise"`, "exit code 3")
	})

	t.Run("a setting streamlab.conf does not have", func(t *testing.T) {
		conf := filepath.Join(t.TempDir(), "streamlab.conf")
		if err := os.WriteFile(conf, []byte("EXERCISE="+exercise+"\nEXCERCISE_TIMEOUT=5m\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r, _ := a.run(t, "STREAMLAB_AUTOGRADER_CONFIG="+conf)
		notGraded(t, r, conf+":2", `"EXCERCISE_TIMEOUT"`)
	})

	t.Run("no streamlab installed", func(t *testing.T) {
		empty := t.TempDir()
		r, _ := a.run(t, "STREAMLAB_BIN_DIR="+empty, "PATH="+empty+":/usr/bin:/bin")
		notGraded(t, r, "streamlab is not installed")
	})

	t.Run("the script stops on its own error", func(t *testing.T) {
		lib := filepath.Join(a.root, "source", "lib.sh")
		good, err := os.ReadFile(lib)
		if err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(lib, good, 0o644)
		if err := os.WriteFile(lib, []byte("echo \"$NO_SUCH_VARIABLE\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r, _ := a.run(t)
		notGraded(t, r, "stopped early")
	})

	t.Run("a cluster that does not start", func(t *testing.T) {
		r, _ := a.run(t, "STREAMLAB_KAFKA_HOME="+t.TempDir())
		notGraded(t, r, "exit code 2", "kafka")
	})
}
