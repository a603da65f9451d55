package runner

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Do runs f with the account's file permissions: on a thread of its own
// whose filesystem user and group are the account's (setfsuid), so that
// every file f reads, writes or creates is judged as the account's own.
// This is how streamlab, running as root, writes into a learner's folder
// (a workspace's starter files, a reset): a link the learner planted
// there takes f nowhere the learner could not go. The thread is never
// handed back to the Go scheduler: it ends with f, so no other goroutine
// ever runs with the account's permissions.
func (a *Account) Do(f func() error) error {
	if a == nil {
		return f()
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // and never unlocked: the thread exits with the goroutine
		// Supplementary groups are per thread too (the raw syscall); root's
		// must not lend the account their access.
		if err := unix.Setgroups([]int{int(a.GID)}); err != nil {
			done <- fmt.Errorf("acting as %s: %w", a.Name, err)
			return
		}
		_ = unix.Setfsgid(int(a.GID))
		_ = unix.Setfsuid(int(a.UID))
		// -1 changes nothing and returns what is set: the calls above
		// report no failure of their own.
		uid, _ := unix.SetfsuidRetUid(-1)
		gid, _ := unix.SetfsgidRetGid(-1)
		if uid != int(a.UID) || gid != int(a.GID) {
			done <- fmt.Errorf("acting as %s: cannot take its file permissions (is streamlab root?)", a.Name)
			return
		}
		done <- f()
	}()
	return <-done
}
