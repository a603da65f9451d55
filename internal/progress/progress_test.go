package progress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProgressSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "progress.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record("kafka/keyed-producer", "fail"); err != nil {
		t.Fatal(err)
	}
	if err := s.Record("kafka/keyed-producer", "pass"); err != nil {
		t.Fatal(err)
	}
	if err := s.Record("kafka/keyed-producer", "fail"); err != nil {
		t.Fatal(err)
	}
	if err := s.Update("kafka/create-topic", func(e *Exercise) { e.HintsUsed = 2 }); err != nil {
		t.Fatal(err)
	}
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	kp := again.Get("kafka/keyed-producer")
	if !kp.Done || kp.Attempts != 3 || kp.LastStatus != "fail" {
		t.Fatalf("keyed-producer %+v: a pass must stay done, with 3 attempts", kp)
	}
	if again.Get("kafka/create-topic").HintsUsed != 2 {
		t.Fatalf("hints lost: %+v", again.Get("kafka/create-topic"))
	}
	if got := names(t, filepath.Dir(path)); strings.Join(got, " ") != "progress.json progress.json.lock" {
		t.Fatalf("state dir holds %v, want only progress.json and its lock file (no temp files left)", got)
	}
}

func TestCorruptProgressIsSetAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "progress.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Warning, "corrupt") {
		t.Fatalf("warning %q does not say where the old file went", s.Warning)
	}
	if s.Get("x").Done {
		t.Fatal("fresh progress is not empty")
	}
	entries := names(t, dir)
	if len(entries) != 2 || !strings.HasPrefix(entries[0], "progress.json.corrupt-") || entries[1] != "progress.json.lock" {
		t.Fatalf("the unreadable file was not kept aside (only it and the lock file should be there): %v", entries)
	}
	if err := s.Record("a", "pass"); err != nil {
		t.Fatal(err)
	}
}
