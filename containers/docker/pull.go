package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/testcontainers/testcontainers-go"

	"github.com/streamlab/streamlab/containers"
)

// ErrImageUnavailable is wrapped by a start's error when the image is not
// on the engine and could not be pulled (no network, unknown tag, a
// registry's rate limit).
var ErrImageUnavailable = errors.New("image not available")

// imageAPI is the part of the Docker client that ensureImage needs.
type imageAPI interface {
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImagePull(ctx context.Context, ref string, opts image.PullOptions) (io.ReadCloser, error)
}

// ensureImage makes sure the engine has img, pulling it if not. The pull
// is done here rather than left to testcontainers-go, which pulls silently
// before any lifecycle hook runs: a first start downloads hundreds of
// megabytes, and the learner should see it move. Progress is reported at
// most once per interval.
func ensureImage(ctx context.Context, cli imageAPI, img, registryAuth string, report func(containers.Stage, string), interval time.Duration, log *lineLogger) error {
	_, err := cli.ImageInspect(ctx, img)
	if err == nil {
		report(containers.StagePreparing, img+" is on the engine")
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("docker provider: looking for image %s: %w", img, err)
	}
	report(containers.StagePulling, "pulling "+img+" (only the first start downloads it)")
	rc, err := cli.ImagePull(ctx, img, image.PullOptions{RegistryAuth: registryAuth})
	if err != nil {
		return pullError(img, err)
	}
	defer rc.Close()
	var last time.Time
	total, err := readPull(rc, func(p pullProgress) {
		if now := time.Now(); now.Sub(last) >= interval {
			last = now
			report(containers.StagePulling, fmt.Sprintf("pulling %s: %s", img, p))
		}
	})
	if err != nil {
		return pullError(img, err)
	}
	log.write(fmt.Sprintf("pulled %s (%s)", img, mb(total)))
	report(containers.StagePulling, fmt.Sprintf("pulled %s (%s)", img, mb(total)))
	return nil
}

func pullError(img string, err error) error {
	return fmt.Errorf("docker provider: %w: %s is not on this Docker engine and pulling it failed: %v; check the network (Docker Hub limits anonymous pulls: docker login helps), or pull it yourself with: docker pull %s", ErrImageUnavailable, img, err, img)
}

// pullProgress sums up a pull: bytes downloaded of the layers seen so far.
type pullProgress struct {
	Current, Total int64 // bytes, over the layers whose size is known
	Done, Layers   int
}

func (p pullProgress) String() string {
	return fmt.Sprintf("%s of %s, %d of %d layers", mb(p.Current), mb(p.Total), p.Done, p.Layers)
}

func mb(n int64) string {
	return fmt.Sprintf("%.0f MB", float64(n)/1e6)
}

// readPull reads the engine's JSON message stream for a pull to its end,
// calling progress as layers download, and returns the bytes downloaded.
// An error message in the stream is returned as an error: the engine
// answers 200 and reports a failed pull inside the stream.
func readPull(r io.Reader, progress func(pullProgress)) (int64, error) {
	type layer struct {
		current, total int64
		done           bool
	}
	layers := map[string]*layer{}
	var order []string
	dec := json.NewDecoder(r)
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return 0, fmt.Errorf("reading the pull's progress: %w", err)
		}
		if m.Error != nil {
			return 0, errors.New(m.Error.Message)
		}
		if m.ErrorMessage != "" {
			return 0, errors.New(m.ErrorMessage)
		}
		if m.ID == "" {
			continue // "Pulling from …", "Digest: …", "Status: …"
		}
		l := layers[m.ID]
		switch m.Status {
		case "Pulling fs layer", "Waiting", "Downloading", "Verifying Checksum", "Download complete",
			"Extracting", "Pull complete", "Already exists":
			if l == nil {
				l = &layer{}
				layers[m.ID] = l
				order = append(order, m.ID)
			}
		default:
			continue
		}
		switch m.Status {
		case "Downloading":
			if m.Progress != nil {
				l.current, l.total = m.Progress.Current, m.Progress.Total
			}
		case "Download complete", "Extracting", "Pull complete", "Already exists":
			l.done = true
			if l.total > 0 {
				l.current = l.total
			}
		}
		var p pullProgress
		for _, id := range order {
			l := layers[id]
			p.Current += l.current
			p.Total += l.total
			p.Layers++
			if l.done {
				p.Done++
			}
		}
		progress(p)
	}
	var total int64
	for _, l := range layers {
		total += l.current
	}
	return total, nil
}

// registryAuth finds credentials for img's registry in the docker CLI's
// configuration, as testcontainers-go would for its own pull; public
// images need none.
func registryAuth(ctx context.Context, img string, log *lineLogger) string {
	var auth string
	_ = safely(func() error {
		_, cfg, err := testcontainers.DockerImageAuth(ctx, img)
		if err != nil {
			return nil
		}
		b, err := json.Marshal(cfg)
		if err != nil {
			return nil
		}
		auth = base64.URLEncoding.EncodeToString(b)
		log.write("using the docker CLI's credentials for " + img)
		return nil
	})
	return auth
}
