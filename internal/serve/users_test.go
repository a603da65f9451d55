package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/runner"
	"github.com/streamlab/streamlab/internal/workspace"
)

// needUsers skips a test of Options.Users where it cannot run.
func needUsers(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("serve --users makes Unix users and needs root; run the tests as root to cover it")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("serve --users needs useradd, which this machine lacks")
	}
}

// learnerNames are learner names no earlier run used, by the names given;
// their Unix users are removed when the test ends.
func learnerNames(t *testing.T, learners ...string) map[string]string {
	t.Helper()
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	names := map[string]string{}
	for _, l := range learners {
		name := l + "-" + hex.EncodeToString(suffix)
		names[l] = name
		t.Cleanup(func() {
			if out, err := exec.Command("userdel", UserName(name)).CombinedOutput(); err != nil && !strings.Contains(string(out), "does not exist") {
				t.Errorf("removing the user of %s: %v: %s", name, err, out)
			}
		})
	}
	return names
}

// usersServer is a server with Options.Users on a data folder that other
// users may pass through.
func usersServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	data := t.TempDir()
	if err := os.Chmod(filepath.Dir(data), 0o755); err != nil {
		t.Fatal(err)
	}
	opts.Data, opts.Users = data, true
	return startServer(t, opts)
}

// With --users a learner's program runs as the learner's own user: it
// cannot read or list another learner's workspace, nor write anyone's
// progress, its own included; the editor runs as the learner too.
func TestUsersIsolateLearners(t *testing.T) {
	needUsers(t)
	editor := filepath.Join(t.TempDir(), "editor")
	if err := os.WriteFile(editor, []byte("#!/bin/sh\nid -u > \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(editor), 0o755); err != nil {
		t.Fatal(err)
	}
	names := learnerNames(t, "ada", "bob")
	ts := usersServer(t, Options{
		Passcode: "open-sesame", Editor: []string{editor},
		Clusters: map[containers.Kind]Cluster{containers.Pulsar: {}}, // none the checks here reach
	})
	s := ts.srv
	accts := map[string]*runner.Account{}
	for _, l := range []string{"ada", "bob"} {
		a, err := s.learnerAccount(names[l])
		if err != nil {
			t.Fatal(err)
		}
		cs, err := s.open(names[l], a, s.log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cs.Close(context.Background()) })
		if err := os.WriteFile(filepath.Join(LearnerPaths(ts.data, names[l]).State, "progress.json"), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		accts[l] = a
	}
	ada, bob := LearnerPaths(ts.data, names["ada"]), LearnerPaths(ts.data, names["bob"])

	// The workspace the server wrote on the first visit is the learner's.
	cat, err := catalogue.Load(streamlab.Content)
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise(exerciseID)
	ws := workspace.New(ada.Workspace, streamlab.Content, workspace.Module{})
	file := filepath.Join(ws.ExerciseDir(ex), ex.Files[0])
	for _, p := range []string{ada.Workspace, ada.Home, file} {
		if uid := ownerOf(t, p); uid != accts["ada"].UID {
			t.Errorf("%s belongs to uid %d, not to ada's user %d", p, uid, accts["ada"].UID)
		}
	}
	if uid := ownerOf(t, ada.State); uid != 0 {
		t.Errorf("ada's progress folder belongs to uid %d, not to the server", uid)
	}

	// ada's program tries everything a learner might to reach bob's work
	// or forge progress; each attempt prints what became of it.
	probe := `try() { if eval "$2" >/dev/null 2>&1; then echo "$1: done"; else echo "$1: refused"; fi; }
try read-bob "cat ` + filepath.Join(bob.Workspace, "go.mod") + `"
try list-bob "ls ` + bob.Workspace + `"
try list-learners "ls ` + filepath.Dir(bob.Root) + `"
try write-bob "echo x >> ` + filepath.Join(bob.Workspace, "go.mod") + `"
try forge-own "echo '{}' > ` + filepath.Join(ada.State, "progress.json") + `"
try forge-bob "echo '{}' > ` + filepath.Join(bob.State, "progress.json") + `"
try read-hostkey "cat ` + filepath.Join(ts.data, "host_ed25519") + `"
try write-own "echo ok > ` + filepath.Join(ada.Workspace, "mine") + `"
echo "uid $(id -u)"`
	res, err := runner.Run(context.Background(), runner.Command{Shell: probe, Dir: ada.Workspace, Timeout: 20 * time.Second, As: accts["ada"]})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"read-bob: refused", "list-bob: refused", "list-learners: refused", "write-bob: refused",
		"forge-own: refused", "forge-bob: refused", "read-hostkey: refused", "write-own: done",
		"uid " + strconv.Itoa(int(accts["ada"].UID))} {
		if !strings.Contains(res.Output, want+"\n") {
			t.Errorf("ada's program: want %q in\n%s", want, res.Output)
		}
	}

	// The editor runs as ada.
	target := filepath.Join(ada.Workspace, "edited")
	cmd := editorCommand(context.Background(), s.opts.Editor, target, ada.Workspace, "xterm", nil, accts["ada"])
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the editor: %v: %s", err, out)
	}
	if b, _ := os.ReadFile(target); strings.TrimSpace(string(b)) != strconv.Itoa(int(accts["ada"].UID)) {
		t.Errorf("the editor ran as uid %q, not ada's %d", strings.TrimSpace(string(b)), accts["ada"].UID)
	}

	// A reset writes the starter back with ada's permissions: should she
	// swap her exercise's folder for a link to bob's, the server's write
	// goes nowhere she could not write herself, and bob's work stays.
	exDir := ws.ExerciseDir(ex)
	bobDir := workspace.New(bob.Workspace, streamlab.Content, workspace.Module{}).ExerciseDir(ex)
	bobFile := filepath.Join(bobDir, ex.Files[0])
	if err := os.WriteFile(bobFile, []byte("// bob's work\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(exDir); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bobDir, exDir); err != nil {
		t.Fatal(err)
	}
	cs, err := s.open(names["ada"], accts["ada"], s.log)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close(context.Background())
	_, err = cs.Reset(context.Background(), exerciseID)
	t.Logf("ada's reset through a link to bob's folder: %v", err)
	if b, _ := os.ReadFile(bobFile); string(b) != "// bob's work\n" {
		t.Errorf("ada's reset, through a link, changed bob's file to:\n%s", b)
	}
}

// A user of a learner's name that the workshop did not make is refused,
// not taken over; and --users is refused on a data folder learners could
// not reach.
func TestUsersRefuseWhatIsNotTheirs(t *testing.T) {
	needUsers(t)
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	name := "eve-" + hex.EncodeToString(suffix)
	if out, err := exec.Command("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", UserName(name)).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("userdel", UserName(name)).Run() })
	if _, err := ensureUser(name, "/srv/streamlab/learners/"+name+"/home"); err == nil || !strings.Contains(err.Error(), "is not this workshop's learner") {
		t.Errorf("a foreign user was taken: %v", err)
	}

	closed := t.TempDir() // under a 0700 folder
	if err := os.Chmod(filepath.Dir(closed), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := New(Options{Data: filepath.Join(closed, "data"), Users: true, Passcode: "x",
		Clusters: map[containers.Kind]Cluster{containers.Kafka: {}}, Editor: []string{"true"}})
	if err == nil || !strings.Contains(err.Error(), "lets no other user through") {
		t.Errorf("a data folder learners cannot reach: %v", err)
	}
}

func TestUserNameFitsUseradd(t *testing.T) {
	for _, l := range []string{"ada", "a-name-of-twenty-two-c", "a-rather-long-learner-name-of-31"} {
		n := UserName(l)
		if len(n) > 32 {
			t.Errorf("%s: %q is longer than useradd takes", l, n)
		}
	}
	if UserName("a-rather-long-learner-name-of-31") == UserName("a-rather-long-learner-name-of-3x") {
		t.Error("two long names share a user")
	}
}

func ownerOf(t *testing.T, p string) uint32 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Uid
}

// A learner with a user of their own checks over SSH as anyone would: the
// program is built and run as their user, on the workshop's real Kafka,
// and the editor opens in their terminal as them.
func TestLearnerChecksAsOwnUserOverSSH(t *testing.T) {
	needUsers(t)
	cl := localKafka(t)
	cat, err := catalogue.Load(streamlab.Content)
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise(exerciseID)
	key := newKey(t)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	editor := filepath.Join(dir, "editor")
	if err := os.WriteFile(editor, []byte("#!/bin/sh\nstty size > \"$HOME/.editor-saw\" 2>&1; id -u >> \"$HOME/.editor-saw\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	names := learnerNames(t, "ada")
	allow := filepath.Join(dir, "allow")
	if err := os.WriteFile(allow, []byte(authorizedLine(key, `name="`+names["ada"]+`"`, "")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := usersServer(t, Options{
		Allow: allow, Editor: []string{editor}, MaxChecks: 1,
		Clusters: map[containers.Kind]Cluster{containers.Kafka: {Cluster: cl, Provider: "local"}},
	})
	l, err := dial(t, ts.addr, names["ada"], key, nil, 100, 40)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.close)
	l.waitFor(30*time.Second, "Your course")
	copySolution(t, ts.data, names["ada"], ex)
	p := LearnerPaths(ts.data, names["ada"])
	a, err := ts.srv.learnerAccount(names["ada"])
	if err != nil {
		t.Fatal(err)
	}

	l.openExercise(cat, exerciseID)
	l.press("e")
	waitFile(t, filepath.Join(p.Home, ".editor-saw"), "40 100\n"+strconv.Itoa(int(a.UID)))
	// The first build fetches and compiles the course's modules into the
	// learner's own home.
	l.press("c")
	l.waitFor(5*time.Minute, "✓ passed · 8/8 points")
	built := filepath.Join(p.Home, ".cache", "streamlab", "programs")
	entries, err := os.ReadDir(built)
	if err != nil || len(entries) == 0 {
		t.Fatalf("no program built in the learner's home (%s): %v", built, err)
	}
	if uid := ownerOf(t, filepath.Join(built, entries[0].Name(), "program")); uid != a.UID {
		t.Errorf("the built program belongs to uid %d, not the learner's %d", uid, a.UID)
	}
}
