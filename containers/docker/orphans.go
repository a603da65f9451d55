package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// containerAPI is the part of the Docker client that reapOrphans needs.
type containerAPI interface {
	ContainerList(ctx context.Context, opts container.ListOptions) ([]container.Summary, error)
	ContainerRemove(ctx context.Context, id string, opts container.RemoveOptions) error
}

// reapOrphans removes the containers that a streamlab process on this host
// started and can no longer stop because it is gone (killed, crashed). It
// stands in for Ryuk (see the package documentation) and returns how many
// it removed.
func reapOrphans(ctx context.Context, cli containerAPI, host string, alive func(pid int) bool) (int, error) {
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(
		filters.Arg("label", LabelProvider+"="+ProviderName),
		filters.Arg("label", LabelHost+"="+host),
	)})
	if err != nil {
		return 0, fmt.Errorf("listing streamlab's containers: %w", err)
	}
	n := 0
	var errs []error
	for _, c := range list {
		if !orphaned(c.Labels, host, alive) {
			continue
		}
		if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			errs = append(errs, fmt.Errorf("removing container %.12s: %w", c.ID, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// orphaned reports whether a container with these labels belongs to a
// streamlab process on this host that no longer runs.
func orphaned(labels map[string]string, host string, alive func(pid int) bool) bool {
	if labels[LabelProvider] != ProviderName || labels[LabelHost] != host {
		return false
	}
	pid, err := strconv.Atoi(labels[LabelPID])
	if err != nil || pid <= 0 {
		return false
	}
	return !alive(pid)
}

// processAlive reports whether a process with this id exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// hostname names this machine in LabelHost, so that processes on other
// machines sharing an engine are never judged by this one's process table.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}
