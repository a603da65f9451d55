// Package progress owns the learner's progress: which exercises passed and
// how many hints were used. It lives in one small JSON file in the user's
// state directory, written atomically; a file that cannot be read is set
// aside with a warning and a fresh one started, never a crash.
package progress

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Exercise is what is remembered of one exercise.
type Exercise struct {
	Done       bool      `json:"done"`
	HintsUsed  int       `json:"hints_used,omitempty"`
	LastStatus string    `json:"last_status,omitempty"`
	Attempts   int       `json:"attempts,omitempty"`
	Updated    time.Time `json:"updated"`
}

type file struct {
	Version   int                  `json:"version"`
	Exercises map[string]*Exercise `json:"exercises"`
}

// Store is the progress of one learner.
type Store struct {
	mu   sync.Mutex
	path string
	data file
	// Warning is set when the file on disk was unreadable and set aside.
	Warning string
}

// DefaultPath is $STREAMLAB_STATE_DIR/progress.json, else under
// $XDG_STATE_HOME/streamlab, else ~/.local/state/streamlab.
func DefaultPath() string {
	dir := os.Getenv("STREAMLAB_STATE_DIR")
	if dir == "" {
		if x := os.Getenv("XDG_STATE_HOME"); x != "" {
			dir = filepath.Join(x, "streamlab")
		} else if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".local", "state", "streamlab")
		} else {
			dir = filepath.Join(os.TempDir(), "streamlab-state")
		}
	}
	return filepath.Join(dir, "progress.json")
}

// Open reads the progress at path (a missing file is an empty progress).
func Open(path string) (*Store, error) {
	s := &Store{path: path, data: file{Version: 1, Exercises: map[string]*Exercise{}}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading progress %s: %w", path, err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil || f.Version != 1 {
		aside := fmt.Sprintf("%s.corrupt-%s", path, time.Now().Format("20060102-150405"))
		if rerr := os.Rename(path, aside); rerr != nil {
			return nil, fmt.Errorf("progress file %s is unreadable and could not be set aside: %w", path, rerr)
		}
		s.Warning = fmt.Sprintf("progress file %s was unreadable; it was moved to %s and progress starts afresh", path, aside)
		return s, nil
	}
	if f.Exercises == nil {
		f.Exercises = map[string]*Exercise{}
	}
	s.data = f
	return s, nil
}

// Path is where the store lives.
func (s *Store) Path() string { return s.path }

// Get returns a copy of an exercise's progress.
func (s *Store) Get(id string) Exercise {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.data.Exercises[id]; e != nil {
		return *e
	}
	return Exercise{}
}

// Update changes one exercise's progress and saves.
func (s *Store) Update(id string, fn func(*Exercise)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.data.Exercises[id]
	if e == nil {
		e = &Exercise{}
		s.data.Exercises[id] = e
	}
	fn(e)
	e.Updated = time.Now().UTC()
	return s.save()
}

// Record notes a graded attempt; a pass marks the exercise done for good.
func (s *Store) Record(id, status string) error {
	return s.Update(id, func(e *Exercise) {
		e.Attempts++
		e.LastStatus = status
		if status == "pass" {
			e.Done = true
		}
	})
}

// save writes to a temporary file and renames it over the old one, so a
// crash mid-write never leaves half a file.
func (s *Store) save() error {
	b, err := json.MarshalIndent(s.data, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("saving progress: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".progress-*.json")
	if err != nil {
		return fmt.Errorf("saving progress: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("saving progress: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving progress: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving progress: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("saving progress: %w", err)
	}
	return nil
}
