package runner

import "strings"

// Account is a Unix user a program runs as, rather than as streamlab's own
// user: `streamlab serve --users` gives every learner one, so that one
// learner's program (or editor) cannot read or change another's files. It
// needs streamlab to run as root; the supervisor that stops the program
// stays root, only the program's shell and what it starts take the
// account's credential.
type Account struct {
	Name string // the user's name, for USER and LOGNAME
	UID  uint32
	GID  uint32
	// Home is the user's home folder: HOME, and where the go command
	// keeps its module and build caches for the account.
	Home string
}

// homeNames are the variables that point into the home of whoever
// started streamlab: an account's program gets its own home instead, as
// it could neither write those folders nor should it share them.
var homeNames = setOf("HOME", "USER", "LOGNAME",
	"XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR",
	"GOPATH", "GOCACHE", "GOMODCACHE", "GOENV", "GOBIN", "GOTMPDIR",
	"GRADLE_USER_HOME", "M2_HOME", "CARGO_HOME", "RUSTUP_HOME", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV")

// environ is env, made the account's: the variables naming
// streamlab's user and its folders are replaced by the account's home.
func (a *Account) environ(env []string) []string {
	out := make([]string, 0, len(env)+3)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !homeNames[name] {
			out = append(out, kv)
		}
	}
	return append(out, "HOME="+a.Home, "USER="+a.Name, "LOGNAME="+a.Name)
}
