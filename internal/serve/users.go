package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/streamlab/streamlab/internal/runner"
)

// With Options.Users, every learner is a Unix user of their own, made on
// their first visit: their programs, builds and editor run as that user,
// so one learner's program cannot read or change another's workspace,
// nor anyone's progress, whatever it tries. The server stays root and is
// the only one to write progress.
//
// Who owns what under Data (the server runs as root):
//
//	Data/                     root 0711  others may pass through, not list
//	  host_ed25519, *_keys    root 0600
//	  learners/               root 0711
//	    NAME/                 root 0711  the learner cannot swap what is below
//	      workspace/          NAME 0700  the learner's files
//	      home/               NAME 0700  HOME: go's caches, built programs
//	      state/              root 0700  progress, logs: the server's alone
//
// A learner's programs share the account's caps on processes and file
// size (runner.Account). What it does not cover: every learner's program
// still reaches the shared cluster, so a program that uses another
// learner's topic names reaches their topics; and there is no cap on a
// learner's CPU or memory beyond the check's time limit.

// userPrefix starts every learner's user name, so that an administrator
// sees whose they are and a learner name can never be a system user's.
const userPrefix = "streamlab-"

// UserName is the Unix user of a learner. useradd takes at most 32
// characters, so a long learner name is shortened and made unique with a
// hash of the whole.
func UserName(learner string) string {
	if n := userPrefix + learner; len(n) <= 32 {
		return n
	}
	sum := sha256.Sum256([]byte(learner))
	return "sl-" + strings.TrimRight(learner[:20], "-") + "-" + hex.EncodeToString(sum[:3])
}

// checkUsers says why the server cannot give learners users of their
// own, or nil when it can.
func checkUsers(data string) error {
	if os.Geteuid() != 0 {
		return errors.New("--users makes a Unix user for every learner and runs their programs as it, which needs root: run streamlab serve as root, or without --users")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		return errors.New("--users needs useradd (Debian and Ubuntu: apt install passwd), or run without --users")
	}
	abs, err := filepath.Abs(data)
	if err != nil {
		return err
	}
	// Learners' programs run in folders under data, so every folder above
	// it must let others pass.
	for d := filepath.Dir(abs); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("the data folder: %w", err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("with --users the learners' programs run in folders under %s, but %s lets no other user through (mode %s): choose a data folder such as /srv/streamlab with --data", abs, d, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// account is the learner's Unix user, made on their first visit, with
// their folders laid out as the comment above says.
func (s *Server) account(name string) (*runner.Account, error) {
	s.mu.Lock()
	a := s.accounts[name]
	s.mu.Unlock()
	if a != nil {
		return a, nil
	}
	p := LearnerPaths(s.opts.Data, name)
	a, err := ensureUser(name, p.Home)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(p.Root, 0o711); err != nil {
		return nil, err
	}
	if err := os.Chmod(p.Root, 0o711); err != nil {
		return nil, err
	}
	for _, d := range []string{p.Workspace, p.Home} {
		if err := giveFolder(d, a); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.accounts[name] = a
	s.mu.Unlock()
	return a, nil
}

// ensureUser finds the learner's user, or makes it (addUser). A user of
// that name whose home is elsewhere is someone else's, and is
// refused rather than taken over.
func ensureUser(learner, home string) (*runner.Account, error) {
	name := UserName(learner)
	u, err := user.Lookup(name)
	if errors.As(err, new(user.UnknownUserError)) {
		u, err = addUser(name, learner, home)
	}
	if err != nil {
		return nil, fmt.Errorf("the user %s for %s: %w", name, learner, err)
	}
	if u.HomeDir != home {
		return nil, fmt.Errorf("the user %s exists on this machine but is not this workshop's learner %s (its home is %s, not %s): remove it, or serve from its data folder", name, learner, u.HomeDir, home)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("the user %s: %w", name, err)
	}
	return &runner.Account{Name: name, UID: uint32(uid), GID: uint32(gid), Home: home}, nil
}

// giveFolder makes dir the account's, 0700. A folder made before the
// learner had a user (a workshop served without --users before) is
// handed over whole: no process of the account's exists yet to race the
// walk, and links are changed themselves, never followed.
func giveFolder(dir string, a *runner.Account) error {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
		return os.Chown(dir, int(a.UID), int(a.GID))
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a folder", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid == a.UID {
		return os.Chmod(dir, 0o700)
	}
	err = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(a.UID), int(a.GID))
	})
	if err != nil {
		return fmt.Errorf("handing %s to %s: %w", dir, a.Name, err)
	}
	return os.Chmod(dir, 0o700)
}

// addUser makes the learner's user: a system user with its own group, no
// login shell and no password, whose home is home.
func addUser(name, learner, home string) (*user.User, error) {
	shell := "/usr/sbin/nologin"
	if _, err := os.Stat(shell); err != nil {
		shell = "/bin/false"
	}
	out, err := exec.Command("useradd", "--system", "--user-group", "--no-create-home",
		"--home-dir", home, "--shell", shell, "--comment", "streamlab learner "+learner, name).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("useradd: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return user.Lookup(name)
}
