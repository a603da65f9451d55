package serve

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamlab/streamlab/tui/tuitest"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"
)

// newKey makes an SSH key pair for a simulated learner.
func newKey(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// authorizedLine is a key as a line of an allow-list.
func authorizedLine(s gossh.Signer, options, comment string) string {
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey())))
	if options != "" {
		line = options + " " + line
	}
	if comment != "" {
		line += " " + comment
	}
	return line
}

// answers replies to a registration: passcode, then name.
func answers(passcode, name string) gossh.KeyboardInteractiveChallenge {
	return func(_, _ string, questions []string, _ []bool) ([]string, error) {
		switch len(questions) {
		case 2:
			return []string{passcode, name}, nil
		case 1:
			return nil, fmt.Errorf("asked again: %v", questions)
		}
		return nil, nil
	}
}

// learner is one simulated learner at a terminal: an SSH client with a
// pty, whose output plays through a terminal emulator, since the UI only
// redraws the cells that change.
type learner struct {
	t      testing.TB
	name   string
	client *gossh.Client
	sess   *gossh.Session

	inMu sync.Mutex
	in   io.WriteCloser

	mu    sync.Mutex
	emu   *vt.Emulator
	ended chan struct{} // closed when the server closed the session
	tail  strings.Builder
}

// dial connects as a learner with key, answering a registration with
// ask when the server asks (nil: no keyboard-interactive at all), and
// opens the course in a w×h terminal.
func dial(t testing.TB, addr, name string, key gossh.Signer, ask gossh.KeyboardInteractiveChallenge, w, h int) (*learner, error) {
	methods := []gossh.AuthMethod{gossh.PublicKeys(key)}
	if ask != nil {
		methods = append(methods, gossh.KeyboardInteractive(ask))
	}
	client, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: name, Auth: methods,
		// A fresh host key per test run: nothing to compare it with.
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         30 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	sess, err := client.NewSession()
	if err != nil {
		client.Close()
		return nil, err
	}
	l := &learner{t: t, name: name, client: client, sess: sess, emu: vt.NewEmulator(w, h), ended: make(chan struct{})}
	if err := sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
		client.Close()
		return nil, err
	}
	if l.in, err = sess.StdinPipe(); err != nil {
		client.Close()
		return nil, err
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		client.Close()
		return nil, err
	}
	if err := sess.Shell(); err != nil {
		client.Close()
		return nil, err
	}
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := out.Read(buf)
			if n > 0 {
				l.mu.Lock()
				_, _ = l.emu.Write(buf[:n])
				l.tail.Write(buf[:n])
				if l.tail.Len() > 64<<10 {
					s := l.tail.String()
					l.tail.Reset()
					l.tail.WriteString(s[len(s)-16<<10:])
				}
				l.mu.Unlock()
			}
			if err != nil {
				close(l.ended)
				return
			}
		}
	}()
	// The emulator answers the UI's questions (the background colour) as
	// a terminal would.
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := l.emu.Read(buf)
			if n > 0 {
				l.send(string(buf[:n]))
			}
			if err != nil {
				return
			}
		}
	}()
	return l, nil
}

func (l *learner) send(s string) {
	l.inMu.Lock()
	defer l.inMu.Unlock()
	_, _ = io.WriteString(l.in, s)
}

// press types keys one at a time, as a person does: "enter", "esc" and
// "down" by name, anything else as typed.
func (l *learner) press(keys ...string) {
	for _, k := range keys {
		switch k {
		case "enter":
			k = "\r"
		case "esc":
			k = "\x1b"
		case "down":
			k = "\x1b[B"
		}
		l.send(k)
		// An escape followed at once by a key reads as Alt+key.
		time.Sleep(150 * time.Millisecond)
	}
}

// screen is the terminal's text now.
func (l *learner) screen() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.emu.String()
}

// waitFor waits until every text is on the screen, and returns it.
func (l *learner) waitFor(timeout time.Duration, texts ...string) string {
	l.t.Helper()
	scr, err := l.waitForErr(timeout, texts...)
	if err != nil {
		l.t.Fatal(err)
	}
	return scr
}

func (l *learner) waitForErr(timeout time.Duration, texts ...string) (string, error) {
	scr, err := tuitest.WaitForText(l.screen, timeout, texts...)
	if err != nil {
		err = fmt.Errorf("%s: %w", l.name, err)
	}
	return scr, err
}

// output is the end of everything the server wrote, escapes and all.
func (l *learner) output() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tail.String()
}

// waitEnded waits for the server to close the session.
func (l *learner) waitEnded(timeout time.Duration) {
	l.t.Helper()
	select {
	case <-l.ended:
	case <-time.After(timeout):
		l.t.Fatalf("%s: the session did not end within %s:\n%s", l.name, timeout, l.screen())
	}
}

func (l *learner) close() {
	_ = l.sess.Close()
	_ = l.client.Close()
}
