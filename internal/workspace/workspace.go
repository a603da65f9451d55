// Package workspace knows where a learner's exercise folders are on disk,
// and restores starters from the copy embedded in the binary.
package workspace

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/streamlab/streamlab/internal/catalogue"
)

// Root is the folder holding exercises/: $STREAMLAB_WORKSPACE, else the
// nearest folder at or above the current one that has an exercises/ folder,
// else the current folder.
func Root() string {
	if d := os.Getenv("STREAMLAB_WORKSPACE"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := wd; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, "exercises")); err == nil && fi.IsDir() {
			return d
		}
		if filepath.Dir(d) == d {
			return wd
		}
	}
}

// ExerciseDir is where an exercise's starter lives under root.
func ExerciseDir(root string, ex *catalogue.Exercise) string {
	return filepath.Join(root, filepath.FromSlash(ex.Dir))
}

// BackupRoot is where reset keeps the files it replaces: beside progress.
func BackupRoot(progressPath string) string {
	return filepath.Join(filepath.Dir(progressPath), "backups")
}

// Reset writes the exercise's starter files from content into target.
// Files it replaces are first copied under backupRoot, so a reset never
// loses a learner's work; the backup folder is returned ("" if nothing was
// replaced).
func Reset(content fs.FS, ex *catalogue.Exercise, target, backupRoot string) (string, error) {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return "", fmt.Errorf("reset: %w", err)
	}
	var backup string
	for _, f := range append([]string{catalogue.SpecFile}, ex.Files...) {
		starter, err := fs.ReadFile(content, path.Join(ex.Dir, f))
		if err != nil {
			return "", fmt.Errorf("reset: the starter %s is not in this binary: %w", f, err)
		}
		dst := filepath.Join(target, filepath.FromSlash(f))
		if old, err := os.ReadFile(dst); err == nil && string(old) != string(starter) {
			if backup == "" {
				backup = filepath.Join(backupRoot, filepath.FromSlash(ex.ID), time.Now().Format("20060102-150405"))
			}
			keep := filepath.Join(backup, filepath.FromSlash(f))
			if err := os.MkdirAll(filepath.Dir(keep), 0o755); err != nil {
				return "", fmt.Errorf("reset: keeping %s: %w", dst, err)
			}
			if err := os.WriteFile(keep, old, 0o644); err != nil {
				return "", fmt.Errorf("reset: keeping %s: %w", dst, err)
			}
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", fmt.Errorf("reset: %w", err)
		}
		if err := os.WriteFile(dst, starter, 0o644); err != nil {
			return "", fmt.Errorf("reset: %w", err)
		}
	}
	return backup, nil
}
