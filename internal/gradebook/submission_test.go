package gradebook_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/internal/gradebook"
)

// write creates files under dir: name → content ("/" in names makes folders).
func write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func byName(subs []gradebook.Submission) map[string]gradebook.Submission {
	m := map[string]gradebook.Submission{}
	for _, s := range subs {
		m[s.Name] = s
	}
	return m
}

func TestDiscoverTellsHowEachSubmissionRuns(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"ada/streamlab.yaml":     "run: node produce.js\n",
		"ada/main.py":            "print('not me: streamlab.yaml wins')\n",
		"bob/go.mod":             "module bob\n",
		"bob/main.go":            "package main\n",
		"cy/main.go":             "package main\n", // no go.mod: the module is looked for above, by the check
		"dee/main.py":            "print()\n",
		"eve/notes.txt":          "no program\n",
		"fay/fay-main/main.py":   "print()\n",
		"gus/streamlab.yaml":     "runn: python3 x.py\n",
		"hal/streamlab.yaml":     "",
		"ivy/streamlab.yaml":     "run: [unclosed\n",
		".git/config":            "",
		"results/ada/grade.json": "{}",
		"README.md":              "the class\n",
	})
	subs, notes, err := gradebook.Discover(dir, filepath.Join(dir, "results"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range subs {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "ada bob cy dee eve fay gus hal ivy" {
		t.Fatalf("submissions %q: hidden folders and --out are not submissions, and they are sorted", got)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "README.md") {
		t.Errorf("notes %q should name the file that is not a submission", notes)
	}
	m := byName(subs)
	for name, want := range map[string]struct{ kind, run string }{
		"ada": {gradebook.KindConfig, "node produce.js"},
		"bob": {gradebook.KindGo, ""},
		"cy":  {gradebook.KindGo, ""},
		"dee": {gradebook.KindPython, "python3 main.py"},
	} {
		s := m[name]
		if s.Kind != want.kind || s.Run != want.run || s.Problem != "" {
			t.Errorf("%s: kind %q run %q problem %q, want kind %q run %q", name, s.Kind, s.Run, s.Problem, want.kind, want.run)
		}
		if s.Dir != filepath.Join(dir, name) {
			t.Errorf("%s: dir %s", name, s.Dir)
		}
	}
	for name, want := range map[string][]string{
		"eve": {filepath.Join(dir, "eve"), "no program", "streamlab.yaml", "main.py"},
		"fay": {filepath.Join(dir, "fay"), "one level too deep", "fay-main"},
		"gus": {filepath.Join(dir, "gus", "streamlab.yaml"), "runn"},
		"hal": {filepath.Join(dir, "hal", "streamlab.yaml"), "no `run: COMMAND`"},
		"ivy": {filepath.Join(dir, "ivy", "streamlab.yaml")},
	} {
		s := m[name]
		for _, w := range want {
			if !strings.Contains(s.Problem, w) {
				t.Errorf("%s: problem %q should say %q", name, s.Problem, w)
			}
		}
	}
}

func TestDiscoverRefusesAFolderWithNoSubmission(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"notes.txt": ""})
	if _, _, err := gradebook.Discover(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("want an error naming %s, got %v", dir, err)
	}
	if _, _, err := gradebook.Discover(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing folder should be an error")
	}
}

func TestFromList(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"a/ada/main.py": "", "b/bob/main.py": "", "b/ada/main.py": ""})
	list := filepath.Join(dir, "list.txt")
	write(t, dir, map[string]string{"list.txt": "# the class\n\na/ada\n  " + filepath.Join(dir, "b", "bob") + "  \n"})
	subs, err := gradebook.FromList(list)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 || subs[0].Name != "ada" || subs[0].Dir != filepath.Join(dir, "a", "ada") || subs[1].Name != "bob" {
		t.Fatalf("subs %+v", subs)
	}

	write(t, dir, map[string]string{"list.txt": "a/ada\nb/ada\n"})
	if _, err := gradebook.FromList(list); err == nil || !strings.Contains(err.Error(), `two submissions are named "ada"`) {
		t.Fatalf("two folders of one name: %v", err)
	}
	write(t, dir, map[string]string{"list.txt": "a/ada\nc/nobody\n"})
	if _, err := gradebook.FromList(list); err == nil || !strings.Contains(err.Error(), list+":2") || !strings.Contains(err.Error(), filepath.Join(dir, "c", "nobody")) {
		t.Fatalf("a missing folder should be named with its line: %v", err)
	}
	write(t, dir, map[string]string{"list.txt": "# nobody\n"})
	if _, err := gradebook.FromList(list); err == nil {
		t.Fatal("an empty list should be an error")
	}
}

// A linked submission is graded where it really is: a Go program there
// finds its module.
func TestDiscoverFollowsALinkedFolder(t *testing.T) {
	real := t.TempDir()
	write(t, real, map[string]string{"go.mod": "module x\n", "prog/main.go": "package main\n"})
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(real, "prog"), filepath.Join(dir, "ada")); err != nil {
		t.Fatal(err)
	}
	subs, _, err := gradebook.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.EvalSymlinks(filepath.Join(real, "prog"))
	if len(subs) != 1 || subs[0].Name != "ada" || subs[0].Dir != want || subs[0].Kind != gradebook.KindGo {
		t.Fatalf("subs %+v", subs)
	}
}

var learnerName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

func TestPrefixesAreSafeAndUnique(t *testing.T) {
	dir := t.TempDir()
	names := []string{"Ada L", "ada-l", "ADA_L", "Bob", "=cmd", "---", "Ünïcode", strings.Repeat("long-name-", 8), strings.Repeat("long-name-", 8) + "2"}
	for _, n := range names {
		write(t, dir, map[string]string{n + "/main.py": ""})
	}
	subs, _, err := gradebook.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, s := range subs {
		if !learnerName.MatchString(s.Prefix) {
			t.Errorf("%q: prefix %q is not a name every broker accepts", s.Name, s.Prefix)
		}
		if prev, ok := seen[s.Prefix]; ok {
			t.Errorf("%q and %q share the prefix %q", prev, s.Name, s.Prefix)
		}
		seen[s.Prefix] = s.Name
	}
	if m := byName(subs); m["Bob"].Prefix != "bob" {
		t.Errorf("a plain name should be its own prefix: %q", m["Bob"].Prefix)
	}
}
