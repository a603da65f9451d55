package workspace

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/streamlab/streamlab/internal/catalogue"
)

// Legacy is a clone of the course in which the learner edited exercises/
// directly, as streamlab asked before workspaces existed.
type Legacy struct {
	Clone string
	Files []string // edited or added files, relative to the clone
}

// FindLegacy looks at and above dir for a clone of the course whose
// exercises/ has changes git knows of. It returns nil when there is none,
// or when git cannot tell.
func FindLegacy(dir string) *Legacy {
	clone := sourceRoot(dir)
	if clone == "" {
		return nil
	}
	out, err := exec.Command("git", "-C", clone, "status", "--porcelain", "--untracked-files=all", "--", "exercises").Output()
	if err != nil {
		return nil
	}
	l := &Legacy{Clone: clone}
	for _, line := range strings.Split(string(out), "\n") {
		if len(line) < 4 || line[0] == 'D' || line[1] == 'D' {
			continue
		}
		f := strings.Trim(line[3:], `"`)
		if i := strings.Index(f, " -> "); i >= 0 {
			f = f[i+4:]
		}
		l.Files = append(l.Files, f)
	}
	if len(l.Files) == 0 {
		return nil
	}
	return l
}

// sourceRoot is the folder at or above dir holding the course source, or "".
func sourceRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		mod, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.HasPrefix(mod, []byte("module github.com/streamlab/streamlab\n")) {
			if fi, err := os.Stat(filepath.Join(d, "exercises")); err == nil && fi.IsDir() {
				return d
			}
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// InSource reports whether dir is inside a clone of the course source,
// where a workspace must not be.
func InSource(dir string) (string, bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	root := sourceRoot(abs)
	return root, root != ""
}

// Import copies the learner's edits from a legacy clone into the
// workspace's exercise folders. The clone is left exactly as it was; a
// workspace file that differs is kept under BackupRoot first. It returns
// the workspace files written.
func (w *Workspace) Import(l *Legacy, cat *catalogue.Catalogue) ([]string, error) {
	var written []string
	backups := map[string]string{} // by exercise: one folder for what this import replaced
	for _, f := range l.Files {
		ex, rel := owner(cat, f)
		if ex == nil {
			continue // not inside an exercise folder: left in the clone
		}
		data, err := os.ReadFile(filepath.Join(l.Clone, filepath.FromSlash(f)))
		if err != nil {
			return written, fmt.Errorf("importing %s: %w", f, err)
		}
		backup := backups[ex.ID]
		changed, err := w.put(ex, w.ExerciseDir(ex), rel, data, &backup)
		backups[ex.ID] = backup
		if err != nil {
			return written, fmt.Errorf("importing %s: %w", f, err)
		}
		if changed {
			written = append(written, filepath.Join(w.ExerciseDir(ex), filepath.FromSlash(rel)))
		}
	}
	return written, nil
}

// owner finds the exercise whose folder holds f, and f's path inside it.
func owner(cat *catalogue.Catalogue, f string) (*catalogue.Exercise, string) {
	for _, ex := range cat.Exercises {
		if rel, ok := strings.CutPrefix(f, ex.Dir+"/"); ok && path.Clean(rel) == rel {
			return ex, rel
		}
	}
	return nil, ""
}
