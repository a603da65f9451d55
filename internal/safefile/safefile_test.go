package safefile

import (
	"os"
	"path/filepath"
	"testing"
)

// A replaced file holds the new bytes, its folder is made, a link is
// replaced rather than followed, and no temporary file is left.
func TestReplace(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "sub", "link")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := Replace(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Errorf("the link's target now holds %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Fatalf("the link was not replaced by a file: %v %v", fi, err)
	}
	fresh := filepath.Join(dir, "made", "here.json")
	if err := Replace(fresh, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(fresh); string(b) != "x" {
		t.Errorf("read %q", b)
	}
	for _, d := range []string{dir, filepath.Dir(link), filepath.Dir(fresh)} {
		es, _ := os.ReadDir(d)
		for _, e := range es {
			if e.Name()[0] == '.' {
				t.Errorf("left %s in %s", e.Name(), d)
			}
		}
	}
}
