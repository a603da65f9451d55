// Package streamlab holds the course content: labs, exercise starters and
// reference solutions, embedded in the binary so that the catalogue and
// `reset` work without the repository.
package streamlab

import "embed"

// Content is the course: labs/, exercises/ and solutions/.
//
//go:embed labs exercises solutions
var Content embed.FS
