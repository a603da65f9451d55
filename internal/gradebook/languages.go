package gradebook

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// RequirementsFile lists the packages a Python submission needs. The
// grade installs nothing: each must already be installed for the
// python3 the program runs with (versions are not compared), so that a
// class is graded offline, the same way for everyone, and a missing
// package is the grading machine's error rather than the learner's fail.
const RequirementsFile = "requirements.txt"

// pythonOf is the interpreter a run command starts when it is a plain
// python3 or python from PATH (after any VAR=value), else "": another
// command's packages are its own business.
func pythonOf(run string) string {
	for _, f := range strings.Fields(run) {
		if strings.Contains(f, "=") {
			continue
		}
		if f == "python3" || f == "python" {
			return f
		}
		return ""
	}
	return ""
}

// requirementsProblem says which packages of dir's requirements.txt the
// python on PATH does not have, or "" when it has them all (or there is
// no such file).
func requirementsProblem(dir, python string) string {
	file := filepath.Join(dir, RequirementsFile)
	if !exists(file) {
		return ""
	}
	names, err := readRequirements(file)
	if err != nil {
		return fmt.Sprintf("reading %s: %v", file, err)
	}
	if len(names) == 0 {
		return ""
	}
	path, err := exec.LookPath(python)
	if err != nil {
		return fmt.Sprintf("%s names packages for %s, which is not on PATH", file, python)
	}
	missing, err := missingPackages(path, names)
	if err != nil {
		return fmt.Sprintf("checking the packages of %s with %s: %v", file, path, err)
	}
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf("%s names %s, which %s does not have: streamlab grade installs nothing, so install %s for that python (%s -m pip install %s), or put a python that has %s first on PATH",
		file, strings.Join(missing, ", "), path, them(missing), path, strings.Join(missing, " "), them(missing))
}

func them(names []string) string {
	if len(names) == 1 {
		return "it"
	}
	return "them"
}

var requirementName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*`)

// readRequirements is the package names of a requirements file. Options
// (-r, -e, --index-url, ...), URLs and local paths name no package the
// grade could look for, and are passed over.
func readRequirements(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), " #")
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-") || strings.Contains(line, "://") && !strings.Contains(line, " @ ") {
			continue
		}
		name := requirementName.FindString(line)
		if name == "" || strings.HasPrefix(line[len(name):], "/") {
			continue // ./pkg, pkg/sub: a path
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names, sc.Err()
}

// findMissing prints the distributions of argv that are not installed;
// importlib.metadata compares names as pip does (confluent-kafka is
// confluent_kafka).
const findMissing = `
import sys
from importlib import metadata
for name in sys.argv[1:]:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        print(name)
`

var (
	missingMu    sync.Mutex
	missingCache = map[string][]string{} // python and names → missing
)

// missingPackages asks python which of names it lacks. A class usually
// names the same packages again and again, so each question is asked
// once.
func missingPackages(python string, names []string) ([]string, error) {
	key := python + "\x00" + strings.Join(names, "\x00")
	missingMu.Lock()
	m, ok := missingCache[key]
	missingMu.Unlock()
	if ok {
		return m, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, append([]string{"-c", findMissing}, names...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			return nil, fmt.Errorf("%v: %s", err, oneLine(string(ee.Stderr)))
		}
		return nil, err
	}
	m = strings.Fields(string(out))
	missingMu.Lock()
	missingCache[key] = m
	missingMu.Unlock()
	return m, nil
}

// javaBuild names the Java build a folder holds, or "".
func javaBuild(dir string) string {
	switch {
	case exists(filepath.Join(dir, "pom.xml")):
		return "Maven"
	case exists(filepath.Join(dir, "build.gradle")), exists(filepath.Join(dir, "build.gradle.kts")),
		exists(filepath.Join(dir, "settings.gradle")), exists(filepath.Join(dir, "settings.gradle.kts")):
		return "Gradle"
	}
	return ""
}

// javaProblem says what run: a Java project needs: the grade does not
// build Java itself, as it cannot know the main class, and a build that
// fetches plugins on the grading machine is its own gamble.
func javaProblem(dir string) string {
	run, jar := "mvn -q compile exec:java -Dexec.mainClass=Main", "target/app.jar"
	if javaBuild(dir) == "Gradle" {
		run, jar = "./gradlew -q run", "build/libs/app.jar"
	}
	return fmt.Sprintf("%s is a %s project without a %s: streamlab grade builds Go and runs Python itself, and anything else with the command a %s gives. Add one that says how the program starts, e.g. `run: %s` (the build counts against the exercise's time limit, and its plugins and dependencies must be on the grading machine), or build a jar beforehand and `run: java -jar %s`",
		dir, javaBuild(dir), ConfigFile, ConfigFile, run, jar)
}
