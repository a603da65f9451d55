package serve

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// Learner names prefix every topic, group and namespace a learner's runs
// create, so they follow the rule of config's learner names.
var learnerName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// nameRule says what a learner name may hold, for messages.
const nameRule = "lower-case letters, digits and dashes, at most 31, starting with a letter or digit"

// CheckName says why name cannot be a learner's name, or returns nil.
func CheckName(name string) error {
	if !learnerName.MatchString(name) {
		return fmt.Errorf("%q is not a learner name: use %s", name, nameRule)
	}
	return nil
}

// Entry is one key of an allow-list or of the registrations.
type Entry struct {
	Key  gossh.PublicKey
	Name string
	Line int
}

// ParseKeys reads keys in authorized_keys format, one a line: blank lines
// and lines starting with # are skipped. A key's learner is its
// name="..." option, else its comment (up to an @, so that the usual
// "ada@laptop" names ada). file names the input in errors, which give
// the line and say what to change.
func ParseKeys(r io.Reader, file string) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, comment, options, _, err := gossh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: not a public key in authorized_keys format (%v): expected a line such as\n  name=\"ada\" ssh-ed25519 AAAA... ada@laptop", file, n, err)
		}
		name := ""
		for _, o := range options {
			v, ok := strings.CutPrefix(o, "name=")
			if !ok {
				return nil, fmt.Errorf("%s:%d: option %q is not understood here: the only option is name=\"LEARNER\"", file, n, o)
			}
			name = strings.Trim(v, `"`)
		}
		if name == "" {
			name, _, _ = strings.Cut(comment, "@")
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			return nil, fmt.Errorf("%s:%d: the key has no learner name: add name=\"LEARNER\" before it, or a comment after it", file, n)
		}
		if err := CheckName(name); err != nil {
			return nil, fmt.Errorf("%s:%d: %v; add name=\"LEARNER\" before the key to choose one", file, n, err)
		}
		out = append(out, Entry{Key: key, Name: name, Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return out, nil
}

// ErrNameTaken is a registration under a name another key has.
var ErrNameTaken = errors.New("that name is taken")

// Keys says who a public key belongs to: the instructor's allow-list
// (re-read when it changes, so that keys can be added during a
// workshop) and the keys learners registered with the passcode.
type Keys struct {
	allowPath, regPath string

	mu         sync.Mutex
	allow      map[string]string // marshalled key -> name
	allowStamp fileStamp
	registered map[string]string
	// warn hears of an allow-list that became unreadable; the last good
	// one stays in force.
	warn func(error)
	// Reserved, when set, says a name is someone's though no key has it:
	// registration refuses it as taken.
	Reserved func(name string) bool
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// LoadKeys reads the allow-list at allowPath ("" for none) and the
// registrations at regPath (created on the first registration).
func LoadKeys(allowPath, regPath string, warn func(error)) (*Keys, error) {
	if warn == nil {
		warn = func(error) {}
	}
	k := &Keys{allowPath: allowPath, regPath: regPath, allow: map[string]string{}, registered: map[string]string{}, warn: warn}
	if allowPath != "" {
		if err := k.readAllow(); err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(regPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading the registered keys: %w", err)
	}
	reg, err := ParseKeys(bytes.NewReader(b), regPath)
	if err != nil {
		return nil, err
	}
	for _, e := range reg {
		k.registered[string(e.Key.Marshal())] = e.Name
	}
	return k, nil
}

// ReadKeys reads an allow-list file.
func ReadKeys(path string) ([]Entry, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("the allow-list: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("the allow-list: %w", err)
	}
	entries, err := ParseKeys(f, path)
	return entries, fi, err
}

// readAllow reads the allow-list. Called with k.mu held, or before k is
// shared.
func (k *Keys) readAllow() error {
	entries, fi, err := ReadKeys(k.allowPath)
	if err != nil {
		return err
	}
	allow := make(map[string]string, len(entries))
	for _, e := range entries {
		allow[string(e.Key.Marshal())] = e.Name
	}
	k.allow, k.allowStamp = allow, fileStamp{fi.ModTime(), fi.Size()}
	return nil
}

// refresh re-reads the allow-list when its file changed. Called with
// k.mu held.
func (k *Keys) refresh() {
	if k.allowPath == "" {
		return
	}
	fi, err := os.Stat(k.allowPath)
	if err == nil && (fileStamp{fi.ModTime(), fi.Size()}) == k.allowStamp {
		return
	}
	if err == nil {
		err = k.readAllow()
	}
	if err != nil {
		k.warn(fmt.Errorf("%v (the allow-list read before stays in force)", err))
		// Warn once per change, not at every login.
		if fi != nil {
			k.allowStamp = fileStamp{fi.ModTime(), fi.Size()}
		}
	}
}

// Lookup returns the learner a key belongs to.
func (k *Keys) Lookup(key gossh.PublicKey) (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refresh()
	id := string(key.Marshal())
	if name, ok := k.allow[id]; ok {
		return name, true
	}
	name, ok := k.registered[id]
	return name, ok
}

// taken reports whether another key has name. Called with k.mu held.
func (k *Keys) taken(name string) bool {
	for _, m := range []map[string]string{k.allow, k.registered} {
		for _, n := range m {
			if n == name {
				return true
			}
		}
	}
	return false
}

// Register records key under name, once: a key registered before, or a
// name that is taken (on the allow-list or registered by another key),
// is refused.
func (k *Keys) Register(key gossh.PublicKey, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refresh()
	id := string(key.Marshal())
	if prev, ok := k.allow[id]; ok {
		return fmt.Errorf("this key is %s's already", prev)
	}
	if prev, ok := k.registered[id]; ok {
		return fmt.Errorf("this key is %s's already", prev)
	}
	if k.taken(name) || (k.Reserved != nil && k.Reserved(name)) {
		return ErrNameTaken
	}
	line := fmt.Sprintf("name=%q %s registered %s\n", name, strings.TrimSpace(string(gossh.MarshalAuthorizedKey(key))), time.Now().UTC().Format(time.RFC3339))
	f, err := os.OpenFile(k.regPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("recording the key: %w", err)
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("recording the key: %w", err)
	}
	// Synced before the learner is let in: a registration must survive a
	// crash of the server, or the learner's name would be free again.
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("recording the key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("recording the key: %w", err)
	}
	k.registered[id] = name
	return nil
}
