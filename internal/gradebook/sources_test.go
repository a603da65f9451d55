package gradebook_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/internal/gradebook"
	"github.com/streamlab/streamlab/internal/result"
)

// gitEnv makes the tests' git ignore the user's configuration and commit
// under a fixed name.
func gitEnv(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	for k, v := range map[string]string{
		"GIT_CONFIG_GLOBAL": os.DevNull, "GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
		"GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
	} {
		t.Setenv(k, v)
	}
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// workRepo is a repository with a working tree at dir, its files
// committed on main.
func workRepo(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gitIn(t, dir, "init", "-q", "-b", "main")
	commit(t, dir, files)
}

func commit(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	write(t, dir, files)
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "work")
}

// bareRepo is a bare repository at path (as a forge serves one) holding
// the files on main, and the work repository it was made from.
func bareRepo(t *testing.T, path string, files map[string]string) (work string) {
	t.Helper()
	work = path + "-work"
	workRepo(t, work, files)
	gitIn(t, filepath.Dir(path), "clone", "-q", "--bare", work, path)
	gitIn(t, work, "remote", "add", "origin", path)
	return work
}

var commitID = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Repositories in a list and a file of repositories are cloned shallow,
// with what is committed only, named after the repository (made unique
// when two clash) or as the list says; one that cannot be cloned is its
// own problem, naming its URL and git's message and never a password.
func TestGatherClonesRepositories(t *testing.T) {
	gitEnv(t)
	root := t.TempDir()
	bareRepo(t, filepath.Join(root, "forge", "ada.git"), map[string]string{"main.py": "print('ada')\n"})
	// A work repository with changes not committed: they are not graded.
	bob := filepath.Join(root, "bob")
	workRepo(t, bob, map[string]string{"main.py": "print('committed')\n"})
	write(t, bob, map[string]string{"main.py": "print('not committed')\n", "extra.py": ""})
	cy := bareRepo(t, filepath.Join(root, "forge", "cy.git"), map[string]string{"main.py": "print('main')\n"})
	gitIn(t, cy, "checkout", "-q", "-b", "fixed")
	commit(t, cy, map[string]string{"main.py": "print('fixed')\n"})
	gitIn(t, cy, "push", "-q", "origin", "fixed")
	for _, owner := range []string{"one", "two"} {
		bareRepo(t, filepath.Join(root, "forge", owner, "streams.git"), map[string]string{"go.mod": "module s\n", "main.go": "package main\n"})
	}
	write(t, root, map[string]string{"folders/dee/main.py": "", "folders/Ed Sheeran/main.py": ""})

	forge := "file://" + filepath.ToSlash(filepath.Join(root, "forge"))
	write(t, root, map[string]string{
		"list.txt": "# folders and repositories\nfolders/dee\nfolders/Ed Sheeran\n" + forge + "/ada.git\nCy Young " + forge + "/cy.git#fixed\n",
		"repos.txt": "bob\n" + forge + "/one/streams.git\n" + forge + "/two/streams.git\nnobody.git\n" +
			"https://ada:s3cr3t-token@127.0.0.1:1/ada/private.git\n",
	})
	out := filepath.Join(root, "results")
	var told []string
	class, err := gradebook.Gather(context.Background(), gradebook.Sources{
		List: filepath.Join(root, "list.txt"), Repos: filepath.Join(root, "repos.txt"), Out: out,
		Cloned: func(s gradebook.Submission) { told = append(told, s.Name) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer class.Close()
	m := byName(class.Submissions)
	var names []string
	for _, s := range class.Submissions {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "Cy Young,Ed Sheeran,ada,bob,dee,nobody,one-streams,private,two-streams" {
		t.Fatalf("names %q", got)
	}
	if len(told) != 7 {
		t.Errorf("told of %d clones, want 7: %q", len(told), told)
	}
	clones := filepath.Join(out, gradebook.CloneFolder)
	for name, want := range map[string]string{"ada": "print('ada')\n", "bob": "print('committed')\n", "Cy Young": "print('fixed')\n"} {
		s := m[name]
		if s.Problem != "" || s.Kind != gradebook.KindPython || s.Dir != filepath.Join(clones, name) {
			t.Errorf("%s: %+v", name, s)
			continue
		}
		if got := read(t, filepath.Join(s.Dir, "main.py")); got != want {
			t.Errorf("%s: main.py is %q, want %q (what is committed)", name, got, want)
		}
		if !commitID.MatchString(s.Commit) || !strings.HasPrefix(s.Source, "file://") {
			t.Errorf("%s: commit %q source %q", name, s.Commit, s.Source)
		}
	}
	if exists(filepath.Join(m["bob"].Dir, "extra.py")) {
		t.Error("bob: a file never committed was cloned")
	}
	if got := gitIn(t, m["bob"].Dir, "rev-list", "--count", "HEAD"); got != "1" {
		t.Errorf("bob: %s commits cloned, want 1 (shallow)", got)
	}
	if m["Cy Young"].Source != forge+"/cy.git#fixed" {
		t.Errorf("Cy Young: source %q", m["Cy Young"].Source)
	}
	for _, n := range []string{"one-streams", "two-streams"} {
		if m[n].Kind != gradebook.KindGo || m[n].Problem != "" {
			t.Errorf("%s: %+v", n, m[n])
		}
	}
	if !strings.Contains(strings.Join(class.Notes, "\n"), `graded as "one-streams"`) {
		t.Errorf("notes %q should say how a clashing name was made unique", class.Notes)
	}

	nobody := m["nobody"]
	t.Logf("what a failed clone says:\n%s\n%s", nobody.Problem, m["private"].Problem)
	for _, w := range []string{"cloning file://" + filepath.ToSlash(filepath.Join(root, "nobody.git")), "git says", "does not appear to be a git repository"} {
		if !strings.Contains(nobody.Problem, w) {
			t.Errorf("nobody: problem %q should say %q", nobody.Problem, w)
		}
	}
	private := m["private"]
	if strings.Contains(private.Problem, "s3cr3t") || strings.Contains(private.Source, "s3cr3t") || !strings.Contains(private.Problem, "https://***@127.0.0.1:1/ada/private.git") || !strings.Contains(private.Problem, "git says") {
		t.Errorf("private: problem %q source %q: the URL without its credentials, and git's message", private.Problem, private.Source)
	}

	// The next grade clones again, in the same place: a new commit is
	// what gets graded, and a clone that now fails leaves nothing behind.
	commit(t, filepath.Join(root, "forge", "ada.git-work"), map[string]string{"main.py": "print('ada 2')\n"})
	gitIn(t, filepath.Join(root, "forge", "ada.git-work"), "push", "-q", "origin", "main")
	if err := os.RemoveAll(filepath.Join(root, "forge", "cy.git")); err != nil {
		t.Fatal(err)
	}
	again, err := gradebook.Gather(context.Background(), gradebook.Sources{List: filepath.Join(root, "list.txt"), Out: out})
	if err != nil {
		t.Fatal(err)
	}
	m2 := byName(again.Submissions)
	if s := m2["ada"]; s.Dir != m["ada"].Dir || read(t, filepath.Join(s.Dir, "main.py")) != "print('ada 2')\n" || s.Commit == m["ada"].Commit {
		t.Errorf("ada again: %+v", s)
	}
	if s := m2["Cy Young"]; s.Problem == "" || exists(s.Dir) {
		t.Errorf("Cy Young again: problem %q, clone left at %s: %t", s.Problem, s.Dir, exists(s.Dir))
	}
	if leftovers, _ := filepath.Glob(filepath.Join(clones, ".*")); len(leftovers) != 0 {
		t.Errorf("half-made clones left behind: %q", leftovers)
	}
}

// Without --out, the clones go to a temporary folder that Close removes.
func TestGatherWithoutOutRemovesItsClones(t *testing.T) {
	gitEnv(t)
	root := t.TempDir()
	bareRepo(t, filepath.Join(root, "ada.git"), map[string]string{"main.py": ""})
	write(t, root, map[string]string{"repos.txt": "ada.git\n"})
	class, err := gradebook.Gather(context.Background(), gradebook.Sources{Repos: filepath.Join(root, "repos.txt")})
	if err != nil {
		t.Fatal(err)
	}
	dir := class.Submissions[0].Dir
	if class.Submissions[0].Problem != "" || !exists(filepath.Join(dir, "main.py")) {
		t.Fatalf("%+v", class.Submissions[0])
	}
	if err := class.Close(); err != nil {
		t.Fatal(err)
	}
	if exists(dir) {
		t.Errorf("%s is left after Close", dir)
	}
	// The same repository named as a folder has no files to run: it says how
	// to name it instead.
	if s := gradebook.Detect("ada", filepath.Join(root, "ada.git")); !strings.Contains(s.Problem, "name it in --repos") {
		t.Errorf("a bare repository as a folder: %q", s.Problem)
	}
}

// A repository that cannot be cloned is its own error entry, graded
// beside the others; the grade goes on.
func TestGradeReportsARepositoryThatWasNotCloned(t *testing.T) {
	gitEnv(t)
	root := t.TempDir()
	bareRepo(t, filepath.Join(root, "pass-ada.git"), map[string]string{"main.py": ""})
	write(t, root, map[string]string{"repos.txt": "pass-ada.git\nfile:///nowhere/fail-bob.git\n"})
	class, err := gradebook.Gather(context.Background(), gradebook.Sources{Repos: filepath.Join(root, "repos.txt")})
	if err != nil {
		t.Fatal(err)
	}
	defer class.Close()
	f := newFake(t)
	entries, err := gradebook.Grade(context.Background(), gradebook.Options{Session: f, Exercise: f.ex, Jobs: 2, Out: filepath.Join(root, "out")}, class.Submissions)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]result.Result{}
	for _, e := range entries {
		got[e.Submission.Name] = e.Result
	}
	if got["pass-ada"].Status != result.Pass {
		t.Errorf("pass-ada: %s %s", got["pass-ada"].Status, got["pass-ada"].Message)
	}
	if r := got["fail-bob"]; r.Status != result.Error || !strings.Contains(r.Message, "cloning file:///nowhere/fail-bob.git") || !strings.Contains(r.Message, "git says") {
		t.Errorf("fail-bob: %s %q", r.Status, r.Message)
	}
	if len(f.checks()) != 1 {
		t.Errorf("%d checks run, want 1: the failed clone has nothing to run", len(f.checks()))
	}
	if gradebook.ExitCode(entries) != 2 {
		t.Error("a clone that failed is an error: exit 2")
	}
	rec := read(t, filepath.Join(root, "out", "pass-ada", gradebook.RecordFile))
	if !strings.Contains(rec, `"source": "file://`) || !strings.Contains(rec, `"commit": "`) || !strings.Contains(rec, `"streamlab": "`) {
		t.Errorf("grade.json should say what was graded:\n%s", rec)
	}
}

// A list's mistakes are the whole list's, with the file and line.
func TestReadingAListOfSourcesRefusesMistakes(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"ada/main.py": ""})
	list := filepath.Join(dir, "list.txt")
	for content, want := range map[string]string{
		"ada\nc/nobody\n": list + ":2: " + filepath.Join(dir, "c", "nobody") + " is not a folder",
		"ada\nx https://example.com/x.git#bad..ref\n": list + `:2: "bad..ref" after # is not a branch or tag name`,
		"ada\na/b https://example.com/x.git\n":        list + `:2: the name "a/b" holds a slash`,
		"ada\n.hidden https://example.com/x.git\n":    list + `:2: the name ".hidden" starts with a dot`,
		"ada\nada https://example.com/x.git\n":        list + `:2: two submissions are named "ada"`,
		"ada\nbob ssh://h/b.git\nbob git@h:c.git\n":   list + `:3: two submissions are named "bob"`,
		"# nothing\n": "names no submission",
	} {
		write(t, dir, map[string]string{"list.txt": content})
		class, err := gradebook.Gather(context.Background(), gradebook.Sources{List: list, Out: filepath.Join(dir, "out")})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", content, err, want)
		}
		_ = class.Close()
	}
	if _, err := gradebook.Gather(context.Background(), gradebook.Sources{}); err == nil {
		t.Error("no sources should be an error")
	}
	// FromList reads folders only: it cannot clone.
	write(t, dir, map[string]string{"list.txt": "ada\nhttps://example.com/x.git\n"})
	if _, err := gradebook.FromList(list); err == nil || !strings.Contains(err.Error(), list+":2") {
		t.Errorf("FromList with a repository: %v", err)
	}
}

func TestRedactHidesCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"https://ada:tok@github.com/ada/x.git":   "https://***@github.com/ada/x.git",
		"https://ghp_token@github.com/ada/x.git": "https://***@github.com/ada/x.git",
		"https://github.com/a@b/x.git":           "https://github.com/a@b/x.git",
		"ssh://git@host/x.git":                   "ssh://git@host/x.git",
		"ssh://git:pw@host/x.git":                "ssh://git:***@host/x.git",
		"git@github.com:ada/x.git":               "git@github.com:ada/x.git",
		"file:///srv/x.git":                      "file:///srv/x.git",
	} {
		if got := gradebook.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
