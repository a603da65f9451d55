package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/course"
)

func (a *app) clusterCommand() *cobra.Command {
	var kinds string
	cmd := &cobra.Command{
		Use:   "cluster up|down|status",
		Short: "Keep a cluster running between checks",
		Long: `Starting a JVM for every check is slow: ` + "`cluster up`" + ` starts a cluster in
a background process that outlives the command and the terminal, later
checks and the course reuse it, and ` + "`cluster down`" + ` stops exactly what up
started.`,
		Example: `  streamlab cluster up --cluster local
  streamlab cluster up --kinds kafka
  streamlab cluster status
  streamlab cluster down`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usage("cluster needs a command: up, down or status")
			}
			return usage("unknown cluster command %q (use up, down or status)", args[0])
		},
	}
	kindsFlag := func(c *cobra.Command) *cobra.Command {
		c.Flags().StringVar(&kinds, "kinds", "kafka,pulsar", "the clusters to start: kafka, pulsar or kafka,pulsar")
		_ = c.RegisterFlagCompletionFunc("kinds", fixedCompletions("kafka,pulsar", "kafka", "pulsar"))
		return c
	}
	cmd.AddCommand(
		kindsFlag(&cobra.Command{
			Use:   "up",
			Short: "Start a cluster in the background, for later checks to reuse",
			Example: `  streamlab cluster up                     # auto: docker, else local, else embedded
  streamlab cluster up --cluster local --kinds kafka`,
			Args: cobra.NoArgs,
			RunE: runE(func(cmd *cobra.Command, args []string) error {
				ks, err := parseKinds(kinds)
				if err != nil {
					return err
				}
				sess, err := a.open(sessionOptions{})
				if err != nil {
					return err
				}
				self, err := os.Executable()
				if err != nil {
					return err
				}
				serve := []string{self, "cluster", "serve", "--cluster", sess.ProviderName(), "--kinds", kinds}
				k, already, err := sess.Up(cmd.Context(), course.UpRequest{Kinds: ks, Serve: serve}, a.stderr)
				if err != nil {
					return err
				}
				if already {
					fmt.Fprintf(a.stdout, "a %s cluster is already up (pid %d); `streamlab cluster down` stops it\n", k.Provider, k.PID)
					return nil
				}
				fmt.Fprintf(a.stdout, "%s cluster up (pid %d):\n", k.Provider, k.PID)
				for _, c := range k.Clusters {
					fmt.Fprintf(a.stdout, "  %-6s %s\n", c.Kind, c.Env())
				}
				fmt.Fprintln(a.stdout, "`streamlab check` reuses it; `streamlab cluster down` stops it.")
				return nil
			}),
		}),
		&cobra.Command{
			Use:     "down",
			Short:   "Stop the cluster `cluster up` started",
			Example: "  streamlab cluster down",
			Args:    cobra.NoArgs,
			RunE: runE(func(cmd *cobra.Command, args []string) error {
				sess, err := a.open(sessionOptions{})
				if err != nil {
					return err
				}
				was, err := sess.Down()
				switch {
				case err != nil:
					return err
				case !was:
					fmt.Fprintln(a.stdout, "no cluster is up")
				default:
					fmt.Fprintln(a.stdout, "cluster stopped")
				}
				return nil
			}),
		},
		&cobra.Command{
			Use:     "status",
			Short:   "Whether a cluster is kept up, where, and whether it answers",
			Example: "  streamlab cluster status",
			Args:    cobra.NoArgs,
			RunE: runE(func(cmd *cobra.Command, args []string) error {
				sess, err := a.open(sessionOptions{})
				if err != nil {
					return err
				}
				k, stale, err := sess.UpStatus(cmd.Context())
				if err != nil {
					return err
				}
				if stale {
					fmt.Fprintln(a.stderr, "removed the record of a cluster whose process is gone")
				}
				if k == nil {
					fmt.Fprintln(a.stdout, "no cluster is up (start one with `streamlab cluster up`)")
					return nil
				}
				fmt.Fprintf(a.stdout, "%s cluster up since %s (pid %d); log in %s\n", k.Provider, k.Started.Local().Format(time.Kitchen), k.PID, k.Log)
				for _, c := range k.Clusters {
					status := "answers"
					if c.Err != nil {
						status = "does not answer: " + c.Err.Error()
					}
					fmt.Fprintf(a.stdout, "  %-6s %s  %s\n", c.Kind, c.Env(), status)
				}
				return nil
			}),
		},
		kindsFlag(&cobra.Command{
			Use:     "serve",
			Short:   "The background process of `cluster up` (not for direct use)",
			Example: "  streamlab cluster serve --cluster local --kinds kafka",
			Hidden:  true,
			Args:    cobra.NoArgs,
			RunE: runE(func(cmd *cobra.Command, args []string) error {
				ks, err := parseKinds(kinds)
				if err != nil {
					return err
				}
				sess, err := a.open(sessionOptions{})
				if err != nil {
					return err
				}
				// Owns the clusters until SIGTERM (`cluster down`).
				return sess.Serve(cmd.Context(), ks, a.stderr)
			}),
		}),
	)
	return cmd
}

func parseKinds(s string) ([]containers.Kind, error) {
	var kinds []containers.Kind
	for _, k := range strings.Split(s, ",") {
		switch kind := containers.Kind(strings.TrimSpace(k)); kind {
		case containers.Kafka, containers.Pulsar:
			kinds = append(kinds, kind)
		default:
			return nil, usage("--kinds %s: %q is neither kafka nor pulsar", s, k)
		}
	}
	return kinds, nil
}
