// Package progress owns the learner's progress: which exercises passed and
// how many hints were used. It lives in one small JSON file in the user's
// state directory, written atomically; a file that cannot be read is set
// aside with a warning and a fresh one started, never a crash.
//
// Several processes may use the file at once (the TUI, and `streamlab
// check` in another terminal). A write takes a lock file beside it
// (progress.json.lock), re-reads the file and applies its change to what is
// on disk, so no process overwrites another's progress with a stale copy.
package progress

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Exercise is what is remembered of one exercise.
type Exercise struct {
	Done      bool `json:"done"`
	HintsUsed int  `json:"hints_used,omitempty"`
	// GaveUp: the learner asked to see the solution without a pass.
	GaveUp     bool      `json:"gave_up,omitempty"`
	LastStatus string    `json:"last_status,omitempty"`
	Attempts   int       `json:"attempts,omitempty"`
	Updated    time.Time `json:"updated"`
}

type file struct {
	Version   int                  `json:"version"`
	Exercises map[string]*Exercise `json:"exercises"`
}

func emptyFile() file { return file{Version: 1, Exercises: map[string]*Exercise{}} }

// Store is the progress of one learner.
type Store struct {
	mu   sync.Mutex
	path string // "" for a store that is never saved
	data file
	seen os.FileInfo // the file data was read from or written to; nil if none
	// Warning is set when the file on disk was unreadable and set aside.
	Warning string
}

// Open reads the progress at path (a missing file is an empty progress).
// It writes nothing unless the file is unreadable, which it sets aside.
func Open(path string) (*Store, error) {
	s := &Store{path: path, data: emptyFile()}
	f, info, err := read(path)
	var bad *unreadableError
	switch {
	case err == nil:
		s.data, s.seen = f, info
		return s, nil
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case !errors.As(err, &bad):
		return nil, err
	}
	// Set it aside under the lock, and only if it is still unreadable: two
	// processes starting together must not both move it, or the second
	// would move away the fresh file the first has saved since.
	unlock, err := lock(path)
	if err != nil {
		return nil, fmt.Errorf("progress file %s is unreadable (%v) and could not be set aside: %w", path, bad.err, err)
	}
	defer unlock()
	f, info, err = read(path)
	switch {
	case err == nil:
		s.data, s.seen = f, info
	case errors.Is(err, fs.ErrNotExist):
	case errors.As(err, &bad):
		aside, err := setAside(path)
		if err != nil {
			return nil, fmt.Errorf("progress file %s is unreadable (%v) and could not be set aside: %w", path, bad.err, err)
		}
		s.Warning = fmt.Sprintf("progress file %s was unreadable; it was moved to %s and progress starts afresh", path, aside)
	default:
		return nil, err
	}
	return s, nil
}

// InMemory is a progress that is never saved, for a session whose progress
// file cannot be used (Open's error says why): nothing is written anywhere.
// Its Path is "".
func InMemory() *Store { return &Store{data: emptyFile()} }

// Path is where the store lives ("" for InMemory).
func (s *Store) Path() string { return s.path }

// Get returns a copy of an exercise's progress, as last saved by any process.
func (s *Store) Get(id string) Exercise {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh()
	if e := s.data.Exercises[id]; e != nil {
		return *e
	}
	return Exercise{}
}

// refresh re-reads the file when another process has saved since this store
// last read or wrote it. It needs no lock: every save renames a whole new
// file into place, so a read sees one save or another, never half of one;
// and a lock would make Get, which screens call as they draw, wait behind
// another process's write. The rename also gives the file a new identity,
// which os.SameFile notices even when the size and time stay the same.
func (s *Store) refresh() {
	if s.path == "" {
		return
	}
	info, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		if s.seen != nil { // removed since: progress starts afresh, as Open would
			s.data, s.seen = emptyFile(), nil
		}
		return
	}
	if err != nil || (s.seen != nil && os.SameFile(info, s.seen) &&
		info.ModTime().Equal(s.seen.ModTime()) && info.Size() == s.seen.Size()) {
		return
	}
	if f, info, err := read(s.path); err == nil {
		s.data, s.seen = f, info
	} // else keep what was read last; the next Update reports the problem
}

// Update changes one exercise's progress and saves: under the lock it
// re-reads the file and applies fn to that, so changes other processes
// saved since are kept. If saving fails, the change is kept in memory for
// this session and the error says why it was not saved; fn should only
// change e, as it may run on both copies.
func (s *Store) Update(id string, fn func(*Exercise)) error {
	if s.path == "" {
		s.mu.Lock()
		defer s.mu.Unlock()
		apply(s.data, id, fn)
		return nil
	}
	if err := s.save(id, fn); err != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		apply(s.data, id, fn)
		return fmt.Errorf("saving progress to %s: %w", s.path, err)
	}
	return nil
}

func apply(f file, id string, fn func(*Exercise)) {
	e := f.Exercises[id]
	if e == nil {
		e = &Exercise{}
		f.Exercises[id] = e
	}
	fn(e)
	e.Updated = time.Now().UTC()
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

// save is the read-modify-write under the lock. The store's mutex is taken
// only to publish the result, so Get never waits for the lock.
func (s *Store) save(id string, fn func(*Exercise)) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return err
	}
	unlock, err := lock(s.path)
	if err != nil {
		return err
	}
	defer unlock()
	f, _, err := read(s.path)
	var bad *unreadableError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f = emptyFile()
	case errors.As(err, &bad):
		// Someone broke it since Open (perhaps editing it by hand): leave it
		// as it is rather than overwrite it; the next start sets it aside.
		return fmt.Errorf("the file has become unreadable (%v): fix it, or remove it to start afresh", bad.err)
	case err != nil:
		return err
	}
	apply(f, id, fn)
	removeTemps(s.path) // left by a writer that crashed: none is writing now
	info, err := write(s.path, f)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.data, s.seen = f, info
	s.mu.Unlock()
	return nil
}

// unreadableError is a progress file that is not progress.
type unreadableError struct{ err error }

func (e *unreadableError) Error() string { return e.err.Error() }

// read reads and decodes the file at path. The FileInfo is the opened
// file's, so it describes exactly what was read.
func read(path string) (file, os.FileInfo, error) {
	fh, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return file{}, nil, err
	}
	if err != nil {
		return file{}, nil, fmt.Errorf("cannot read progress file %s: %w", path, err)
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return file{}, nil, fmt.Errorf("cannot read progress file %s: %w", path, err)
	}
	if info.IsDir() {
		return file{}, nil, fmt.Errorf("progress file %s is a directory: move it or remove it, and streamlab will save progress there", path)
	}
	b, err := io.ReadAll(fh)
	if err != nil {
		return file{}, nil, fmt.Errorf("cannot read progress file %s: %w", path, err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return file{}, nil, &unreadableError{err}
	}
	if f.Version != 1 {
		return file{}, nil, &unreadableError{fmt.Errorf("version %d, not 1", f.Version)}
	}
	if f.Exercises == nil {
		f.Exercises = map[string]*Exercise{}
	}
	return f, info, nil
}

// tempPrefix names write's temporary files, so that removeTemps finds them.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// write writes f to a temporary file beside path and renames it over path,
// so a crash mid-write never leaves half a file. Call it with the lock held.
func write(path string, f file) (os.FileInfo, error) {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), tempPrefix(path)+"*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	var info os.FileInfo
	if err == nil {
		info, err = tmp.Stat()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, err
	}
	return info, nil
}

// removeTemps removes temporary files that a crashed writer left. Call it
// with the lock held, when no other writer can have one open.
func removeTemps(path string) {
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix(path)) {
			os.Remove(filepath.Join(filepath.Dir(path), e.Name()))
		}
	}
}

// setAside moves an unreadable progress file out of the way under a name no
// earlier copy has: the time to the second, then a counter when that is
// taken. Call it with the lock held, so no other streamlab picks a name at
// the same moment.
func setAside(path string) (string, error) {
	stamp := path + ".corrupt-" + time.Now().Format("20060102-150405")
	for n := 1; ; n++ {
		aside := stamp
		if n > 1 {
			aside = fmt.Sprintf("%s-%d", stamp, n)
		}
		_, err := os.Lstat(aside)
		if errors.Is(err, fs.ErrNotExist) {
			return aside, os.Rename(path, aside)
		}
		if err != nil {
			return "", err
		}
	}
}
