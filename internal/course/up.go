package course

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/containers/external"
	"github.com/streamlab/streamlab/containers/up"
	"github.com/streamlab/streamlab/internal/result"
)

// ClusterLog is the log of the background process that keeps a cluster up.
func (p Paths) ClusterLog() string { return filepath.Join(p.State, "cluster.log") }

// KeptUp is a cluster kept running between commands by `streamlab cluster
// up`: a background streamlab process that owns it until `cluster down`.
type KeptUp struct {
	Provider string
	PID      int
	Started  time.Time
	Log      string
	Clusters []KeptCluster // Kafka before Pulsar
}

// KeptCluster is one cluster of a KeptUp.
type KeptCluster struct {
	Kind      containers.Kind
	Endpoints containers.Endpoints
	// Err says why it does not answer; set by UpStatus only.
	Err error
}

// Env is how a learner's program would receive the cluster's addresses.
func (c KeptCluster) Env() string {
	if c.Kind == containers.Kafka {
		return "KAFKA_BOOTSTRAP_SERVERS=" + strings.Join(c.Endpoints.KafkaBootstrap, ",")
	}
	return "PULSAR_SERVICE_URL=" + c.Endpoints.PulsarServiceURL + " PULSAR_ADMIN_URL=" + c.Endpoints.PulsarAdminURL
}

func (s *Session) keptUp(st *up.State) *KeptUp {
	k := &KeptUp{Provider: st.Provider, PID: st.PID, Started: st.Started, Log: s.paths.ClusterLog()}
	kinds := make([]containers.Kind, 0, len(st.Clusters))
	for kind := range st.Clusters {
		kinds = append(kinds, kind)
	}
	slices.Sort(kinds)
	for _, kind := range kinds {
		k.Clusters = append(k.Clusters, KeptCluster{Kind: kind, Endpoints: st.Clusters[kind]})
	}
	return k
}

// UpStatus returns the cluster kept up, with whether each of its clusters
// answers now, or nil when none is up. stale reports that the record of a
// process that is gone was found and removed.
func (s *Session) UpStatus(ctx context.Context) (k *KeptUp, stale bool, err error) {
	st, stale, err := up.Read(s.paths.UpState)
	if err != nil || st == nil {
		return nil, stale, err
	}
	k = s.keptUp(st)
	for i, c := range k.Clusters {
		cl, err := external.New(st.Provider, c.Endpoints).Start(ctx, c.Kind, nil)
		if err != nil {
			k.Clusters[i].Err = err
			continue
		}
		_ = cl.Stop(ctx)
	}
	return k, stale, nil
}

// UpRequest starts a cluster that outlives the command.
type UpRequest struct {
	Kinds []containers.Kind
	// Serve is the command line (program first) that runs Serve with the
	// same provider and kinds in a background process.
	Serve []string
}

// Up starts a background process that keeps clusters of the requested
// kinds up, and returns once they answer; the lines the process logs
// meanwhile are copied to progress. When a cluster is up already it is
// returned as it is, with already set. Cancelling ctx stops the process.
func (s *Session) Up(ctx context.Context, req UpRequest, progress io.Writer) (k *KeptUp, already bool, err error) {
	quiet := progress == nil
	if quiet {
		progress = io.Discard
	}
	if st, _, err := up.Read(s.paths.UpState); err != nil {
		return nil, false, err
	} else if st != nil {
		return s.keptUp(st), true, nil
	}
	if len(req.Kinds) == 0 || len(req.Serve) == 0 {
		return nil, false, errors.New("cluster up: no kinds or no serve command")
	}
	for _, kind := range req.Kinds {
		if _, err := s.serveChoice(kind); err != nil {
			return nil, false, &UsageError{fmt.Sprintf("%s: %v (use --kinds to start fewer)", kind, err)}
		}
	}
	if err := os.MkdirAll(s.paths.State, 0o755); err != nil {
		return nil, false, err
	}
	logPath := s.paths.ClusterLog()
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, false, err
	}
	defer logf.Close()
	cmd := exec.Command(req.Serve[0], req.Serve[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// A session of its own: the cluster outlives this command and the
	// terminal it ran in, until `cluster down`.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, false, fmt.Errorf("starting the cluster process: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s.log.Info("cluster up", "pid", cmd.Process.Pid, "provider", s.opts.Config.Cluster, "kinds", fmt.Sprint(req.Kinds))
	names := make([]string, len(req.Kinds))
	for i, k := range req.Kinds {
		names[i] = string(k)
	}
	fmt.Fprintf(progress, "starting %s (%s) in the background; log in %s\n", strings.Join(names, " and "), s.opts.Config.Cluster, logPath)

	follow := &logFollower{path: logPath, w: progress}
	defer follow.flush()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			return nil, false, ctx.Err()
		case err := <-exited:
			if !quiet {
				return nil, false, fmt.Errorf("the cluster process exited before it was ready (%v); its log, %s, ends with the lines above", err, logPath)
			}
			log, _ := os.ReadFile(logPath)
			return nil, false, fmt.Errorf("the cluster process exited before it was ready (%v); the end of %s:\n%s", err, logPath, result.LastLines(string(log), 20))
		case <-tick.C:
			follow.poll()
			if st, _, _ := up.Read(s.paths.UpState); st != nil && st.PID == cmd.Process.Pid {
				return s.keptUp(st), false, nil
			}
		}
	}
}

// Down stops the cluster kept up and waits until its process is gone; it
// reports false when none was up.
func (s *Session) Down() (bool, error) {
	return up.Stop(s.paths.UpState, time.Minute)
}

// Serve is the background process Up starts: it starts a cluster of each
// kind with the session's provider, records them for later commands, and
// keeps them until ctx ends. Start-up progress goes to log, a line each.
func (s *Session) Serve(ctx context.Context, kinds []containers.Kind, log io.Writer) error {
	if len(kinds) == 0 {
		return errors.New("cluster serve: no kinds")
	}
	choice, err := s.serveChoice(kinds[0])
	if err != nil {
		return err
	}
	return up.Serve(ctx, choice.Provider, kinds, s.paths.UpState, func(e containers.Event) {
		text := EventText(e)
		if !strings.Contains(strings.ToLower(text), string(e.Kind)) {
			text = string(e.Kind) + ": " + text // "Kafka 4.3 ready" says it already
		}
		fmt.Fprintln(log, text)
	})
}

// serveChoice picks the provider a kept-up cluster runs on: never the
// kept-up cluster itself.
func (s *Session) serveChoice(k containers.Kind) (auto.Choice, error) {
	o := s.AutoOptions()
	o.UpState = ""
	return s.opts.Choose(s.opts.Config.Cluster, k, o)
}

// EventText is a provider's start-up event as a line of progress: what
// happened, said once, and the time it took once the cluster is ready.
func EventText(e containers.Event) string {
	text := e.Message
	if text == "" {
		text = string(e.Stage)
	}
	if e.Stage == containers.StageReady {
		text += fmt.Sprintf(" (%s)", e.Elapsed.Round(100*time.Millisecond))
	}
	return text
}

// logFollower copies the complete lines appended to a file to w.
type logFollower struct {
	path    string
	w       io.Writer
	offset  int64
	partial []byte
}

func (f *logFollower) poll() {
	file, err := os.Open(f.path)
	if err != nil {
		return
	}
	defer file.Close()
	if _, err := file.Seek(f.offset, io.SeekStart); err != nil {
		return
	}
	b, _ := io.ReadAll(file)
	f.offset += int64(len(b))
	f.partial = append(f.partial, b...)
	if i := bytes.LastIndexByte(f.partial, '\n'); i >= 0 {
		_, _ = f.w.Write(f.partial[:i+1])
		f.partial = slices.Clone(f.partial[i+1:])
	}
}

func (f *logFollower) flush() {
	f.poll()
	if len(f.partial) > 0 {
		_, _ = fmt.Fprintf(f.w, "%s\n", f.partial)
		f.partial = nil
	}
}
