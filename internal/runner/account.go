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
	// MaxProcs caps the processes and threads the user has at once,
	// across all its programs (RLIMIT_NPROC counts by user): a fork bomb
	// stops there instead of taking the machine every learner shares.
	// 0 is DefaultMaxProcs.
	MaxProcs int
	// MaxFileBytes caps the size of any one file its programs write, so
	// that a program cannot fill the disk everyone's work is on with one
	// file. 0 is DefaultMaxFileBytes.
	MaxFileBytes int64
}

const (
	// DefaultMaxProcs leaves room for a JVM client's threads and a
	// parallel go build, several times over.
	DefaultMaxProcs = 1024
	// DefaultMaxFileBytes is far beyond what any exercise writes.
	DefaultMaxFileBytes = 1 << 30
)

// limits are the account's caps, defaults filled in.
func (a *Account) limits() (procs int, fileBytes int64) {
	procs, fileBytes = a.MaxProcs, a.MaxFileBytes
	if procs <= 0 {
		procs = DefaultMaxProcs
	}
	if fileBytes <= 0 {
		fileBytes = DefaultMaxFileBytes
	}
	return procs, fileBytes
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
