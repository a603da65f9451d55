// Package auto chooses a cluster provider by name, or — for "auto" — the
// best one this machine can run: a cluster kept up by `cluster up`, else
// docker when an engine answers, else local JVMs when Java and the jars are
// there, else (Kafka only) embedded.
package auto

import (
	"errors"
	"fmt"
	"strings"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/docker"
	"github.com/streamlab/streamlab/containers/embedded"
	"github.com/streamlab/streamlab/containers/external"
	"github.com/streamlab/streamlab/containers/local"
	"github.com/streamlab/streamlab/containers/up"
)

// Names are the provider names a user can give.
var Names = []string{"auto", "docker", "embedded", "local", "external"}

// Choice is a provider and why it was chosen, for the learner to read.
type Choice struct {
	Provider containers.Provider
	Why      string
}

// Options carry what the providers need from flags and config.
type Options struct {
	Local    local.Options
	Docker   docker.Options
	External containers.Endpoints // for "external"
	// UpState is the state file of `streamlab cluster up`; a cluster
	// recorded there is reused instead of starting another.
	UpState string
}

// Choose returns the provider called name for clusters of kind k.
func Choose(name string, k containers.Kind, opts Options) (Choice, error) {
	if opts.UpState != "" && name != "external" {
		if st, _, _ := up.Read(opts.UpState); st != nil {
			if ep, ok := st.Clusters[k]; ok && (name == "" || name == "auto" || name == st.Provider) {
				why := fmt.Sprintf("reused: started by `streamlab cluster up` (pid %d)", st.PID)
				return Choice{external.New(st.Provider+" (kept up)", ep), why}, nil
			}
		}
	}
	switch name {
	case "docker":
		p := docker.New(opts.Docker)
		if err := p.Check(k); err != nil {
			return Choice{}, err
		}
		img, _ := p.Image(k)
		return Choice{p, "chosen with --cluster (" + img + ")"}, nil
	case "external":
		p := external.New("external", opts.External)
		if err := p.Check(k); err != nil {
			return Choice{}, err
		}
		return Choice{p, "chosen with --cluster (" + opts.External.Auth.String() + ")"}, nil
	case "embedded":
		if k != containers.Kafka {
			return Choice{}, fmt.Errorf("the embedded provider runs Kafka only; for %s exercises use --cluster local (Java 17+ and scripts/fetch-%s)", k, k)
		}
		return Choice{embedded.New(), "chosen with --cluster"}, nil
	case "local":
		p := local.New(opts.Local)
		if err := p.Check(k); err != nil {
			return Choice{}, err
		}
		return Choice{p, "chosen with --cluster"}, nil
	case "", "auto":
		d := docker.New(opts.Docker)
		derr := d.Check(k)
		if derr == nil {
			img, _ := d.Image(k)
			return Choice{d, fmt.Sprintf("auto: %s in Docker (%s), since a Docker engine answers", k, img)}, nil
		}
		return withoutDocker(k, opts, "no Docker engine", derr)
	}
	return Choice{}, fmt.Errorf("unknown cluster provider %q (use one of %s)", name, strings.Join(Names, ", "))
}

// withoutDocker is auto's choice once Docker is out: local, else embedded.
func withoutDocker(k containers.Kind, opts Options, why string, derr error) (Choice, error) {
	p := local.New(opts.Local)
	err := p.Check(k)
	if err == nil {
		return Choice{p, fmt.Sprintf("auto: real %s as a local JVM process (%s; Java and jars found)", k, why)}, nil
	}
	if k == containers.Kafka {
		return Choice{embedded.New(), "auto: in-process Kafka, since neither Docker (" + firstLine(derr) + ") nor local Kafka (" + firstLine(err) + ") can run here"}, nil
	}
	return Choice{}, fmt.Errorf("no provider can run %s here:\n  docker: %s\n  local: %w", k, firstLine(derr), err)
}

// Fallback is auto's next choice when the one it made could not start for
// a reason the next provider does not share: Docker answered, but its
// image cannot be pulled (offline, or a registry that refuses). A provider
// named on purpose (--cluster docker) keeps its error.
func Fallback(name string, k containers.Kind, opts Options, err error) (Choice, bool) {
	if name != "" && name != "auto" {
		return Choice{}, false
	}
	if !errors.Is(err, docker.ErrImageUnavailable) {
		return Choice{}, false
	}
	c, cerr := withoutDocker(k, opts, "the Docker image could not be pulled", err)
	return c, cerr == nil
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
