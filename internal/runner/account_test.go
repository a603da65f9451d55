package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stranger is an account no one on the machine has: setuid needs no
// entry in /etc/passwd.
var stranger = &Account{Name: "streamlab-test", UID: 64123, GID: 64123}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("running a program as another user needs root; run the tests as root to cover it")
	}
}

// openDir is a temporary folder any user may pass through, so that what
// a test sees is decided by the modes it sets below it.
func openDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	for _, p := range []string{filepath.Dir(d), d} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// A program run as an account is that user, in that user's home, and
// cannot read what only streamlab's user may.
func TestRunAsAccount(t *testing.T) {
	needRoot(t)
	home := openDir(t)
	if err := os.Chown(home, int(stranger.UID), int(stranger.GID)); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(openDir(t), "secret")
	if err := os.WriteFile(secret, []byte("root's"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := *stranger
	a.Home = home
	t.Setenv("GOCACHE", "/root/.cache/go-build")
	res, err := Run(context.Background(), Command{
		Shell: `echo "$(id -u):$(id -g):$(id -G) $HOME $USER ${GOCACHE:-none}"; cat ` + secret + ` || echo refused; sleep 30 & echo started`,
		Dir:   home, Timeout: 10 * time.Second, As: &a,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "64123:64123:64123 " + home + " streamlab-test none"
	if !strings.Contains(res.Output, want) {
		t.Fatalf("output %q, want it to start with %q", res.Output, want)
	}
	if strings.Contains(res.Output, "root's") || !strings.Contains(res.Output, "refused") {
		t.Fatalf("the account read streamlab's file: %q", res.Output)
	}
	// The supervisor, still root, stopped the account's background child.
	if pids := processesOf(t, stranger.UID); len(pids) > 0 {
		t.Fatalf("processes of the account left running: %v", pids)
	}
}

// Do writes as the account: what it creates is the account's, and a
// folder only root may write stays closed to it.
func TestDoActsAsAccount(t *testing.T) {
	needRoot(t)
	mine := openDir(t)
	if err := os.Chown(mine, int(stranger.UID), int(stranger.GID)); err != nil {
		t.Fatal(err)
	}
	closed := openDir(t) // root's, closed below
	if err := os.Chmod(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	err := stranger.Do(func() error {
		if err := os.WriteFile(filepath.Join(mine, "f"), []byte("x"), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(closed, "f"), []byte("x"), 0o644); err == nil {
			t.Error("the account wrote into root's closed folder")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(mine, "f"))
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != stranger.UID || st.Gid != stranger.GID {
		t.Fatalf("file owned by %d:%d, want the account's", st.Uid, st.Gid)
	}
	// The caller's own thread kept root's permissions.
	if err := os.WriteFile(filepath.Join(closed, "g"), []byte("x"), 0o644); err != nil {
		t.Fatalf("root lost its own permissions after Do: %v", err)
	}
}

// processesOf lists the live processes whose real user is uid.
func processesOf(t *testing.T, uid uint32) []string {
	t.Helper()
	var pids []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		fi, err := os.Stat(filepath.Join("/proc", e.Name()))
		if err != nil || !fi.IsDir() || strings.Trim(e.Name(), "0123456789") != "" {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid == uid {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// An account's programs share a cap on processes, so a fork bomb stops
// there, and a cap on a file's size; the runner still stops them all.
func TestAccountLimits(t *testing.T) {
	needRoot(t)
	dir := openDir(t)
	if err := os.Chown(dir, int(stranger.UID), int(stranger.GID)); err != nil {
		t.Fatal(err)
	}
	a := *stranger
	a.Home, a.MaxProcs, a.MaxFileBytes = dir, 40, 1<<20
	// sh gives up at the first fork refused; each child that started
	// left a line.
	res, err := Run(context.Background(), Command{
		Shell: `i=0; while [ $i -lt 200 ]; do sh -c 'echo >> started; exec sleep 30' & i=$((i+1)); done; wait`,
		Dir:   dir, Timeout: 20 * time.Second, As: &a,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "started"))
	n := strings.Count(string(b), "\n")
	t.Logf("%d processes started before the cap refused one", n)
	if n == 0 || n >= 40 || res.Success() {
		t.Errorf("the account started %d processes with a cap of 40 (%s):\n%s", n, res.Describe(0), res.Output)
	}
	if pids := processesOf(t, stranger.UID); len(pids) > 0 {
		t.Fatalf("processes of the account left running: %v", pids)
	}

	res, err = Run(context.Background(), Command{Shell: `head -c 3000000 /dev/zero > big`, Dir: dir, Timeout: 20 * time.Second, As: &a})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "big"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 1<<20 || res.Success() {
		t.Errorf("with a cap of 1 MiB a file of 3 MB ended %s at %d bytes", res.Describe(0), fi.Size())
	}
}
