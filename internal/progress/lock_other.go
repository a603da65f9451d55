//go:build !(unix && !aix) && !windows

package progress

import (
	"os"
	"sync"
)

// Without a file lock (AIX, Plan 9, wasm), writers in one process still
// take turns; separate processes are not serialised.
var processLock sync.Mutex

func lockFile(*os.File) error {
	processLock.Lock()
	return nil
}

func unlockFile(*os.File) error {
	processLock.Unlock()
	return nil
}
