package progress

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// A directory where progress.json should be: Open says which path and what
// to do, and nothing is written anywhere.
func TestDirectoryInPlaceOfProgress(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	path := filepath.Join(dir, "progress.json")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "mine.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	beforeDir, beforeTmp := names(t, dir), names(t, tmp)
	s, err := Open(path)
	if err == nil {
		t.Fatalf("opened a directory as progress: %+v", s)
	}
	msg := err.Error()
	for _, want := range []string{path, "is a directory", "move it or remove it"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if got := names(t, dir); strings.Join(got, ",") != strings.Join(beforeDir, ",") {
		t.Errorf("state dir went from %v to %v", beforeDir, got)
	}
	if got := names(t, tmp); strings.Join(got, ",") != strings.Join(beforeTmp, ",") {
		t.Errorf("temp dir went from %v to %v", beforeTmp, got)
	}
	if got := names(t, path); len(got) != 1 {
		t.Errorf("the directory was changed: %v", got)
	}
}

// A write that fails (here progress.json turned into a directory after
// Open) reports the path and leaves no temporary file behind.
func TestFailedWriteLeavesNoFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	path := filepath.Join(dir, "progress.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record("a", "pass"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	beforeDir, beforeTmp := names(t, dir), names(t, tmp)
	err = s.Record("a", "fail")
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v does not name %s", err, path)
	}
	if got := names(t, dir); strings.Join(got, ",") != strings.Join(beforeDir, ",") {
		t.Errorf("state dir went from %v to %v", beforeDir, got)
	}
	if got := names(t, tmp); strings.Join(got, ",") != strings.Join(beforeTmp, ",") {
		t.Errorf("temp dir went from %v to %v", beforeTmp, got)
	}
	// The session still remembers what it could not save.
	if got := s.Get("a"); got.Attempts != 2 || got.LastStatus != "fail" {
		t.Errorf("in memory: %+v", got)
	}
}

// Corrupt files set aside within one second each keep their own copy.
func TestCorruptFilesSetAsideBackToBackAreAllKept(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "progress.json")
	contents := []string{"{not json", "[1, 2", `{"version": 7}`}
	var warnings []string
	for _, c := range contents {
		if err := os.WriteFile(path, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		warnings = append(warnings, s.Warning)
	}
	kept := map[string]bool{}
	for _, name := range names(t, dir) {
		if !strings.HasPrefix(name, "progress.json.corrupt-") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		kept[string(b)] = true
		for i, w := range warnings {
			if strings.Contains(w, "moved to "+filepath.Join(dir, name)+" and") && contents[i] != string(b) {
				t.Errorf("warning %q names %s, which holds %q", w, name, b)
			}
		}
	}
	for i, w := range warnings {
		if !strings.Contains(w, "moved to "+path+".corrupt-") {
			t.Errorf("warning %d does not say where the file went: %q", i, w)
		}
	}
	for _, c := range contents {
		if !kept[c] {
			t.Errorf("corrupt content %q was not kept (kept %d: %v)", c, len(kept), names(t, dir))
		}
	}
}

// A temporary file left by a writer that crashed mid-save is removed by
// the next save.
func TestLeftoverTempFileIsRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "progress.json")
	left := filepath.Join(dir, ".progress.json.tmp-123456")
	if err := os.WriteFile(left, []byte(`{"version": 1`), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record("a", "pass"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(t, dir), " "); got != "progress.json progress.json.lock" {
		t.Fatalf("state dir holds %s", got)
	}
}

// A file broken by hand while a session runs is left alone: Get keeps the
// last good progress, Update says what is wrong and overwrites nothing.
func TestFileBrokenDuringSessionIsNotOverwritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progress.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record("a", "pass"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(`{"version": 1, "exercises": {`), 0o644); err != nil {
		t.Fatal(err)
	}
	if !s.Get("a").Done {
		t.Fatal("Get lost the last good progress")
	}
	err = s.Record("b", "pass")
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "unreadable") {
		t.Fatalf("error %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != `{"version": 1, "exercises": {` {
		t.Fatalf("the broken file was overwritten: %s", b)
	}
}
