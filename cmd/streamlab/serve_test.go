package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"
)

// A server nobody could log in to, or one that could run no check, is
// refused before any cluster starts.
func TestServeRefusesUsage(t *testing.T) {
	data := t.TempDir()
	passcode := filepath.Join(data, "passcode")
	if err := os.WriteFile(passcode, []byte("open-sesame\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--kinds", "kafka", "--data", data}, "nobody could log in"},
		{[]string{"serve", "--kinds", "kafka", "--data", data, "--allow", "keys", "--max-checks", "0"}, "--max-checks 0"},
		{[]string{"serve", "--kinds", "kafka,zookeeper", "--data", data}, `"zookeeper" is neither kafka nor pulsar`},
		{[]string{"serve", "--kinds", "kafka", "--data", data, "--passcode-file", filepath.Join(data, "missing")}, "--passcode-file"},
		{[]string{"serve", "--kinds", "kafka", "--data", data, "--allow", filepath.Join(data, "missing")}, "--allow: the allow-list: open"},
		{[]string{"serve", "--kinds", "pulsar", "--data", data, "--passcode-file", passcode, "--class", "dbs"}, "--kinds pulsar starts no Kafka cluster"},
		{[]string{"serve", "--kinds", "kafka", "--data", data, "--passcode-file", passcode, "--editor", "no-such-editor-here"}, `"no-such-editor-here" is not on this machine's PATH`},
	} {
		_, stderr, code := runCLI(t, c.args...)
		if code != codeUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, stderr, codeUsage, c.want)
		}
	}
}

// The passcode comes from a file or the environment, never a flag, and
// leaves the environment once read, so that nothing serve starts sees it.
func TestReadPasscode(t *testing.T) {
	t.Setenv("STREAMLAB_SERVE_PASSCODE", " open-sesame \n")
	code, err := readPasscode("")
	if err != nil || code != "open-sesame" {
		t.Fatalf("from the environment: %q, %v", code, err)
	}
	if v, ok := os.LookupEnv("STREAMLAB_SERVE_PASSCODE"); ok {
		t.Fatalf("the passcode is still in the environment: %q", v)
	}
	file := filepath.Join(t.TempDir(), "passcode")
	if err := os.WriteFile(file, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, err := readPasscode(file); err != nil || code != "from-a-file" {
		t.Fatalf("from a file: %q, %v", code, err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readPasscode(empty); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Fatalf("an empty passcode file: %v", err)
	}
}

// syncBuffer is a buffer a command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// `streamlab serve` on an in-process Kafka: a learner on the allow-list
// connects over SSH and gets the course; Ctrl-C (the context) ends the
// learner's connection, saying why, and serve exits cleanly.
func TestServeCommandOverSSH(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	allow := filepath.Join(dir, "allow")
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(key.PublicKey()))) + " ada@laptop\n"
	if err := os.WriteFile(allow, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	ended := make(chan error, 1)
	go func() {
		ended <- run(ctx, []string{"serve", "--cluster", "embedded", "--kinds", "kafka", "--ssh", "127.0.0.1:0",
			"--allow", allow, "--data", filepath.Join(dir, "data"), "--editor", "true", "--class", "dbs"}, &stdout, &stderr)
	}()
	port := ""
	deadline := time.Now().Add(time.Minute)
	for port == "" {
		if m := regexp.MustCompile(`ssh -p (\d+) HOST`).FindStringSubmatch(stdout.String()); m != nil {
			port = m[1]
		}
		select {
		case err := <-ended:
			t.Fatalf("serve ended before it listened: %v\n%s%s", err, stdout.String(), stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not say where it listens:\n%s%s", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	client, err := gossh.Dial("tcp", "127.0.0.1:"+port, &gossh.ClientConfig{
		User: "ada", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 30, 90, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	emu := vt.NewEmulator(90, 30)
	go func() { _, _ = io.Copy(io.Discard, emu) }() // its answers to the UI's questions
	var mu sync.Mutex
	var raw bytes.Buffer
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		buf := make([]byte, 32<<10)
		for {
			n, err := out.Read(buf)
			mu.Lock()
			_, _ = emu.Write(buf[:n])
			raw.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	screen := func() string {
		mu.Lock()
		defer mu.Unlock()
		return emu.String()
	}
	for !strings.Contains(screen(), "Your course") {
		if time.Now().After(deadline) {
			t.Fatalf("no course on the learner's screen:\n%s", screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(stdout.String(), "learners' checks are shared with class dbs on embedded at ") {
		t.Errorf("serve --class did not say where the class's checks go:\n%s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "learners", "ada", "workspace")); err != nil {
		t.Errorf("ada has no workspace in the data folder: %v", err)
	}

	cancel() // Ctrl-C
	select {
	case err := <-ended:
		var ee exitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("serve ended with %v", err)
		}
		if err != nil {
			t.Fatalf("serve exited %d:\n%s", ee.code, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not end within a minute of Ctrl-C")
	}
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("the learner's connection outlived the server")
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(raw.String(), "the workshop's server is stopping") {
		t.Errorf("the learner was not told why the connection ended:\n%q", raw.String())
	}
}
