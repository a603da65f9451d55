package gradebook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// CloneTimeout bounds one repository's clone: a learner's repository is
// small, and a remote that never answers must not hold up the class.
const CloneTimeout = 2 * time.Minute

// Clone clones what is committed on the repository's ref (its default
// branch when it names none), shallow, into dest, replacing what an
// earlier grade cloned there, and returns the commit. An error names the
// repository, never its credentials, and says what git said.
func Clone(ctx context.Context, r Repository, dest string) (commit string, err error) {
	fail := func(format string, a ...any) (string, error) {
		_ = os.RemoveAll(dest) // an earlier clone must not pass for this one
		return "", fmt.Errorf("cloning %s: %s", r.Source(), scrub(fmt.Sprintf(format, a...), r.URL))
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fail("%v", err)
	}
	// Cloned beside dest, then moved there, so that a clone cut short
	// never leaves half a submission to grade.
	tmp, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".cloning-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(tmp)

	args := []string{"-c", "advice.detachedHead=false", "clone", "--quiet", "--depth", "1", "--no-tags"}
	if r.Ref != "" {
		args = append(args, "--branch", r.Ref)
	}
	args = append(args, "--", r.URL, tmp)
	cctx, cancel := context.WithTimeout(ctx, CloneTimeout)
	defer cancel()
	if out, err := git(cctx, args...); err != nil {
		switch {
		case ctx.Err() != nil:
			return fail("not cloned: the grade was interrupted")
		case cctx.Err() != nil:
			return fail("git did not finish within %s: is the host reachable from here?", CloneTimeout)
		case errors.Is(err, exec.ErrNotFound):
			return fail("git is not installed, or not on PATH: a repository is cloned with git")
		case out != "":
			return fail("git says: %s", out)
		}
		return fail("git clone: %v", err)
	}
	head, err := git(cctx, "-C", tmp, "rev-parse", "HEAD")
	if err != nil {
		return fail("reading the commit cloned: %v", head)
	}
	if err := os.RemoveAll(dest); err != nil {
		return fail("removing the earlier clone: %v", err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return fail("%v", err)
	}
	return strings.TrimSpace(head), nil
}

// git runs git without a terminal: a repository that asks for a password
// fails at once rather than waiting on a prompt nobody sees. Its output
// comes back as one line.
func git(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GCM_INTERACTIVE=never")
	if os.Getenv("GIT_SSH_COMMAND") == "" && os.Getenv("GIT_SSH") == "" {
		cmd.Env = append(cmd.Env, "GIT_SSH_COMMAND=ssh -o BatchMode=yes")
	}
	// A helper git started (ssh, git-remote-https) may outlive a killed
	// git with the output pipe open: stop waiting for it.
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return oneLine(out.String()), err
}

// oneLine joins git's lines with "; ", keeping the last ones of a long
// message: they say why.
func oneLine(s string) string {
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	var kept []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			kept = append(kept, l)
		}
	}
	if len(kept) > 6 {
		kept = kept[len(kept)-6:]
	}
	return strings.Join(kept, "; ")
}

// Redact hides the credentials of a URL: the whole user part of an
// http(s) URL (a token often stands there alone, as the user name),
// the password of any other.
func Redact(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw // user@host:path names a user, never a secret
	}
	hostEnd := strings.IndexAny(rest, "/?#")
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	at := strings.LastIndex(rest[:hostEnd], "@")
	if at < 0 {
		return raw
	}
	user := rest[:at]
	switch s := strings.ToLower(scheme); {
	case s == "http" || s == "https":
		user = "***"
	default:
		if name, _, hasPassword := strings.Cut(user, ":"); hasPassword {
			user = name + ":***"
		}
	}
	return scheme + "://" + user + rest[at:]
}

// secrets are the parts of a URL Redact hides, as written and decoded.
func secrets(raw string) []string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil
	}
	hostEnd := strings.IndexAny(rest, "/?#")
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	at := strings.LastIndex(rest[:hostEnd], "@")
	if at < 0 {
		return nil
	}
	parts := strings.SplitN(rest[:at], ":", 2)
	if s := strings.ToLower(scheme); s != "http" && s != "https" {
		parts = parts[1:] // the user name stays, as Redact leaves it
	}
	var out []string
	for _, part := range parts {
		// A short part (a user "git") is no secret, and scrubbing it
		// would mangle every message that has those letters.
		if len(part) >= 4 {
			out = append(out, part)
			if dec, err := url.PathUnescape(part); err == nil && dec != part {
				out = append(out, dec)
			}
		}
	}
	return out
}

// scrub takes a URL's credentials out of a message about it.
func scrub(msg, raw string) string {
	msg = strings.ReplaceAll(msg, raw, Redact(raw))
	for _, s := range secrets(raw) {
		msg = strings.ReplaceAll(msg, s, "***")
	}
	return msg
}
