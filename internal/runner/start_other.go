//go:build unix && !linux

package runner

import "os"

// Without a child subreaper, the process group is the best reach there is:
// a descendant that moves to a group of its own outlives the run, though the
// drain window in Run keeps it from holding the run up.
func start(shell, dir string, env []string, as *Account, out *os.File) (program, error) {
	return startGroup(shell, dir, env, as, out)
}
