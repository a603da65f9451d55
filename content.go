// Package streamlab holds the course content: labs, exercise starters and
// reference solutions, embedded in the binary so that the catalogue and
// `reset` work without the repository.
package streamlab

import "embed"

// Content is the course: labs/, exercises/ and solutions/.
//
//go:embed labs exercises solutions
var Content embed.FS

// GoMod and GoSum are streamlab's own module files: a learner's workspace
// gets the same requirements, so its Go programs build with the modules
// that built streamlab, offline.
//
//go:embed go.mod
var GoMod []byte

//go:embed go.sum
var GoSum []byte
