package progress

import "testing"

// InMemory is for a session whose file cannot be used: it works and
// writes nothing, not even in the temp folder.
func TestInMemoryWritesNothing(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s := InMemory()
	if err := s.Record("a", "pass"); err != nil {
		t.Fatal(err)
	}
	if err := s.Update("a", func(e *Exercise) { e.HintsUsed = 3 }); err != nil {
		t.Fatal(err)
	}
	if got := s.Get("a"); !got.Done || got.HintsUsed != 3 || got.Attempts != 1 {
		t.Fatalf("got %+v", got)
	}
	if s.Path() != "" {
		t.Fatalf("path %q", s.Path())
	}
	if got := names(t, tmp); len(got) != 0 {
		t.Fatalf("temp dir holds %v", got)
	}
}
