package local

// Apache Pulsar standalone as a child JVM: one process holding the broker, one
// BookKeeper bookie and a RocksDB metadata store (no ZooKeeper), with the
// functions worker and stream storage off. See PULSAR.md beside this file
// for how the command line and configuration were worked out and measured.
//
// Where the jars come from, first match wins:
//
//  1. the STREAMLAB_PULSAR_HOME environment variable (an unpacked Apache
//     Pulsar release, or a directory of jars)
//  2. the cache that scripts/fetch-pulsar fills:
//     ${STREAMLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/streamlab}/pulsar/<version>/
//     where <version> is $PULSAR_VERSION, else DefaultPulsarVersion; with
//     neither set explicitly, any complete version in the cache (the newest).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/streamlab/streamlab/containers"
)

// DefaultPulsarVersion is the Pulsar version scripts/fetch-pulsar fetches by
// default, and the one looked for first in the cache. Keep the two in step.
const DefaultPulsarVersion = "4.0.8"

func init() {
	pulsarSupport.start = func(p *Provider, ctx context.Context, progress func(containers.Event)) (containers.Cluster, error) {
		c, err := p.StartPulsar(ctx, progress)
		if err != nil {
			return nil, err // not a typed nil inside the interface
		}
		return c, nil
	}
	pulsarSupport.check = func(p *Provider) error {
		if _, err := FindJava(p.opts.JavaHome); err != nil {
			return err
		}
		_, err := FindPulsar("", "")
		return err
	}
}

// PulsarDist is a Pulsar installation found by FindPulsar.
type PulsarDist struct {
	Home    string // the directory given or found
	Lib     string // the directory holding the jars
	Version string // from the pulsar-broker jar's name
	Jar     string // the pulsar-broker jar
}

const pulsarFetchHint = "run scripts/fetch-pulsar (it puts the Pulsar release in the cache), set STREAMLAB_PULSAR_HOME to an unpacked Apache Pulsar release, or use --cluster docker"

// FindPulsar finds the Pulsar jars: in home if it is set, else in
// $STREAMLAB_PULSAR_HOME, else in the cache (version: the argument, else
// $PULSAR_VERSION, else DefaultPulsarVersion, else any complete version
// there). Errors say where it looked and what to run.
func FindPulsar(home, version string) (PulsarDist, error) {
	return findDist(distSearch[PulsarDist]{
		what: "Pulsar %s", homeEnv: "STREAMLAB_PULSAR_HOME", homeOption: "Pulsar home",
		versionEnv: "PULSAR_VERSION", defaultVersion: DefaultPulsarVersion, cache: "pulsar",
		fetch: "scripts/fetch-pulsar", release: "an unpacked Apache Pulsar release", fallback: "--cluster docker",
		hint: pulsarFetchHint, at: pulsarDistAt,
	}, home, version)
}

// pulsarDistAt recognises dir/lib/<broker jar> (a release) or dir/<broker
// jar> (a directory of jars).
func pulsarDistAt(dir string) (PulsarDist, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return PulsarDist{}, errors.New("no such directory")
	}
	if !st.IsDir() {
		return PulsarDist{}, errors.New("not a directory")
	}
	for _, lib := range []string{filepath.Join(dir, "lib"), dir} {
		if jar, v := pulsarBrokerJar(lib); v != "" {
			abs, err := filepath.Abs(lib)
			if err != nil {
				abs = lib
			}
			return PulsarDist{Home: dir, Lib: abs, Version: v, Jar: filepath.Join(abs, filepath.Base(jar))}, nil
		}
	}
	return PulsarDist{}, fmt.Errorf("no pulsar-broker-<version>.jar in %s or %s", filepath.Join(dir, "lib"), dir)
}

// pulsarBrokerJar returns the broker jar in lib and its version, or "", "".
// A release names it org.apache.pulsar-pulsar-broker-4.0.8.jar, Maven's
// copy-dependencies pulsar-broker-4.0.8.jar; pulsar-broker-common-*,
// -auth-* and the like are other jars.
func pulsarBrokerJar(lib string) (jar, version string) {
	for _, pat := range []string{"org.apache.pulsar-pulsar-broker-*.jar", "pulsar-broker-*.jar"} {
		m, _ := filepath.Glob(filepath.Join(lib, pat))
		for _, j := range m {
			base := strings.TrimSuffix(filepath.Base(j), ".jar")
			v := base[strings.LastIndex(base, "pulsar-broker-")+len("pulsar-broker-"):]
			if v == "" || v[0] < '0' || v[0] > '9' || strings.Contains(v, "-") { // -common-..., -sources, -tests
				continue
			}
			return j, v
		}
	}
	return "", ""
}

// PulsarCluster is Pulsar standalone (broker, one bookie, RocksDB metadata)
// running as a child JVM. It implements containers.Cluster.
type PulsarCluster struct {
	proc       *Process
	dir        string
	serviceURL string
	adminURL   string
	version    string
	grace      time.Duration
	keepDir    bool
	cds        cdsPlan

	stopOnce sync.Once
	stopErr  error
}

var _ containers.Cluster = (*PulsarCluster)(nil)

// Kind returns containers.Pulsar.
func (c *PulsarCluster) Kind() containers.Kind { return containers.Pulsar }

// Endpoints returns the binary protocol and admin (HTTP) URLs on 127.0.0.1.
func (c *PulsarCluster) Endpoints() containers.Endpoints {
	return containers.Endpoints{PulsarServiceURL: c.serviceURL, PulsarAdminURL: c.adminURL}
}

// ServiceURL is pulsar://127.0.0.1:<port>.
func (c *PulsarCluster) ServiceURL() string { return c.serviceURL }

// AdminURL is http://127.0.0.1:<port>.
func (c *PulsarCluster) AdminURL() string { return c.adminURL }

// Version is the Pulsar version running.
func (c *PulsarCluster) Version() string { return c.version }

// Pid is the JVM's process id (and process group id).
func (c *PulsarCluster) Pid() int { return c.proc.Pid() }

// Dir is the temporary directory holding the configuration
// (standalone.conf, log4j2.properties), data (data/) and log (pulsar.log).
// Stop removes it unless Options.KeepDir is set.
func (c *PulsarCluster) Dir() string { return c.dir }

// LogFile is the path of the JVM's log (its stdout and stderr).
func (c *PulsarCluster) LogFile() string { return c.proc.LogFile() }

// Done is closed when the JVM has exited, for whatever reason.
func (c *PulsarCluster) Done() <-chan struct{} { return c.proc.Done() }

// Kill ends Pulsar abruptly (SIGKILL to its process group) and waits for it
// to exit. Stop still removes the temporary directory.
func (c *PulsarCluster) Kill() error { return c.proc.Kill() }

// Stop shuts Pulsar down (SIGTERM, then SIGKILL after the grace period or
// when ctx ends), waits for it to exit and removes the temporary directory.
// It is safe to call more than once; later calls return the first result.
func (c *PulsarCluster) Stop(ctx context.Context) error {
	c.stopOnce.Do(func() {
		grace := c.grace
		if c.cds.temp != "" && grace > 0 && grace < cdsDumpGrace {
			// This run writes the class-data archive as it exits; give it time.
			grace = cdsDumpGrace
		}
		err := c.proc.Stop(ctx, grace)
		c.cds.finish(c.proc)
		if !c.keepDir {
			if rerr := os.RemoveAll(c.dir); rerr != nil && err == nil {
				err = fmt.Errorf("local: remove %s: %w", c.dir, rerr)
			}
		}
		c.stopErr = err
	})
	return c.stopErr
}

// cdsDumpGrace is the least Stop waits for a run that dumps its AppCDS
// archive on exit: Pulsar shuts down in about 2 s, the dump of ~80 MB takes
// about 4 s more on this 2-core machine.
const cdsDumpGrace = 30 * time.Second

// pulsarConfig is what standalone.conf is rendered from.
type pulsarConfig struct {
	WebPort    int
	BrokerPort int
	Loopback   string // name of the loopback interface, for the bookie
}

// pulsarStandaloneConf renders standalone.conf. The same file configures the
// broker (ServiceConfiguration) and, read again by PulsarStandalone, the
// in-process bookie (BookKeeper's ServerConfiguration); keys not set here
// keep Pulsar's or BookKeeper's own defaults.
func pulsarStandaloneConf(c pulsarConfig) string {
	lines := []string{
		"# Written by streamlab's local provider: Pulsar standalone on loopback.",
		"clusterName=standalone",
		"bindAddress=127.0.0.1",
		"advertisedAddress=127.0.0.1",
		fmt.Sprintf("webServicePort=%d", c.WebPort),
		fmt.Sprintf("brokerServicePort=%d", c.BrokerPort),
		// One bookie: every ledger has one copy (the defaults want 2).
		"managedLedgerDefaultEnsembleSize=1",
		"managedLedgerDefaultWriteQuorum=1",
		"managedLedgerDefaultAckQuorum=1",
		"loadManagerClassName=org.apache.pulsar.broker.loadbalance.NoopLoadManager",
		"loadBalancerEnabled=false",
		"allowAutoTopicCreation=true",
		"allowAutoTopicCreationType=non-partitioned",
		// Pulsar deletes a topic without producers, consumers or
		// subscriptions after a minute by default, data and all; checks
		// that run after a learner's producer has exited must still find it.
		"brokerDeleteInactiveTopicsEnabled=false",
		"webSocketServiceEnabled=false",
		"functionsWorkerEnabled=false",
		// The bookie: the release's standalone storage settings, small caches.
		"ledgerStorageClass=org.apache.bookkeeper.bookie.storage.ldb.DbLedgerStorage",
		"journalSyncData=false",
		"journalMaxGroupWaitMSec=1",
		"dbStorage_writeCacheMaxSizeMb=16",
		"dbStorage_readAheadCacheMaxSizeMb=16",
		"diskUsageThreshold=0.99",
		"diskUsageWarnThreshold=0.99",
		"allowLoopback=true",
		// Without these the bookie ignores --bookkeeper-port (it picks a
		// port itself) and listens on 0.0.0.0.
		"allowEphemeralPorts=true",
		"listeningInterface=" + propEscape(c.Loopback),
	}
	return strings.Join(lines, "\n") + "\n"
}

// pulsarLog4j sends INFO and above to stdout (the log file), without
// Jetty's line per HTTP request (checks poll the admin API).
const pulsarLog4j = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = %d{ISO8601} [%t] %-5level %logger{36} - %msg%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.requests.name = org.eclipse.jetty.server.RequestLog
logger.requests.level = WARN
`

// loopbackInterface names the loopback network interface ("lo" on Linux,
// "lo0" on macOS).
func loopbackInterface() string {
	ifs, err := net.Interfaces()
	if err == nil {
		for _, i := range ifs {
			if i.Flags&net.FlagLoopback != 0 && i.Flags&net.FlagUp != 0 {
				return i.Name
			}
		}
	}
	return "lo"
}

// pulsarJVM is the JVM options for the standalone, without class path and
// main class. They mirror what the release's bin/pulsar passes (module
// opens for Netty, BookKeeper and the JMX metrics), plus:
//   - -XX:TieredStopAtLevel=1: C1 only. Start-up is mostly JIT work (Jersey
//     and Jetty initialising); without C2 it takes half the CPU time, and the
//     course's traffic needs no peak throughput.
//   - a small heap and direct memory (the release asks for 2g and 4g).
func (p *Provider) pulsarJVM(dir string, java Java) []string {
	heap := p.opts.Heap
	if heap == "" {
		heap = "512m"
	}
	var args []string
	if javaMajor(java.Version) >= 23 {
		// Netty and BookKeeper use sun.misc.Unsafe memory access.
		args = append(args, "--sun-misc-unsafe-memory-access=allow")
	}
	args = append(args,
		"-Xmx"+heap,
		"-XX:MaxDirectMemorySize=256m",
		"-XX:+UseG1GC",
		"-XX:TieredStopAtLevel=1",
		"-XX:-UsePerfData",
		"-XX:+ExitOnOutOfMemoryError",
		"-Djava.awt.headless=true",
		"-Djava.net.preferIPv4Stack=true",
		"--add-opens", "java.base/java.io=ALL-UNNAMED",
		"--add-opens", "java.base/java.util.zip=ALL-UNNAMED",
		"--add-opens", "java.base/java.nio=ALL-UNNAMED",
		"--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
		"--add-opens", "java.base/jdk.internal.platform=ALL-UNNAMED",
		"--add-opens", "java.management/sun.management=ALL-UNNAMED",
		"--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
		"--enable-native-access=ALL-UNNAMED",
		"-Dio.netty.tryReflectionSetAccessible=true",
		"-Dorg.apache.pulsar.shade.io.netty.tryReflectionSetAccessible=true",
		"-Dio.netty.recycler.maxCapacityPerThread=4096",
		"-Dpulsar.allocator.exit_on_oom=true",
		"-Dlog4j.configurationFile="+filepath.Join(dir, "log4j2.properties"),
		"-Dlog4j.shutdownHookEnabled=false", // Pulsar shuts log4j down itself
		"-Dlog4j2.is.webapp=false",
	)
	return args
}

// StartPulsar is Start for containers.Pulsar, returning the concrete type.
// It finds Java and the jars, picks free loopback ports, writes the
// configuration into a new temporary directory, starts the standalone and
// returns once the binary port accepts connections and the admin API lists
// the namespace public/default. On any error (including ctx ending) it kills
// what it started and removes the directory.
func (p *Provider) StartPulsar(ctx context.Context, progress func(containers.Event)) (*PulsarCluster, error) {
	report := containers.NewReporter(ProviderName, containers.Pulsar, progress).Stage
	fail := func(err error) (*PulsarCluster, error) {
		report(containers.StageFailed, err.Error(), err)
		return nil, err
	}

	timeout := p.opts.StartTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	errTimeout := fmt.Errorf("Pulsar was not ready within %v (Options.StartTimeout)", timeout)
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errTimeout)
	defer cancel()

	report(containers.StagePreparing, "finding Java and the Pulsar jars", nil)
	java, err := FindJava(p.opts.JavaHome)
	if err != nil {
		return fail(err)
	}
	dist, err := FindPulsar("", "")
	if err != nil {
		return fail(err)
	}

	const attempts = 3
	for i := 1; ; i++ {
		c, err := p.startPulsarOnce(ctx, java, dist, report)
		if err == nil {
			report(containers.StageReady, fmt.Sprintf("Pulsar %s ready on %s (admin %s)", c.version, c.serviceURL, c.adminURL), nil)
			return c, nil
		}
		if i < attempts && AddressInUse(err) && ctx.Err() == nil {
			report(containers.StagePreparing, "a port was taken meanwhile; retrying with other ports", nil)
			continue
		}
		if errors.Is(context.Cause(ctx), errTimeout) {
			err = fmt.Errorf("%w: %w", errTimeout, err)
		}
		if AddressInUse(err) {
			err = portsKeptTaken(err, attempts)
		}
		return fail(fmt.Errorf("local provider: start Pulsar %s: %w", dist.Version, err))
	}
}

// startPulsarOnce is one start attempt with fresh ports and directory.
func (p *Provider) startPulsarOnce(ctx context.Context, java Java, dist PulsarDist, report func(containers.Stage, string, error)) (c *PulsarCluster, err error) {
	ports, err := FreePorts(3)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(p.opts.TempDir, "streamlab-pulsar-*")
	if err != nil {
		return nil, fmt.Errorf("make temporary directory: %w", err)
	}
	var proc *Process
	var cds cdsPlan
	defer func() {
		if err == nil {
			return
		}
		if proc != nil {
			proc.Kill()
			cds.finish(proc)
		}
		if !p.opts.KeepDir {
			os.RemoveAll(dir)
		}
	}()

	cfg := pulsarConfig{WebPort: ports[0], BrokerPort: ports[1], Loopback: loopbackInterface()}
	bookiePort := ports[2]
	confPath := filepath.Join(dir, "standalone.conf")
	if err := os.WriteFile(confPath, []byte(pulsarStandaloneConf(cfg)), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "log4j2.properties"), []byte(pulsarLog4j), 0o644); err != nil {
		return nil, err
	}

	cds = p.planPulsarCDS(java, dist)
	args := append(p.pulsarJVM(dir, java), cds.args...)
	args = append(args, p.opts.JVMArgs...)
	args = append(args, "-cp", filepath.Join(dist.Lib, "*"), "org.apache.pulsar.PulsarStandaloneStarter",
		"--config", confPath,
		"--no-functions-worker", "--no-stream-storage",
		"--bookkeeper-port", itoa(bookiePort),
		"--bookkeeper-dir", filepath.Join(dir, "data", "bookkeeper"),
		"--metadata-dir", filepath.Join(dir, "data", "metadata"),
	)
	proc, err = StartProcess(ProcessSpec{
		Name: "pulsar", Path: java.Path, Args: args,
		Dir: dir, // relative defaults (data/standalone/zookeeper, ...) land here
		Env: pulsarEnv(), LogFile: filepath.Join(dir, "pulsar.log"),
	})
	if err != nil {
		return nil, err
	}
	serviceURL := fmt.Sprintf("pulsar://127.0.0.1:%d", cfg.BrokerPort)
	adminURL := fmt.Sprintf("http://127.0.0.1:%d", cfg.WebPort)
	report(containers.StageStarting, fmt.Sprintf("Pulsar %s started (pid %d), log in %s", dist.Version, proc.Pid(), proc.LogFile()), nil)

	report(containers.StageWaiting, "waiting for Pulsar to answer on "+serviceURL+" and "+adminURL, nil)
	if err := WaitReady(ctx, proc, 200*time.Millisecond, pulsarProbe(fmt.Sprintf("127.0.0.1:%d", cfg.BrokerPort), adminURL)); err != nil {
		return nil, err
	}
	grace := p.opts.StopGrace
	if grace == 0 {
		grace = 10 * time.Second
	}
	return &PulsarCluster{proc: proc, dir: dir, serviceURL: serviceURL, adminURL: adminURL,
		version: dist.Version, grace: grace, keepDir: p.opts.KeepDir, cds: cds}, nil
}

// pulsarEnv is the parent's environment without
// PULSAR_STANDALONE_USE_ZOOKEEPER, which would make the standalone start
// ZooKeeper on the fixed port 2181 instead of using RocksDB.
func pulsarEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "PULSAR_STANDALONE_USE_ZOOKEEPER=")
	})
}

// pulsarHTTP talks to the admin API on loopback, never through a proxy.
var pulsarHTTP = &http.Client{
	Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	Timeout:   3 * time.Second,
}

// pulsarProbe succeeds once the binary port accepts a connection and the
// admin API lists public/default, the namespace the standalone creates last
// on its way up (after it, the broker serves lookups and produce requests).
// It asks for the tenants first: asking for public's namespaces before the
// tenant exists logs an ERROR in the broker for every poll.
func pulsarProbe(brokerAddr, adminURL string) func(context.Context) error {
	dial := DialProbe(brokerAddr)
	return func(ctx context.Context) error {
		if err := dial(ctx); err != nil {
			return err
		}
		var tenants []string
		if err := getJSON(ctx, adminURL+"/admin/v2/tenants", &tenants); err != nil {
			return err
		}
		if !slices.Contains(tenants, "public") {
			return fmt.Errorf("tenants %v do not include public yet", tenants)
		}
		var namespaces []string
		if err := getJSON(ctx, adminURL+"/admin/v2/namespaces/public", &namespaces); err != nil {
			return err
		}
		if !slices.Contains(namespaces, "public/default") {
			return fmt.Errorf("namespaces %v do not include public/default yet", namespaces)
		}
		return nil
	}
}

func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := pulsarHTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.Unmarshal(body, v)
}

// planPulsarCDS is planCDS (see cdsPlan in kafka.go) for Pulsar: the first
// run of a Pulsar version on a JVM dumps an AppCDS archive as it exits and
// later runs map it. Measured here it takes start-up from about 9 to 6 CPU
// seconds on Java 17, and from about 8 to 4 on Java 25.
func (p *Provider) planPulsarCDS(java Java, dist PulsarDist) cdsPlan {
	if p.opts.NoClassDataCache {
		return cdsPlan{}
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00", dist.Lib, java.Version)
	if real, err := filepath.EvalSymlinks(java.Path); err == nil {
		fmt.Fprint(h, real)
		if st, err := os.Stat(real); err == nil {
			fmt.Fprintf(h, "\x00%d\x00%d", st.Size(), st.ModTime().UnixNano())
		}
	}
	if st, err := os.Stat(dist.Jar); err == nil {
		fmt.Fprintf(h, "\x00%d\x00%d", st.Size(), st.ModTime().UnixNano())
	}
	dir := filepath.Join(CacheDir(), "pulsar", ".cds")
	final := filepath.Join(dir, fmt.Sprintf("pulsar-%s-java%s-%x.jsa", dist.Version, javaMajorString(java.Version), h.Sum64()))
	if st, err := os.Stat(final); err == nil && st.Size() > 0 {
		return cdsPlan{args: []string{"-XX:SharedArchiveFile=" + final}}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return cdsPlan{}
	}
	f, err := os.CreateTemp(dir, ".dump-*.jsa")
	if err != nil {
		return cdsPlan{}
	}
	f.Close()
	os.Remove(f.Name()) // the JVM creates it
	return cdsPlan{args: []string{"-XX:ArchiveClassesAtExit=" + f.Name(), "-Xlog:cds=off"}, temp: f.Name(), final: final}
}
