package grader

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
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
// when root is "").
func openProgram(root, dir string) (*builtProgram, error) {
	if root == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no cache folder for built programs: %w", err)
		}
		root = filepath.Join(cache, "streamlab", "programs")
	}
	sum := sha256.Sum256([]byte(dir))
	folder := filepath.Join(root, hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return nil, err
	}
	prune(root, folder)
	f, err := os.OpenFile(filepath.Join(folder, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
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
