package gradebook_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/internal/gradebook"
)

// A Python submission's requirements.txt is checked against the python3
// it runs with, which a test gives a package by a dist-info folder on
// PYTHONPATH, as pip leaves one.
func TestDetectChecksPythonRequirements(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	site := t.TempDir()
	write(t, site, map[string]string{"present_pkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: present-pkg\nVersion: 1.0\n"})
	t.Setenv("PYTHONPATH", site)
	reqs := "# what main.py needs\npresent-pkg>=1.0  # a comment\nPresent_Pkg[extra]==1.0\n-r more.txt\n--index-url https://example.com/simple\n" +
		"git+https://example.com/x.git\n./vendored\n\nabsent-pkg-xyz==2.0 ; python_version >= \"3\"\n"
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"ok/main.py": "", "ok/requirements.txt": "present-pkg\n",
		"missing/main.py": "", "missing/requirements.txt": reqs,
		"yaml/streamlab.yaml": "run: PYTHONUNBUFFERED=1 python3 app.py\n", "yaml/requirements.txt": reqs,
		"venv/streamlab.yaml": "run: .venv/bin/python app.py\n", "venv/requirements.txt": reqs,
		"none/main.py": "", "none/requirements.txt": "# nothing\n",
	})
	for name, want := range map[string]string{"ok": "", "missing": "absent-pkg-xyz", "yaml": "absent-pkg-xyz", "venv": "", "none": ""} {
		s := gradebook.Detect(name, filepath.Join(dir, name))
		switch {
		case want == "" && s.Problem != "":
			t.Errorf("%s: %s", name, s.Problem)
		case want != "" && (!strings.Contains(s.Problem, "names "+want+", which") || strings.Contains(s.Problem, "present") || !strings.Contains(s.Problem, "installs nothing")):
			t.Errorf("%s: problem %q should name %s alone and say that nothing is installed", name, s.Problem, want)
		}
	}

	t.Setenv("PATH", t.TempDir()) // no python3 at all
	if s := gradebook.Detect("missing", filepath.Join(dir, "missing")); !strings.Contains(s.Problem, "python3, which is not on PATH") {
		t.Errorf("no python3: %q", s.Problem)
	}
	if s := gradebook.Detect("plain", filepath.Join(dir, "none")); s.Problem != "" || s.Kind != gradebook.KindPython {
		t.Errorf("a requirements.txt that names nothing needs no python3 to check it: %+v", s)
	}
}

// A Java project is not built by the grade: its error says what to
// write in streamlab.yaml.
func TestDetectTellsAJavaProjectWhatToRun(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"mvn/pom.xml": "<project/>", "mvn/src/main/java/Main.java": "",
		"gradle/build.gradle.kts": "", "gradle/src/main/java/Main.java": "",
		"told/pom.xml": "<project/>", "told/streamlab.yaml": "run: java -jar app.jar\n",
	})
	for name, want := range map[string][]string{
		"mvn":    {"is a Maven project without a streamlab.yaml", "run: mvn -q compile exec:java", "java -jar target/"},
		"gradle": {"is a Gradle project", "run: ./gradlew -q run"},
	} {
		s := gradebook.Detect(name, filepath.Join(dir, name))
		for _, w := range want {
			if !strings.Contains(s.Problem, w) {
				t.Errorf("%s: problem %q should say %q", name, s.Problem, w)
			}
		}
	}
	if s := gradebook.Detect("told", filepath.Join(dir, "told")); s.Problem != "" || s.Run != "java -jar app.jar" {
		t.Errorf("a Java project with its run: %+v", s)
	}
}
