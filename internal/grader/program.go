package grader

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/runner"
)

// programKeep is how long a built program no check has used is kept.
const programKeep = 7 * 24 * time.Hour

// builtProgram is where a learner's program folder is built: one stable
// path per folder, so that the go command, which leaves an up-to-date
// binary alone, does not link an unchanged program again (linking is most
// of a check's time on a kept-up cluster). The folder is locked from the
// build until the program has run, so two checks of one folder at once
// take turns instead of running a binary the other is rewriting.
type builtProgram struct {
	Path string
	lock *os.File
}

// openProgram locks the build folder of dir under root (the user's cache
// when root is ""). With an account, the folder is the account's to
// write: it is made and opened with the account's permissions.
func openProgram(root, dir string, as *runner.Account) (*builtProgram, error) {
	root, folder, err := programFolder(root, dir)
	if err != nil {
		return nil, err
	}
	var f *os.File
	err = as.Do(func() error {
		if err := os.MkdirAll(folder, 0o755); err != nil {
			return err
		}
		prune(root, folder)
		f, err = os.OpenFile(filepath.Join(folder, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	now := time.Now()
	_ = os.Chtimes(folder, now, now) // marks it used, for prune
	return &builtProgram{Path: filepath.Join(folder, "program"), lock: f}, nil
}

// ProgramPath is where the program in dir is built (cache "" is the
// user's cache folder).
func ProgramPath(cache, dir string) (string, error) {
	_, folder, err := programFolder(cache, dir)
	return filepath.Join(folder, "program"), err
}

func programFolder(root, dir string) (string, string, error) {
	if root == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", "", fmt.Errorf("no cache folder for built programs: %w", err)
		}
		root = filepath.Join(cache, "streamlab", "programs")
	}
	sum := sha256.Sum256([]byte(dir))
	return root, filepath.Join(root, hex.EncodeToString(sum[:8])), nil
}

// Close lets the next check of the folder build.
func (p *builtProgram) Close() {
	if p != nil && p.lock != nil {
		p.lock.Close() // closing the file releases the lock
	}
}

// prune removes the build folders of programs no check used for a week,
// so grading a class does not fill the cache for good. A folder that is
// locked is in use and is skipped.
func prune(root, keep string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		folder := filepath.Join(root, e.Name())
		if !e.IsDir() || folder == keep {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < programKeep {
			continue
		}
		f, err := os.Open(filepath.Join(folder, "lock"))
		if err == nil {
			if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
				f.Close()
				continue
			}
		}
		_ = os.RemoveAll(folder)
		if f != nil {
			f.Close()
		}
	}
}

// Prebuild builds an exercise's Go program in dir into the path a check
// would build it to, so that a check soon after finds it up to date: a
// UI calls it when the learner saves, and the link (most of a check's
// time) happens before the key press rather than after. Only the default
// Go build is done ahead: a spec's own build command may need what only
// a run has. A failed build is not reported: the check will report it.
func Prebuild(ctx context.Context, ex *catalogue.Exercise, dir, cache string, as *runner.Account) error {
	if ex.Build != catalogue.DefaultBuild {
		return nil
	}
	bp, err := openProgram(cache, dir, as)
	if err != nil {
		return err
	}
	defer bp.Close()
	_, err = runner.Run(ctx, runner.Command{Shell: ex.Build, Dir: dir, Env: []string{"STREAMLAB_PROGRAM=" + bp.Path}, Timeout: 5 * time.Minute, As: as})
	return err
}
