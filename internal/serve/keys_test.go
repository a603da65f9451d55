package serve

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An allow-list names each key's learner by its name option, else by its
// comment up to an @; what cannot be read is refused with its line and
// what to write instead.
func TestParseKeys(t *testing.T) {
	ada, bob, cy := newKey(t), newKey(t), newKey(t)
	list := "# workshop keys\n\n" +
		authorizedLine(ada, "", "Ada@laptop") + "\n" +
		authorizedLine(bob, `name="bob"`, "a comment with spaces") + "\n" +
		"   " + authorizedLine(cy, "", "cy") + "\n"
	got, err := ParseKeys(strings.NewReader(list), "allow")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		line int
	}{{"ada", 3}, {"bob", 4}, {"cy", 5}}
	if len(got) != len(want) {
		t.Fatalf("got %d keys, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Line != w.line {
			t.Errorf("key %d: %s on line %d, want %s on line %d", i, got[i].Name, got[i].Line, w.name, w.line)
		}
	}
	if string(got[0].Key.Marshal()) != string(ada.PublicKey().Marshal()) {
		t.Error("the first key is not ada's")
	}

	for _, c := range []struct{ list, want string }{
		{"ssh-ed25519 not-base64 ada\n", "allow:1: not a public key"},
		{"\n" + authorizedLine(ada, `command="sh"`, "ada") + "\n", `allow:2: option "command=\"sh\"" is not understood`},
		{authorizedLine(ada, "", "Ada Lovelace") + "\n", `allow:1: "ada lovelace" is not a learner name`},
		{authorizedLine(ada, "", "") + "\n", "allow:1: the key has no learner name"},
		{authorizedLine(ada, `name="x_y"`, "") + "\n", `"x_y" is not a learner name`},
	} {
		_, err := ParseKeys(strings.NewReader(c.list), "allow")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one with %q", c.list, err, c.want)
		}
	}
}

// Keys registered with the passcode are kept in a file, once per key and
// name; names on the allow-list, or with folders, are not free; a changed
// allow-list is read again, and a broken one leaves the last good one in
// force.
func TestKeysRegisterAndReload(t *testing.T) {
	dir := t.TempDir()
	allow := filepath.Join(dir, "allow")
	reg := filepath.Join(dir, "registered")
	ada, bob, dee := newKey(t), newKey(t), newKey(t)
	if err := os.WriteFile(allow, []byte(authorizedLine(ada, "", "ada")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	k, err := LoadKeys(allow, reg, func(err error) { warnings = append(warnings, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	if name, ok := k.Lookup(ada.PublicKey()); !ok || name != "ada" {
		t.Fatalf("ada's key: %q, %v", name, ok)
	}
	if _, ok := k.Lookup(dee.PublicKey()); ok {
		t.Fatal("an unknown key was known")
	}
	if err := k.Register(dee.PublicKey(), "ada"); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("registering under a name on the allow-list: %v", err)
	}
	if err := k.Register(dee.PublicKey(), "Not A Name"); err == nil {
		t.Fatal("registered under a name that cannot prefix topics")
	}
	k.Reserved = func(name string) bool { return name == "gone" } // a learner whose key left the list
	if err := k.Register(dee.PublicKey(), "gone"); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("registering under a name whose folders exist: %v", err)
	}
	if err := k.Register(dee.PublicKey(), "dee"); err != nil {
		t.Fatal(err)
	}
	if err := k.Register(dee.PublicKey(), "dee2"); err == nil {
		t.Fatal("a key registered twice")
	}
	if err := k.Register(bob.PublicKey(), "dee"); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("a second key under a registered name: %v", err)
	}

	// A server started again knows dee.
	again, err := LoadKeys(allow, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if name, ok := again.Lookup(dee.PublicKey()); !ok || name != "dee" {
		t.Fatalf("after a restart, dee's key: %q, %v", name, ok)
	}

	// The instructor adds bob during the workshop.
	later := time.Now().Add(time.Second)
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(allow, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		later = later.Add(time.Second)
		if err := os.Chtimes(allow, later, later); err != nil {
			t.Fatal(err)
		}
	}
	write(authorizedLine(ada, "", "ada") + "\n" + authorizedLine(bob, "", "bob") + "\n")
	if name, ok := k.Lookup(bob.PublicKey()); !ok || name != "bob" {
		t.Fatalf("bob, added to the allow-list: %q, %v", name, ok)
	}
	// Then breaks the file: the list before stays, and he hears of it.
	write("not a key\n")
	if name, ok := k.Lookup(bob.PublicKey()); !ok || name != "bob" {
		t.Fatalf("bob, after the allow-list broke: %q, %v", name, ok)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "stays in force") {
		t.Fatalf("warnings: %q", warnings)
	}
}
