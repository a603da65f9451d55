//go:build windows

package progress

import (
	"os"

	"golang.org/x/sys/windows"
)

// lockFile waits for an exclusive lock on the lock file's first byte;
// Windows releases it when the handle is closed or the process dies.
func lockFile(f *os.File) error {
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, new(windows.Overlapped))
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}
