package local

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/streamlab/streamlab/containers"
)

// KafkaCluster is a single-node Kafka (KRaft, combined broker+controller)
// running as a child JVM. It implements containers.Cluster.
type KafkaCluster struct {
	mu        sync.Mutex // guards proc, which a restart replaces
	proc      *Process
	spec      ProcessSpec // how proc was started, to start it again
	dir       string
	bootstrap string
	version   string
	grace     time.Duration
	keepDir   bool
	cds       cdsPlan

	stopOnce sync.Once
	stopErr  error
}

var _ containers.Cluster = (*KafkaCluster)(nil)

// Kind returns containers.Kafka.
func (c *KafkaCluster) Kind() containers.Kind { return containers.Kafka }

// Endpoints returns the broker's PLAINTEXT listener on 127.0.0.1.
func (c *KafkaCluster) Endpoints() containers.Endpoints {
	return containers.Endpoints{KafkaBootstrap: []string{c.bootstrap}}
}

// Bootstrap is the broker's host:port.
func (c *KafkaCluster) Bootstrap() string { return c.bootstrap }

// Version is the Kafka version running.
func (c *KafkaCluster) Version() string { return c.version }

// Pid is the JVM's process id (and process group id).
func (c *KafkaCluster) Pid() int { return c.process().Pid() }

func (c *KafkaCluster) process() *Process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proc
}

// CanRestartBroker returns nil: a local broker can always be restarted.
func (c *KafkaCluster) CanRestartBroker() error { return nil }

// RestartBroker kills the JVM (SIGKILL: a crash, so the broker recovers
// its logs on start as after a real one), starts it again with the same
// configuration, data directory and ports, and waits until it answers.
func (c *KafkaCluster) RestartBroker(ctx context.Context) error {
	c.mu.Lock()
	if err := c.proc.Kill(); err != nil {
		c.mu.Unlock()
		return err
	}
	proc, err := StartProcess(c.spec)
	if err == nil {
		c.proc = proc
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := WaitReady(ctx, proc, 100*time.Millisecond, kafkaProbe(c.bootstrap)); err != nil {
		return fmt.Errorf("local: Kafka did not come back after a restart: %w", err)
	}
	return nil
}

// Dir is the temporary directory holding the cluster's configuration
// (server.properties, log4j2.properties), data (data/) and log (kafka.log).
// Stop removes it unless Options.KeepDir is set.
func (c *KafkaCluster) Dir() string { return c.dir }

// LogFile is the path of the broker's log (its stdout and stderr).
func (c *KafkaCluster) LogFile() string { return c.process().LogFile() }

// Done is closed when the broker process has exited, for whatever reason.
// After a restart it is the new process's.
func (c *KafkaCluster) Done() <-chan struct{} { return c.process().Done() }

// Kill ends the broker abruptly (SIGKILL to its process group, no shutdown)
// and waits for it to exit. It leaves the temporary directory in place;
// Stop still removes it. Tests use Kill to simulate a broker crash.
func (c *KafkaCluster) Kill() error { return c.process().Kill() }

// Stop shuts the broker down (SIGTERM, then SIGKILL after the grace period
// or when ctx ends), waits for it to exit and removes the temporary
// directory. It is safe to call more than once and from several goroutines;
// later calls return the first call's result.
func (c *KafkaCluster) Stop(ctx context.Context) error {
	c.stopOnce.Do(func() {
		grace := c.grace
		if c.cds.temp != "" && grace > 0 && grace < kafkaCDSDumpGrace {
			grace = kafkaCDSDumpGrace // writing the AppCDS archive takes a while
		}
		proc := c.process()
		err := proc.Stop(ctx, grace)
		c.cds.finish(proc)
		if !c.keepDir {
			if rerr := os.RemoveAll(c.dir); rerr != nil && err == nil {
				err = fmt.Errorf("local: remove %s: %w", c.dir, rerr)
			}
		}
		c.stopErr = err
	})
	return c.stopErr
}

// kafkaConfig is what server.properties is rendered from.
type kafkaConfig struct {
	BrokerPort     int
	ControllerPort int
	DataDir        string
}

// kafkaProperties renders server.properties for a single-node KRaft cluster
// on 127.0.0.1. Internal topics get replication factor 1 (and fewer
// partitions than the default 50, which only speeds up the first consumer
// group or transaction). Retention is deliberately left at Kafka's default
// (log.retention.hours=168): exercises check that learners set it per topic.
func kafkaProperties(c kafkaConfig) string {
	lines := []string{
		"# Written by streamlab's local provider: single-node Kafka, KRaft mode.",
		"process.roles=broker,controller",
		"node.id=1",
		fmt.Sprintf("controller.quorum.voters=1@127.0.0.1:%d", c.ControllerPort),
		fmt.Sprintf("listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", c.BrokerPort, c.ControllerPort),
		fmt.Sprintf("advertised.listeners=PLAINTEXT://127.0.0.1:%d", c.BrokerPort),
		"controller.listener.names=CONTROLLER",
		"inter.broker.listener.name=PLAINTEXT",
		"listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
		"log.dirs=" + propEscape(c.DataDir),
		"num.partitions=1",
		"default.replication.factor=1",
		"min.insync.replicas=1",
		"offsets.topic.replication.factor=1",
		"offsets.topic.num.partitions=5",
		"transaction.state.log.replication.factor=1",
		"transaction.state.log.min.isr=1",
		"transaction.state.log.num.partitions=5",
		"share.coordinator.state.topic.replication.factor=1",
		"share.coordinator.state.topic.min.isr=1",
		"group.initial.rebalance.delay.ms=0",
	}
	return strings.Join(lines, "\n") + "\n"
}

// propEscape escapes a value for a Java .properties file.
func propEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, ":", `\:`, "=", `\=`)
	return r.Replace(s)
}

// log4jProperties sends everything at INFO and above to stdout (that is, the
// log file) in Kafka's usual layout, with the noisiest loggers turned down.
const log4jProperties = `status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = INFO
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
`

// kafkaJVM is the JVM options for the broker and the storage tool.
func (p *Provider) kafkaJVM(dir string, extra bool) []string {
	heap := p.opts.Heap
	if heap == "" {
		heap = "512m"
	}
	args := []string{
		"-Xmx" + heap,
		"-XX:+UseG1GC",
		"-XX:MaxGCPauseMillis=20",
		"-XX:-UsePerfData", // no /tmp/hsperfdata_* file left behind by SIGKILL
		"-XX:+ExitOnOutOfMemoryError",
		"-Djava.awt.headless=true",
		"-Dlog4j2.configurationFile=" + filepath.Join(dir, "log4j2.properties"),
		"-Dkafka.logs.dir=" + dir,
	}
	if extra {
		args = append(args, p.opts.JVMArgs...)
	}
	return args
}

// StartKafka is Start for containers.Kafka, returning the concrete type.
// It finds Java and the jars, picks free loopback ports, writes the
// configuration into a new temporary directory, formats the storage, starts
// the broker and returns once a Kafka metadata request lists the broker.
// On any error (including ctx ending) it kills what it started and removes
// the directory.
func (p *Provider) StartKafka(ctx context.Context, progress func(containers.Event)) (*KafkaCluster, error) {
	report := containers.NewReporter(ProviderName, containers.Kafka, progress).Stage
	fail := func(err error) (*KafkaCluster, error) {
		report(containers.StageFailed, err.Error(), err)
		return nil, err
	}

	timeout := p.opts.StartTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	errTimeout := fmt.Errorf("Kafka was not ready within %v (Options.StartTimeout)", timeout)
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errTimeout)
	defer cancel()

	report(containers.StagePreparing, "finding Java and the Kafka jars", nil)
	java, err := FindJava(p.opts.JavaHome)
	if err != nil {
		return fail(err)
	}
	dist, err := FindKafka(p.opts.KafkaHome, p.opts.KafkaVersion)
	if err != nil {
		return fail(err)
	}

	// A port picked by FreePorts can be taken by someone else before the
	// JVM binds it; such a start is retried with new ports.
	// A broker that dies at start-up after using a cached file (bootstrap
	// metadata, AppCDS archive) is retried once without reading the
	// caches; that retry writes them anew, so a bad cache can't make
	// every start fail.
	const attempts = 3
	noCache := false
	for i := 1; ; i++ {
		c, caches, err := p.startKafkaOnce(ctx, java, dist, noCache, report)
		if err == nil {
			report(containers.StageReady, fmt.Sprintf("Kafka %s ready on %s", c.version, c.bootstrap), nil)
			return c, nil
		}
		var exitErr *ExitError
		if i < attempts && ctx.Err() == nil && errors.As(err, &exitErr) {
			if AddressInUse(err) {
				report(containers.StagePreparing, "a port was taken meanwhile; retrying with other ports", nil)
				continue
			}
			if len(caches) > 0 && !noCache {
				// Not deleted: the failure may have another cause. A
				// successful retry overwrites them with fresh ones.
				noCache = true
				report(containers.StagePreparing, "Kafka failed to start with cached files; retrying without them", nil)
				continue
			}
		}
		if errors.Is(context.Cause(ctx), errTimeout) {
			err = fmt.Errorf("%w: %w", errTimeout, err)
		}
		if AddressInUse(err) {
			err = portsKeptTaken(err, attempts)
		}
		return fail(fmt.Errorf("local provider: start Kafka %s: %w", dist.Version, err))
	}
}

// startKafkaOnce is one start attempt with fresh ports and directory.
// With noCache it does not use the format and AppCDS caches (it still
// refills them). caches lists the cached files it used.
func (p *Provider) startKafkaOnce(ctx context.Context, java Java, dist KafkaDist, noCache bool, report func(containers.Stage, string, error)) (c *KafkaCluster, caches []string, err error) {
	ports, err := FreePorts(2)
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp(p.opts.TempDir, "streamlab-kafka-*")
	if err != nil {
		return nil, nil, fmt.Errorf("make temporary directory: %w", err)
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

	cfg := kafkaConfig{BrokerPort: ports[0], ControllerPort: ports[1], DataDir: filepath.Join(dir, "data")}
	propsPath := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(propsPath, []byte(kafkaProperties(cfg)), 0o644); err != nil {
		return nil, caches, err
	}
	if err := os.WriteFile(filepath.Join(dir, "log4j2.properties"), []byte(log4jProperties), 0o644); err != nil {
		return nil, caches, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, caches, err
	}

	usedBootstrap, err := p.formatStorage(ctx, java, dist, dir, propsPath, cfg.DataDir, noCache, report)
	if usedBootstrap != "" {
		caches = append(caches, usedBootstrap)
	}
	if err != nil {
		return nil, caches, err
	}
	if err := ctx.Err(); err != nil {
		return nil, caches, err
	}

	cds = p.planCDS(java, dist, noCache)
	if cds.temp == "" && cds.final != "" {
		caches = append(caches, cds.final)
	}
	args := append(p.kafkaJVM(dir, true), cds.args...)
	args = append(args, "-cp", filepath.Join(dist.Libs, "*"), "kafka.Kafka", propsPath)
	spec := ProcessSpec{Name: "kafka", Path: java.Path, Args: args, Dir: dir, LogFile: filepath.Join(dir, "kafka.log")}
	proc, err = StartProcess(spec)
	if err != nil {
		return nil, caches, err
	}
	bootstrap := fmt.Sprintf("127.0.0.1:%d", cfg.BrokerPort)
	report(containers.StageStarting, fmt.Sprintf("Kafka %s started (pid %d), log in %s", dist.Version, proc.Pid(), proc.LogFile()), nil)

	report(containers.StageWaiting, "waiting for Kafka to answer on "+bootstrap, nil)
	if err := WaitReady(ctx, proc, 100*time.Millisecond, kafkaProbe(bootstrap)); err != nil {
		return nil, caches, err
	}
	grace := p.opts.StopGrace
	if grace == 0 {
		grace = 10 * time.Second
	}
	return &KafkaCluster{proc: proc, spec: spec, dir: dir, bootstrap: bootstrap, version: dist.Version, grace: grace, keepDir: p.opts.KeepDir, cds: cds}, caches, nil
}

// kafkaProbe succeeds once the port is open and a Kafka metadata request
// (kadm ListBrokers) returns node 1: a real protocol round-trip.
func kafkaProbe(bootstrap string) func(context.Context) error {
	dial := DialProbe(bootstrap)
	return func(ctx context.Context) error {
		if err := dial(ctx); err != nil {
			return err
		}
		brokers, err := containers.KafkaBrokers(ctx, bootstrap)
		if err != nil {
			return err
		}
		for _, b := range brokers {
			if b.NodeID == 1 {
				return nil
			}
		}
		return fmt.Errorf("metadata lists brokers %v, not node 1 yet", brokers.NodeIDs())
	}
}

// formatStorage prepares the data directory as `kafka-storage.sh format`
// would. The first time for a Kafka version it runs kafka.tools.StorageTool
// (a second JVM, about a second) and keeps the bootstrap.checkpoint it
// writes (the initial feature levels: metadata.version, group.version, ...,
// which depend only on the version and not on the cluster id or ports).
// Later starts copy that file and write meta.properties themselves, which
// saves the JVM run. Options.NoFormatCache turns the reuse off.
//
// It returns the cached file it used, if any.
func (p *Provider) formatStorage(ctx context.Context, java Java, dist KafkaDist, dir, propsPath, dataDir string, noCache bool, report func(containers.Stage, string, error)) (usedCache string, err error) {
	clusterID, err := kafkaUUID()
	if err != nil {
		return "", err
	}
	cached := ""
	if !p.opts.NoFormatCache {
		cached = bootstrapCachePath(dist)
	}
	if cached != "" && !noCache {
		if err := copyFile(cached, filepath.Join(dataDir, "bootstrap.checkpoint")); err == nil {
			report(containers.StagePreparing, "preparing storage (cached bootstrap metadata)", nil)
			dirID, err := kafkaUUID()
			if err != nil {
				return cached, err
			}
			meta := fmt.Sprintf("#Written by streamlab\nnode.id=1\ndirectory.id=%s\nversion=1\ncluster.id=%s\n", dirID, clusterID)
			return cached, os.WriteFile(filepath.Join(dataDir, "meta.properties"), []byte(meta), 0o644)
		}
	}

	report(containers.StagePreparing, "formatting storage (kafka.tools.StorageTool)", nil)
	args := append(p.kafkaJVM(dir, false), "-cp", filepath.Join(dist.Libs, "*"),
		"kafka.tools.StorageTool", "format", "-t", clusterID, "-c", propsPath)
	proc, err := StartProcess(ProcessSpec{Name: "kafka storage format", Path: java.Path, Args: args, Dir: dir, LogFile: filepath.Join(dir, "format.log")})
	if err != nil {
		return "", err
	}
	if err := proc.Wait(ctx); err != nil {
		proc.Kill()
		return "", err
	}
	if cached != "" {
		saveFile(filepath.Join(dataDir, "bootstrap.checkpoint"), cached) // best effort
	}
	return "", nil
}

// bootstrapCachePath is where the bootstrap.checkpoint for dist is kept. The
// key covers the broker jar's identity and the properties layout version, so
// a replaced jar or changed config gets a fresh format.
func bootstrapCachePath(dist KafkaDist) string {
	key := dist.Version
	if st, err := os.Stat(dist.Jar); err == nil {
		key += fmt.Sprintf("-%d-%d", st.Size(), st.ModTime().Unix())
	}
	const layout = "v1" // bump when kafkaProperties changes what format writes
	return filepath.Join(CacheDir(), "kafka", ".bootstrap", key+"-"+layout, "bootstrap.checkpoint")
}

// kafkaUUID is a random Kafka Uuid in its string form (URL-safe base64 of
// 16 bytes, no padding), as `kafka-storage.sh random-uuid` prints. Like
// Kafka, it avoids ids starting with '-' (awkward on command lines).
func kafkaUUID() (string, error) {
	for {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		s := base64.RawURLEncoding.EncodeToString(b[:])
		if !strings.HasPrefix(s, "-") {
			return s, nil
		}
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// saveFile copies src to dst atomically (temp file + rename), making dst's
// directory; errors are ignored by callers (it is only a cache).
func saveFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-*")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := copyFile(src, tmp.Name()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// cdsPlan is how one broker run uses AppCDS (a dynamic class-data sharing
// archive of the classes Kafka loads), which cuts about a second, a third,
// off the broker's start. The first run of a Kafka version on a given JVM
// dumps the archive when it exits (-XX:ArchiveClassesAtExit, on a clean
// Stop only) into a temporary file that finish then moves into the cache;
// later runs map it (-XX:SharedArchiveFile). If the JVM finds the archive
// unusable (other JVM build, changed jars) it says so in the log and runs
// without it. Options.NoClassDataCache turns this off.
// kafkaCDSDumpGrace is the least Stop waits after SIGTERM for a run that
// dumps the AppCDS archive at exit (once per version and JVM): 3-5 s on an
// idle 2-core machine, but it was seen to exceed 10 s under heavy load, and
// a killed dump is thrown away. ctx still bounds it.
const kafkaCDSDumpGrace = time.Minute

type cdsPlan struct {
	args  []string
	temp  string // archive this run dumps on exit; "" if none
	final string // the archive: used by this run (temp == "") or where finish moves the dump
}

// planCDS maps the cached archive if there is one (unless noRead), else
// plans a dump.
func (p *Provider) planCDS(java Java, dist KafkaDist, noRead bool) cdsPlan {
	if p.opts.NoClassDataCache {
		return cdsPlan{}
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00", dist.Libs, java.Version)
	if real, err := filepath.EvalSymlinks(java.Path); err == nil {
		fmt.Fprint(h, real)
		if st, err := os.Stat(real); err == nil {
			fmt.Fprintf(h, "\x00%d\x00%d", st.Size(), st.ModTime().UnixNano())
		}
	}
	if st, err := os.Stat(dist.Jar); err == nil {
		fmt.Fprintf(h, "\x00%d\x00%d", st.Size(), st.ModTime().UnixNano())
	}
	dir := filepath.Join(CacheDir(), "kafka", ".cds")
	final := filepath.Join(dir, fmt.Sprintf("kafka-%s-java%s-%x.jsa", dist.Version, javaMajorString(java.Version), h.Sum64()))
	if st, err := os.Stat(final); err == nil && st.Size() > 0 && !noRead {
		return cdsPlan{args: []string{"-XX:SharedArchiveFile=" + final}, final: final}
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
	// -Xlog:cds=off: the dump lists hundreds of skipped classes otherwise.
	return cdsPlan{args: []string{"-XX:ArchiveClassesAtExit=" + f.Name(), "-Xlog:cds=off"}, temp: f.Name(), final: final}
}

// finish keeps the dumped archive if proc exited by itself (a JVM told to
// stop with SIGTERM exits with status 143 after writing it) and removes it
// if proc was killed, which may have cut the dump short.
func (c cdsPlan) finish(proc *Process) {
	if c.temp == "" {
		return
	}
	defer os.Remove(c.temp)
	var ee *exec.ExitError
	if err := proc.ExitErr(); errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return
		}
	}
	if st, err := os.Stat(c.temp); err == nil && st.Size() > 0 {
		os.Rename(c.temp, c.final)
	}
}

func javaMajorString(v string) string {
	if m := javaMajor(v); m > 0 {
		return strconv.Itoa(m)
	}
	return "x"
}
