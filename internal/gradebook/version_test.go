package gradebook

import (
	"runtime/debug"
	"testing"
)

func TestVersionNamesTheBuild(t *testing.T) {
	rev := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, c := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{nil, DevelVersion},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, DevelVersion},
		{&debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "v1.2.0"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev("vcs.revision", "abc123", "vcs.modified", "false")}, "abc123"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev("vcs.revision", "abc123", "vcs.modified", "true")}, "abc123+modified"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v1.2.1-0.20250101-abc123"}, Settings: rev("vcs.revision", "abc123")}, "v1.2.1-0.20250101-abc123 abc123"},
	} {
		if got := versionOf(c.bi); got != c.want {
			t.Errorf("versionOf(%+v) = %q, want %q", c.bi, got, c.want)
		}
	}
	if Version() == "" {
		t.Error("this build has no version")
	}
}

// Another streamlab may grade differently: its hash differs.
func TestHashCoversTheStreamlabVersion(t *testing.T) {
	dir := t.TempDir()
	a, err := hashFor("v1.0.0", dir, "kafka/x", []byte("spec"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := hashFor("v1.1.0", dir, "kafka/x", []byte("spec"))
	again, _ := hashFor("v1.0.0", dir, "kafka/x", []byte("spec"))
	if a == b || a != again {
		t.Errorf("v1.0.0 %s, v1.1.0 %s, v1.0.0 again %s: the version must change the hash, and only it", a, b, again)
	}
	if h, _ := Hash(dir, "kafka/x", []byte("spec")); h != mustHash(t, Version(), dir) {
		t.Error("Hash is the hash for this build's Version")
	}
}

func mustHash(t *testing.T, version, dir string) string {
	h, err := hashFor(version, dir, "kafka/x", []byte("spec"))
	if err != nil {
		t.Fatal(err)
	}
	return h
}
