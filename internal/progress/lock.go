package progress

import (
	"fmt"
	"os"
	"time"
)

// lockWait is how long a write waits for another process's write. Writes
// take milliseconds, so a lock held this long belongs to a stuck process.
var lockWait = 10 * time.Second

// lock takes the lock file beside path (path + ".lock"), which serialises
// every streamlab process writing path. The file is left in place after
// unlock: removing a lock file while another process waits on it would let
// a third take a second, separate lock.
func lock(path string) (unlock func(), err error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open the lock file: %w", err)
	}
	// Wait in the kernel, which wakes the next writer as soon as the lock
	// is free; the goroutine lets the wait give up after lockWait.
	done := make(chan error, 1)
	go func() { done <- lockFile(f) }()
	wait := lockWait
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot lock %s: %w", name, err)
		}
		return func() {
			unlockFile(f)
			f.Close()
		}, nil
	case <-timer.C:
		go func() { // the lock may still come: let it go then
			if <-done == nil {
				unlockFile(f)
			}
			f.Close()
		}()
		return nil, fmt.Errorf("another streamlab has held %s for over %s: is one stuck? Quit it and try again", name, wait)
	}
}
