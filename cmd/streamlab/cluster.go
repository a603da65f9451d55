package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/containers/auto"
	"github.com/streamlab/streamlab/containers/external"
	"github.com/streamlab/streamlab/containers/up"
	"github.com/streamlab/streamlab/internal/config"
	"github.com/streamlab/streamlab/internal/progress"
)

// clusterOpts are the flags every command that needs a cluster shares.
// Secrets are never flags (they would show in `ps`): they come from the
// config file or the environment.
type clusterOpts struct {
	cluster, learner, kafka, pulsarURL, pulsarAdmin *string
}

func clusterFlags(fs *flag.FlagSet) clusterOpts {
	return clusterOpts{
		cluster:     fs.String("cluster", "", ""),
		learner:     fs.String("learner", "", ""),
		kafka:       fs.String("kafka-bootstrap", "", ""),
		pulsarURL:   fs.String("pulsar-url", "", ""),
		pulsarAdmin: fs.String("pulsar-admin-url", "", ""),
	}
}

// config merges the config file, the environment and these flags.
func (o clusterOpts) config() (config.Config, error) {
	cfg, err := config.Load(config.DefaultPath())
	if err != nil {
		return cfg, err
	}
	if *o.cluster != "" {
		cfg.Cluster = *o.cluster
	}
	if cfg.Cluster == "" {
		cfg.Cluster = "auto"
	}
	if *o.learner != "" {
		if err := cfg.SetLearner(*o.learner); err != nil {
			return cfg, err
		}
	}
	if *o.kafka != "" {
		cfg.Kafka.Bootstrap = strings.Split(*o.kafka, ",")
	}
	if *o.pulsarURL != "" {
		cfg.Pulsar.ServiceURL = *o.pulsarURL
	}
	if *o.pulsarAdmin != "" {
		cfg.Pulsar.AdminURL = *o.pulsarAdmin
	}
	return cfg, nil
}

func (o clusterOpts) autoOptions(cfg config.Config) auto.Options {
	return auto.Options{External: cfg.Endpoints(), UpState: upStatePath()}
}

func upStatePath() string { return up.DefaultPath(filepath.Dir(progress.DefaultPath())) }

// cluster runs `streamlab cluster up|down|status`.
func (a *app) cluster(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: streamlab cluster up|down|status [--cluster P] [--kinds kafka,pulsar]")
	}
	fs := flag.NewFlagSet("cluster "+args[0], flag.ContinueOnError)
	cf := clusterFlags(fs)
	kindsFlag := fs.String("kinds", "kafka,pulsar", "")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	path := upStatePath()
	switch args[0] {
	case "status":
		st, stale, err := up.Read(path)
		if err != nil {
			return err
		}
		if stale {
			fmt.Fprintln(a.stderr, "removed the record of a cluster whose process is gone")
		}
		if st == nil {
			fmt.Fprintln(a.stdout, "no cluster is up (start one with `streamlab cluster up`)")
			return nil
		}
		fmt.Fprintf(a.stdout, "%s cluster up since %s (pid %d)\n", st.Provider, st.Started.Local().Format(time.Kitchen), st.PID)
		for k, ep := range st.Clusters {
			c, err := external.New(st.Provider, ep).Start(ctx, k, nil)
			status := "answers"
			if err != nil {
				status = "does not answer: " + err.Error()
			} else {
				_ = c.Stop(ctx)
			}
			fmt.Fprintf(a.stdout, "  %-6s %s  %s\n", k, endpointText(k, ep), status)
		}
		return nil
	case "down":
		was, err := up.Stop(path, time.Minute)
		if err != nil {
			return err
		}
		if !was {
			fmt.Fprintln(a.stdout, "no cluster is up")
			return nil
		}
		fmt.Fprintln(a.stdout, "cluster stopped")
		return nil
	case "up", "serve":
	default:
		return fmt.Errorf("unknown cluster command %q (use up, down or status)", args[0])
	}

	cfg, err := cf.config()
	if err != nil {
		return err
	}
	var kinds []containers.Kind
	for _, k := range strings.Split(*kindsFlag, ",") {
		kinds = append(kinds, containers.Kind(strings.TrimSpace(k)))
	}
	if args[0] == "serve" {
		// The background process itself: owns the clusters until SIGTERM.
		choice, err := auto.Choose(cfg.Cluster, kinds[0], auto.Options{External: cfg.Endpoints()})
		if err != nil {
			return err
		}
		return up.Serve(ctx, choice.Provider, kinds, path, func(e containers.Event) {
			fmt.Fprintf(a.stderr, "%s %s %s %s\n", e.Provider, e.Kind, e.Stage, e.Message)
		})
	}

	if st, _, _ := up.Read(path); st != nil {
		fmt.Fprintf(a.stdout, "a %s cluster is already up (pid %d); `streamlab cluster down` stops it\n", st.Provider, st.PID)
		return nil
	}
	for _, k := range kinds {
		if _, err := auto.Choose(cfg.Cluster, k, auto.Options{External: cfg.Endpoints()}); err != nil {
			return fmt.Errorf("%s: %w (use --kinds to start fewer)", k, err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logPath := filepath.Join(filepath.Dir(path), "cluster.log")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(self, "cluster", "serve", "--cluster", cfg.Cluster, "--kinds", *kindsFlag)
	cmd.Stdout, cmd.Stderr = logf, logf
	// A session of its own: the cluster outlives this command and the
	// terminal it ran in, until `cluster down`.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the cluster process: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	fmt.Fprintf(a.stderr, "starting %s (%s); log in %s\n", strings.ReplaceAll(*kindsFlag, ",", ", "), cfg.Cluster, logPath)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			return ctx.Err()
		case err := <-exited:
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("the cluster process exited before it was ready (%v):\n%s", err, lastLines(string(log), 20))
		case <-tick.C:
			if st, _, _ := up.Read(path); st != nil && st.PID == cmd.Process.Pid {
				fmt.Fprintf(a.stdout, "%s cluster up (pid %d):\n", st.Provider, st.PID)
				for k, ep := range st.Clusters {
					fmt.Fprintf(a.stdout, "  %-6s %s\n", k, endpointText(k, ep))
				}
				fmt.Fprintln(a.stdout, "`streamlab check` reuses it; `streamlab cluster down` stops it.")
				return nil
			}
		}
	}
}

func endpointText(k containers.Kind, ep containers.Endpoints) string {
	if k == containers.Kafka {
		return "KAFKA_BOOTSTRAP_SERVERS=" + strings.Join(ep.KafkaBootstrap, ",")
	}
	return "PULSAR_SERVICE_URL=" + ep.PulsarServiceURL + " PULSAR_ADMIN_URL=" + ep.PulsarAdminURL
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
