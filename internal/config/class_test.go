package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The class comes from the file, the environment or a flag, and must be
// a name a topic can carry.
func TestClass(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("class: dbs-2025\nlearner: ada\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STREAMLAB_CLASS", "")
	c, err := Load(path)
	if err != nil || c.Class != "dbs-2025" {
		t.Fatalf("from the file: %q, %v", c.Class, err)
	}
	t.Setenv("STREAMLAB_CLASS", "evening")
	if c, err = Load(path); err != nil || c.Class != "evening" {
		t.Fatalf("the environment overrides the file: %q, %v", c.Class, err)
	}
	if err := c.SetClass("Morning"); err != nil || c.Class != "morning" {
		t.Errorf("a flag's name is lower-cased: %q, %v", c.Class, err)
	}
	if err := c.SetClass("two words"); err == nil || !strings.Contains(err.Error(), "names the class's topic") {
		t.Errorf("a name with a space: %v", err)
	}
	t.Setenv("STREAMLAB_CLASS", "no/slash")
	if _, err := Load(path); err == nil {
		t.Error("a bad class name in the environment was taken")
	}
}
