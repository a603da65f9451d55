// Package watch tells when a learner saves a file in an exercise folder.
// It uses file system events (fsnotify) and falls back to polling file
// times where events do not arrive (some network and container mounts) or
// cannot be had. Bursts of events, as editors make when they save, come
// out as one change.
package watch

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Options tune a watcher; the zero value is ready to use.
type Options struct {
	// Debounce is the quiet time after the last event before a change is
	// reported. Zero: 300ms.
	Debounce time.Duration
	// Poll is the polling interval of the fallback. Zero: 1s.
	Poll time.Duration
	// ForcePoll polls even where fsnotify works.
	ForcePoll bool
}

// Change is one burst of saves.
type Change struct {
	Files []string // relative to the watched folder
}

// Watcher reports changes under one folder until closed.
type Watcher struct {
	// C delivers changes; it is closed by Close.
	C <-chan Change
	// Mode is "fsnotify" or "polling".
	Mode string
	// Why says why polling was chosen, when it was.
	Why  string
	done chan struct{}
	fsw  *fsnotify.Watcher
}

// New watches dir and its sub-folders.
func New(dir string, opts Options) (*Watcher, error) {
	if opts.Debounce <= 0 {
		opts.Debounce = 300 * time.Millisecond
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	out := make(chan Change)
	w := &Watcher{C: out, done: make(chan struct{})}
	if opts.ForcePoll {
		w.Mode, w.Why = "polling", "asked for"
	} else if fsw, err := fsnotify.NewWatcher(); err != nil {
		w.Mode, w.Why = "polling", err.Error()
	} else if err := addTree(fsw, dir); err != nil {
		fsw.Close()
		w.Mode, w.Why = "polling", err.Error()
	} else {
		w.Mode, w.fsw = "fsnotify", fsw
	}
	go w.loop(dir, opts, out)
	return w, nil
}

// Close stops the watcher; C is closed once it has stopped.
func (w *Watcher) Close() {
	select {
	case <-w.done:
	default:
		close(w.done)
	}
}

func addTree(fsw *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && ignored(d.Name()) {
				return filepath.SkipDir
			}
			return fsw.Add(p)
		}
		return nil
	})
}

// ignored tells editor droppings and hidden files from the learner's work.
func ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") ||
		strings.HasSuffix(name, ".swp") || strings.HasSuffix(name, ".swx") ||
		strings.HasPrefix(name, "#") || name == "4913"
}

func (w *Watcher) loop(dir string, opts Options, out chan<- Change) {
	defer close(out)
	pending := map[string]bool{}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()

	var events <-chan fsnotify.Event
	var errs <-chan error
	var tick <-chan time.Time
	var last map[string]stamp
	if w.fsw != nil {
		defer w.fsw.Close()
		events, errs = w.fsw.Events, w.fsw.Errors
	} else {
		t := time.NewTicker(opts.Poll)
		defer t.Stop()
		tick = t.C
		last = scan(dir)
	}
	note := func(p string) {
		rel, err := filepath.Rel(dir, p)
		if err != nil || ignored(filepath.Base(p)) {
			return
		}
		pending[filepath.ToSlash(rel)] = true
		timer.Reset(opts.Debounce)
	}
	for {
		select {
		case <-w.done:
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			if e.Has(fsnotify.Create) {
				if fi, err := os.Stat(e.Name); err == nil && fi.IsDir() && !ignored(fi.Name()) {
					_ = addTree(w.fsw, e.Name)
				}
			}
			if e.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename|fsnotify.Remove) != 0 {
				note(e.Name)
			}
		case <-errs:
			// An overflow loses events; one spurious change is better
			// than a missed save.
			pending["."] = true
			timer.Reset(opts.Debounce)
		case <-tick:
			now := scan(dir)
			for p, s := range now {
				if last[p] != s {
					note(filepath.Join(dir, p))
				}
			}
			for p := range last {
				if _, ok := now[p]; !ok {
					note(filepath.Join(dir, p))
				}
			}
			last = now
		case <-timer.C:
			if len(pending) == 0 {
				continue
			}
			ch := Change{}
			for p := range pending {
				ch.Files = append(ch.Files, p)
			}
			sort.Strings(ch.Files)
			pending = map[string]bool{}
			select {
			case out <- ch:
			case <-w.done:
				return
			}
		}
	}
}

type stamp struct {
	mod  time.Time
	size int64
}

// scan records the time and size of every file under dir.
func scan(dir string) map[string]stamp {
	m := map[string]stamp{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if ignored(d.Name()) && p != dir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			rel, _ := filepath.Rel(dir, p)
			m[rel] = stamp{fi.ModTime(), fi.Size()}
		}
		return nil
	})
	return m
}
