package docker

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"github.com/streamlab/streamlab/containers"
)

// engine is a Docker engine that answered.
type engine struct {
	Host    string // as the Docker client takes it: unix:///var/run/docker.sock, tcp://h:2376
	From    string // where the address came from, for messages
	Version string // the engine's API version
}

// candidate is an address where an engine may listen.
type candidate struct {
	Host string
	From string
}

// Where testcontainers-go looks; variables so that tests can point them at
// a temporary directory.
var (
	defaultSocket = "/var/run/docker.sock"
	runUserDir    = "/run/user"
)

// candidates lists the addresses testcontainers-go v0.40 tries, in its
// order (internal/core/docker_host.go), so that the engine found here is
// the one Start will use. Sockets that do not exist are left out, except
// DOCKER_HOST, which is listed as given.
func candidates() []candidate {
	var cs []candidate
	add := func(host, from string) {
		for _, c := range cs {
			if c.Host == host {
				return
			}
		}
		cs = append(cs, candidate{host, from})
	}
	socket := func(path, from string) {
		if st, err := os.Stat(path); err == nil && !st.IsDir() {
			add("unix://"+path, from)
		}
	}
	props := tcProperties()
	if h := props["tc.host"]; h != "" {
		add(h, "tc.host in ~/.testcontainers.properties")
	}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		add(h, "DOCKER_HOST")
	}
	socket(defaultSocket, "the default socket")
	if h := props["docker.host"]; h != "" {
		add(h, "docker.host in ~/.testcontainers.properties")
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		socket(filepath.Join(d, "docker.sock"), "rootless Docker ($XDG_RUNTIME_DIR)")
	}
	if home, err := os.UserHomeDir(); err == nil {
		socket(filepath.Join(home, ".docker", "run", "docker.sock"), "Docker Desktop (~/.docker/run)")
		socket(filepath.Join(home, ".docker", "desktop", "docker.sock"), "Docker Desktop (~/.docker/desktop)")
	}
	socket(filepath.Join(runUserDir, strconv.Itoa(os.Getuid()), "docker.sock"), "rootless Docker (/run/user)")
	return cs
}

// fromCLIContext is the From of an engine found through the docker CLI's
// current context, which testcontainers-go v0.40 does not read.
const fromCLIContext = "the docker CLI's current context"

// findEngine pings each candidate address, then the docker CLI's current
// context, and returns the first engine that answers within timeout. Its
// error names the address a learner most likely meant and what to do.
func findEngine(ctx context.Context, k containers.Kind, timeout time.Duration) (engine, error) {
	cs := candidates()
	if name, host := cliContext(); host != "" && os.Getenv("DOCKER_HOST") == "" {
		known := false
		for _, c := range cs {
			known = known || c.Host == host
		}
		if !known {
			cs = append(cs, candidate{host, fromCLIContext + " (" + name + ")"})
		}
	}
	var tried []string
	for _, c := range cs {
		v, err := ping(ctx, c.Host, timeout)
		if err == nil {
			return engine{Host: c.Host, From: c.From, Version: v}, nil
		}
		if ctx.Err() != nil {
			return engine{}, fmt.Errorf("docker provider: looking for a Docker engine: %w", ctx.Err())
		}
		tried = append(tried, fmt.Sprintf("%s (%s): %s", c.Host, c.From, reason(err, timeout)))
	}
	return engine{}, noEngineError(k, cs, tried)
}

// noEngineError builds the error for a machine where no engine answers.
// Its first line is what a learner reads; the rest says what was tried.
func noEngineError(k containers.Kind, cs []candidate, tried []string) error {
	at := "unix://" + defaultSocket
	if len(cs) > 0 {
		at = cs[0].Host
	}
	instead := "use --cluster local (Java 17+) or --cluster embedded"
	if k == containers.Pulsar {
		instead = "use --cluster local (Java 17+ and scripts/fetch-pulsar)"
	}
	msg := fmt.Sprintf("docker provider: no Docker engine answers at %s: start Docker, or %s", at, instead)
	if len(tried) > 0 {
		msg += "\ntried " + strings.Join(tried, "; ")
	} else {
		msg += fmt.Sprintf("\nthere is no socket at %s and DOCKER_HOST is not set", defaultSocket)
	}
	if os.Getenv("DOCKER_HOST") == "" {
		msg += "\nif your engine listens elsewhere (Colima, Podman, a remote host), set DOCKER_HOST to its address"
	}
	return noEngine(msg)
}

// noEngine is the error when no engine answers; it matches errNoEngine.
type noEngine string

func (e noEngine) Error() string        { return string(e) }
func (e noEngine) Is(target error) bool { return target == errNoEngine }

// reason says in a few words why an address did not answer.
func reason(err error, timeout time.Duration) string {
	s := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(s, "deadline exceeded"):
		return fmt.Sprintf("no answer within %v", timeout)
	case strings.Contains(s, "permission denied"):
		return "permission denied (add your user to the docker group, or use rootless Docker)"
	case strings.Contains(s, "no such file") || strings.Contains(s, "not exist"):
		return "no socket there"
	case strings.Contains(s, "Cannot connect to the Docker daemon"), strings.Contains(s, "connection refused"):
		return "nothing is listening"
	}
	return s
}

// ping asks the engine at host for its API version.
func ping(ctx context.Context, host string, timeout time.Duration) (string, error) {
	if u, err := url.Parse(host); err == nil && u.Scheme == "unix" {
		if _, err := os.Stat(u.Path); err != nil {
			return "", err
		}
	}
	cli, err := newClient(host)
	if err != nil {
		return "", err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, err := cli.Ping(ctx)
	if err != nil {
		return "", err
	}
	return p.APIVersion, nil
}

// newClient is a Docker API client for host, with TLS settings from the
// environment (DOCKER_CERT_PATH, DOCKER_TLS_VERIFY) as the docker CLI has.
func newClient(host string) (*client.Client, error) {
	return client.NewClientWithOpts(client.FromEnv, client.WithHost(host), client.WithAPIVersionNegotiation())
}

// tcProperties reads ~/.testcontainers.properties (key=value lines).
func tcProperties() map[string]string {
	props := map[string]string{}
	home, err := os.UserHomeDir()
	if err != nil {
		return props
	}
	f, err := os.Open(filepath.Join(home, ".testcontainers.properties"))
	if err != nil {
		return props
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			props[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return props
}

// cliContext returns the docker CLI's current context and its engine
// address, or "", "" for the default context (or none).
func cliContext() (name, host string) {
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", ""
		}
		dir = filepath.Join(home, ".docker")
	}
	name = os.Getenv("DOCKER_CONTEXT")
	if name == "" {
		var cfg struct {
			CurrentContext string `json:"currentContext"`
		}
		if b, err := os.ReadFile(filepath.Join(dir, "config.json")); err == nil {
			_ = json.Unmarshal(b, &cfg)
		}
		name = cfg.CurrentContext
	}
	if name == "" || name == "default" {
		return "", ""
	}
	sum := sha256.Sum256([]byte(name))
	b, err := os.ReadFile(filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]), "meta.json"))
	if err != nil {
		return "", ""
	}
	var meta struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if json.Unmarshal(b, &meta) != nil {
		return "", ""
	}
	return name, meta.Endpoints["docker"].Host
}
