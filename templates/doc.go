// Package templates holds what an instructor copies to grade a class
// outside streamlab: a Gradescope autograder (gradescope/) and a GitHub
// Actions workflow (github-actions/). It has no Go code of its own: its
// tests run both templates for real, the scripts and the workflow's
// steps, with a streamlab built from this checkout, on a local Kafka.
package templates
