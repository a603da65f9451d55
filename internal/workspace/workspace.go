// Package workspace is the learner's own folder: every exercise's starter
// files, written from the copy embedded in the binary, a go.mod that lets
// the Go ones build offline, and — once an exercise passed or the learner
// gave up — its reference solution. streamlab never edits the course
// source; it writes only here, and never over the learner's work without
// keeping a copy.
package workspace

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/safefile"
)

// Marker names the file that makes a folder a streamlab workspace.
const Marker = ".streamlab-workspace"

// ModulePath is the Go module a workspace declares.
const ModulePath = "streamlab-workspace"

// DefaultRoot is ~/streamlab-workspace: beside a clone of the course
// (usually ~/streamlab), never inside it, and visible, because the learner
// opens it in an editor every day.
func DefaultRoot() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "streamlab-workspace")
	}
	return filepath.Join(home, "streamlab-workspace")
}

// Module is what a workspace needs to build Go programs offline: a go.mod
// and go.sum that pin every module at the version streamlab itself was
// built with, so the module cache that built streamlab has them all.
type Module struct {
	GoMod, GoSum []byte
}

// ModuleFrom derives the workspace's module from streamlab's own go.mod
// and go.sum: the same requirements under another module path.
func ModuleFrom(gomod, gosum []byte) Module {
	lines := strings.SplitAfter(string(gomod), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "module ") {
			lines[i] = "module " + ModulePath + "\n"
			break
		}
	}
	return Module{GoMod: []byte(strings.Join(lines, "")), GoSum: gosum}
}

// Workspace is a learner's folder.
type Workspace struct {
	Root    string
	content fs.FS // the course as shipped
	module  Module
	now     func() time.Time
}

// New returns the workspace at root; it creates nothing until Init.
func New(root string, content fs.FS, mod Module) *Workspace {
	return &Workspace{Root: root, content: content, module: mod, now: time.Now}
}

// Exists reports whether Init has made root a workspace.
func (w *Workspace) Exists() bool {
	_, err := os.Stat(filepath.Join(w.Root, Marker))
	return err == nil
}

// ExerciseDir is where the learner edits an exercise: ROOT/kafka/02-keyed-producer.
func (w *Workspace) ExerciseDir(ex *catalogue.Exercise) string {
	return filepath.Join(w.Root, ex.Track, path.Base(ex.Dir))
}

// SolutionDir is where an exercise's reference solution is written once it
// may be seen: ROOT/solutions/kafka/02-keyed-producer.
func (w *Workspace) SolutionDir(ex *catalogue.Exercise) string {
	return filepath.Join(w.Root, "solutions", ex.Track, path.Base(ex.Dir))
}

// BackupRoot holds the files reset replaced. Its name starts with a dot so
// `go build ./...` in the workspace skips it.
func (w *Workspace) BackupRoot() string { return filepath.Join(w.Root, ".backups") }

// InitReport says what Init wrote and what it left alone.
type InitReport struct {
	Created bool     // the workspace did not exist before
	Written []string // files written, relative to the root
	Kept    []string // files that were already there (the learner's), untouched
}

// Init makes root a workspace, or completes one: every file that is
// missing is written, and nothing that exists is touched. Running it
// again after an update of streamlab adds the new exercises.
func (w *Workspace) Init(cat *catalogue.Catalogue) (InitReport, error) {
	rep := InitReport{Created: !w.Exists()}
	if err := os.MkdirAll(w.Root, 0o755); err != nil {
		return rep, fmt.Errorf("creating the workspace: %w", err)
	}
	write := func(rel string, data []byte) error {
		dst := filepath.Join(w.Root, filepath.FromSlash(rel))
		if _, err := os.Lstat(dst); err == nil {
			rep.Kept = append(rep.Kept, rel)
			return nil
		}
		if err := writeNew(dst, data); err != nil {
			return fmt.Errorf("creating the workspace: %w", err)
		}
		rep.Written = append(rep.Written, rel)
		return nil
	}
	if len(w.module.GoMod) > 0 {
		if err := write("go.mod", w.module.GoMod); err != nil {
			return rep, err
		}
		if err := write("go.sum", w.module.GoSum); err != nil {
			return rep, err
		}
	}
	if err := write("README.md", []byte(readme)); err != nil {
		return rep, err
	}
	for _, ex := range cat.Exercises {
		for _, f := range starterFiles(ex) {
			data, err := fs.ReadFile(w.content, path.Join(ex.Dir, f))
			if err != nil {
				return rep, fmt.Errorf("the starter %s of %s is not in this binary: %w", f, ex.ID, err)
			}
			rel := path.Join(ex.Track, path.Base(ex.Dir), f)
			if err := write(rel, data); err != nil {
				return rep, err
			}
		}
	}
	// The marker last: a workspace is complete once it exists.
	if err := write(Marker, []byte("streamlab workspace, version 1\n")); err != nil {
		return rep, err
	}
	return rep, nil
}

const readme = `# Your streamlab workspace

Each folder here is one exercise: edit its files, then check it with
streamlab (the c key in the course, or ` + "`streamlab check ID`" + `).

- ` + "`streamlab reset ID`" + ` puts the starter back; your files are kept
  in .backups/ first.
- solutions/ receives an exercise's reference solution once your program
  has passed (or once you chose to give up and see it).
- go.mod pins the client libraries streamlab was built with, so the Go
  programs build here without a network.
`

func starterFiles(ex *catalogue.Exercise) []string {
	return append([]string{catalogue.SpecFile}, ex.Files...)
}

// Reset writes the exercise's pristine starter files into its folder.
// Files it replaces are first copied under BackupRoot, so a reset never
// loses a learner's work; the backup folder is returned ("" if nothing was
// replaced). It never writes outside the exercise's folder: a file that is
// a symbolic link is replaced by a plain file, never written through.
func (w *Workspace) Reset(ex *catalogue.Exercise) (string, error) {
	return w.restoreFiles(ex, ex.Dir, w.ExerciseDir(ex), starterFiles(ex))
}

// Reveal writes the exercise's reference solution into SolutionDir,
// keeping a copy of anything there that differs.
func (w *Workspace) Reveal(ex *catalogue.Exercise) (string, error) {
	dir := w.SolutionDir(ex)
	_, err := w.restoreFiles(ex, ex.SolutionDir, dir, ex.Files)
	return dir, err
}

func (w *Workspace) restoreFiles(ex *catalogue.Exercise, from, target string, files []string) (string, error) {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return "", fmt.Errorf("reset: %w", err)
	}
	var backup string
	for _, f := range files {
		pristine, err := fs.ReadFile(w.content, path.Join(from, f))
		if err != nil {
			return "", fmt.Errorf("reset: %s is not in this binary: %w", path.Join(from, f), err)
		}
		if _, err := w.put(ex, target, f, pristine, &backup); err != nil {
			return "", fmt.Errorf("reset: %w", err)
		}
	}
	return backup, nil
}

// put writes data to the file rel of an exercise's folder target. What
// is there and differs is first kept under *backup, a folder made on
// first need (so one reset keeps its files together); a link is replaced
// by a plain file, never written through. A plain file that already
// holds data is left alone, and changed is false.
func (w *Workspace) put(ex *catalogue.Exercise, target, rel string, data []byte, backup *string) (changed bool, err error) {
	dst := filepath.Join(target, filepath.FromSlash(rel))
	if !inside(target, dst) {
		return false, fmt.Errorf("%s is outside %s", dst, target)
	}
	if fi, lerr := os.Lstat(dst); lerr == nil {
		old, rerr := os.ReadFile(dst) // through a link: its content is the learner's too
		plain := fi.Mode().IsRegular()
		if plain && rerr == nil && bytes.Equal(old, data) {
			return false, nil
		}
		if *backup == "" {
			if *backup, err = uniqueDir(filepath.Join(w.BackupRoot(), ex.Track, ex.Slug), w.now()); err != nil {
				return false, err
			}
		}
		if err := keep(dst, filepath.Join(*backup, filepath.FromSlash(rel)), fi, old, rerr); err != nil {
			return false, fmt.Errorf("keeping %s: %w", dst, err)
		}
		if !plain {
			if err := os.Remove(dst); err != nil {
				return false, err
			}
		}
	}
	return true, safefile.Replace(dst, data)
}

// keep copies what is at dst into dstCopy. A link is kept as a link (its
// target is recorded, nothing is written through it).
func keep(dst, dstCopy string, fi fs.FileInfo, data []byte, readErr error) error {
	if err := os.MkdirAll(filepath.Dir(dstCopy), 0o755); err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(dst)
		if err != nil {
			return err
		}
		return os.Symlink(target, dstCopy)
	}
	if readErr != nil {
		return readErr
	}
	return writeNew(dstCopy, data)
}

// uniqueDir creates a new folder under parent named for the time, with a
// counter when two are made in the same second: every kept copy has its own.
func uniqueDir(parent string, t time.Time) (string, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	base := filepath.Join(parent, t.Format("20060102-150405"))
	for i := 1; ; i++ {
		dir := base
		if i > 1 {
			dir = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) || i > 1000 {
			return "", err
		}
	}
}

// writeNew creates a file that must not exist yet (O_EXCL: no link is followed).
func writeNew(dst string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func inside(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
