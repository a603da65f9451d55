package gradebook

import (
	"runtime/debug"
	"sync"
)

// DevelVersion names a build that carries no version: one built without
// module or version-control information. Two such builds count as the
// same streamlab, so a grade by one may stand for the other; grade with
// --force after changing the grader.
const DevelVersion = "devel"

// Version names the streamlab that grades, for the content hash: a new
// streamlab may grade differently, so a grade recorded by another is
// made again.
var Version = sync.OnceValue(func() string {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(bi)
})

// versionOf is the main module's version and the commit it was built
// from, marked when the tree had changes; DevelVersion when neither is
// known.
func versionOf(bi *debug.BuildInfo) string {
	if bi == nil {
		return DevelVersion
	}
	v := bi.Main.Version
	if v == "(devel)" {
		v = ""
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		if modified == "true" {
			rev += "+modified"
		}
		if v != "" {
			v += " "
		}
		v += rev
	}
	if v == "" {
		return DevelVersion
	}
	return v
}
