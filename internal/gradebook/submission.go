// Package gradebook grades a class: every submission of one exercise, in
// parallel on one cluster, through the course session's Check (the same
// grading as `streamlab check`), and writes each verdict as Exercism JSON,
// JUnit XML and a Gradescope results.json, and the class as a CSV
// gradebook. A submission is a folder, or a git repository cloned as
// committed (sources.go). One whose content, exercise and streamlab have
// not changed since its last grade is not graded again.
package gradebook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ConfigFile is a submission's own settings: `run: CMD`.
const ConfigFile = "streamlab.yaml"

// How a submission's program is started.
const (
	KindConfig = "streamlab.yaml" // its own run command
	KindGo     = "go"             // the exercise's default build and run
	KindPython = "python"         // python3 main.py
)

// PythonRun is the run command of a submission with a main.py.
const PythonRun = "python3 main.py"

// Submission is one learner's program for the exercise.
type Submission struct {
	// Name is the folder's name, or the repository's: the submission's
	// row in the gradebook and its folder under --out.
	Name string
	Dir  string // absolute; a repository's clone
	// Source and Commit say what was cloned, for a repository: its URL
	// without credentials (and #ref), and the commit graded.
	Source string
	Commit string
	Kind   string // KindConfig, KindGo or KindPython; "" for no program
	// Run is the command that starts the program; "" is the exercise's
	// own build and run (a Go program).
	Run string
	// Prefix starts every topic, group and namespace name of its runs,
	// unique in the class.
	Prefix string
	// Problem says why the submission cannot be graded, naming its
	// folder; it is graded as an error.
	Problem string
}

// Discover lists the submissions in dir: one per folder, sorted by name.
// Hidden folders and the folders in skip (the output folder, when it is
// inside dir) are not submissions; Notes names the other entries left out.
func Discover(dir string, skip ...string) (subs []Submission, notes []string, err error) {
	paths, notes, err := discoverPaths(dir, skip...)
	if err != nil {
		return nil, notes, err
	}
	if subs, err = folderSubmissions(paths); err != nil {
		return nil, notes, err
	}
	finish(subs)
	return subs, notes, nil
}

// discoverPaths lists the folders in dir that are submissions.
func discoverPaths(dir string, skip ...string) (paths, notes []string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the submissions: %w", err)
	}
	var skipAbs []string
	for _, s := range skip {
		if a, err := filepath.Abs(s); err == nil {
			skipAbs = append(skipAbs, a)
		}
	}
	for _, e := range entries {
		p := filepath.Join(abs, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."), slices.Contains(skipAbs, p):
		case isDir(p):
			paths = append(paths, p)
		default:
			notes = append(notes, fmt.Sprintf("%s is not a folder, so not a submission", p))
		}
	}
	if len(paths) == 0 {
		return nil, notes, fmt.Errorf("%s holds no submission: it needs one folder per submission", abs)
	}
	return paths, notes, nil
}

// FromList reads the submissions named in a file, one folder a line
// (relative to the file's folder); blank lines and lines starting with #
// are skipped. A list that also names repositories is read by Gather,
// which clones them.
func FromList(file string) ([]Submission, error) {
	paths, repos, err := readSources(file, false)
	if err != nil {
		return nil, err
	}
	if len(repos) > 0 {
		return nil, fmt.Errorf("%s: a repository must be cloned before it is graded", repos[0].Where)
	}
	subs, err := folderSubmissions(paths)
	if err != nil {
		return nil, err
	}
	finish(subs)
	return subs, nil
}

// Detect says how the program in dir starts: its streamlab.yaml's run
// command, else the exercise's Go build for a Go program, else python3
// main.py. A folder with none of these has a Problem, and so has a
// Python program whose requirements.txt names a package python3 lacks.
func Detect(name, dir string) Submission {
	s := Submission{Name: name, Dir: dir}
	cfg := filepath.Join(dir, ConfigFile)
	if _, err := os.Stat(cfg); err == nil {
		run, err := readConfig(cfg)
		if err != nil {
			s.Problem = err.Error()
			return s
		}
		s.Kind, s.Run = KindConfig, run
		if py := pythonOf(run); py != "" {
			s.Problem = requirementsProblem(dir, py)
		}
		return s
	}
	switch {
	case exists(filepath.Join(dir, "go.mod")) || hasGoFiles(dir):
		s.Kind = KindGo
	case exists(filepath.Join(dir, "main.py")):
		s.Kind, s.Run = KindPython, PythonRun
		s.Problem = requirementsProblem(dir, "python3")
	case javaBuild(dir) != "":
		s.Problem = javaProblem(dir)
	default:
		s.Problem = fmt.Sprintf("%s has no program streamlab knows how to run: it needs a %s with `run: COMMAND`, a Go program (go.mod or *.go) or a main.py", dir, ConfigFile)
		if only := onlyFolder(dir); only != "" {
			s.Problem += fmt.Sprintf("; it holds a single folder, %s: was the submission unpacked one level too deep?", only)
		}
		if exists(filepath.Join(dir, "HEAD")) && isDir(filepath.Join(dir, "objects")) {
			s.Problem += "; it is a git repository without a working tree: name it in --repos (or as file://PATH in --list) to grade what is committed"
		}
	}
	return s
}

func readConfig(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("reading %s: %v", file, err)
	}
	var c map[string]any
	if err := yaml.Unmarshal(b, &c); err != nil {
		return "", fmt.Errorf("%s is not YAML (%v): it holds `run: COMMAND`", file, err)
	}
	for k := range c {
		if k != "run" { // a misspelt key would silently mean the default run
			return "", fmt.Errorf("%s: unknown key %q: the file holds only `run: COMMAND`", file, k)
		}
	}
	run, ok := c["run"].(string)
	if !ok || strings.TrimSpace(run) == "" {
		return "", fmt.Errorf("%s has no `run: COMMAND`: say how the program starts, e.g. run: python3 main.py", file)
	}
	return strings.TrimSpace(run), nil
}

var unsafePrefix = regexp.MustCompile(`[^a-z0-9]+`)

// maxPrefix keeps names well inside Kafka's and Pulsar's limits (and
// within a learner name's 31 characters) with the run's own parts added.
const maxPrefix = 24

// assignPrefixes gives each submission a name prefix made of its name,
// with a short hash of the name added where two names read alike once
// reduced to the characters every broker accepts ("Ada L" and "ada-l").
func assignPrefixes(subs []Submission) {
	base := make([]string, len(subs))
	cut := make([]bool, len(subs))
	count := map[string]int{}
	for i, s := range subs {
		b := strings.Trim(unsafePrefix.ReplaceAllString(strings.ToLower(s.Name), "-"), "-")
		if b == "" {
			b = "sub"
		}
		if len(b) > maxPrefix-5 { // room for the hash
			b, cut[i] = strings.TrimRight(b[:maxPrefix-5], "-"), true
		}
		base[i] = b
		count[b]++
	}
	for i := range subs {
		p := base[i]
		if count[p] > 1 || cut[i] {
			sum := sha256.Sum256([]byte(subs[i].Name))
			p += "-" + hex.EncodeToString(sum[:2])
		}
		subs[i].Prefix = p
	}
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func hasGoFiles(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(m) > 0
}

// onlyFolder is the one entry of dir when it is a folder, else "".
func onlyFolder(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var visible []os.DirEntry
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			visible = append(visible, e)
		}
	}
	if len(visible) == 1 && visible[0].IsDir() {
		return filepath.Join(dir, visible[0].Name())
	}
	return ""
}
