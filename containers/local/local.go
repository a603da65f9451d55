// Package local is the "local" cluster provider: it runs real Apache Kafka
// (KRaft mode, one node acting as broker and controller) as a child JVM
// process on loopback, from a directory of jars. It is what CI uses to prove
// that every solution passes and every starter fails on a real broker.
//
// Where the jars come from, first match wins:
//
//  1. Options.KafkaHome
//  2. the STREAMLAB_KAFKA_HOME environment variable
//  3. the cache that scripts/fetch-kafka fills:
//     ${STREAMLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/streamlab}/kafka/<version>/
//     where <version> is Options.KafkaVersion, else $KAFKA_VERSION, else
//     DefaultKafkaVersion; with none of those set explicitly, any complete
//     version found in the cache is used (the newest).
//
// A Kafka home is either an unpacked Apache release or the fetch script's
// output; both have the jars in <home>/libs/ (a path to the libs directory
// itself is accepted too). Java is $JAVA_HOME/bin/java or java on PATH;
// Kafka 4 needs Java 17 or newer.
//
// Every process the provider starts runs in its own process group with its
// data, configuration and log in one temporary directory; Cluster.Stop (or
// a failed or cancelled Start) kills the group and removes the directory.
// See process.go for the generic process handling, which a Pulsar
// implementation reuses.
package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/streamlab/streamlab/containers"
)

// DefaultKafkaVersion is the Kafka version scripts/fetch-kafka fetches by
// default, and the one looked for first in the cache. Keep the two in step.
const DefaultKafkaVersion = "4.3.1"

// ProviderName is what Provider.Name returns and what events carry.
const ProviderName = "local"

// Options configure a Provider. The zero value is ready to use.
type Options struct {
	// KafkaHome is a directory with the Kafka jars in libs/ (an unpacked
	// Apache release or scripts/fetch-kafka's output) or the libs
	// directory itself. Empty: $STREAMLAB_KAFKA_HOME, then the cache.
	KafkaHome string
	// KafkaVersion picks the version in the cache when KafkaHome and
	// $STREAMLAB_KAFKA_HOME are empty. Empty: $KAFKA_VERSION, then
	// DefaultKafkaVersion, then any version found in the cache.
	KafkaVersion string
	// JavaHome is a JDK or JRE directory (with bin/java). Empty:
	// $JAVA_HOME, then java on PATH.
	JavaHome string
	// Heap is the JVM's -Xmx value. Empty: "512m".
	Heap string
	// JVMArgs are extra JVM options added after the provider's own.
	JVMArgs []string
	// TempDir is where the per-cluster temporary directory is made.
	// Empty: os.TempDir().
	TempDir string
	// StartTimeout bounds Start (on top of ctx). Zero: 2 minutes.
	StartTimeout time.Duration
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL.
	// Zero: 10s. Negative: SIGKILL at once.
	StopGrace time.Duration
	// KeepDir keeps the temporary directory (data, config, log) after
	// Stop, for debugging; its path is in the cluster's Dir.
	KeepDir bool
	// NoFormatCache makes every Start format its storage with Kafka's
	// StorageTool (one more JVM run, about a second) instead of reusing
	// the bootstrap metadata saved by an earlier run of the same version.
	NoFormatCache bool
	// NoClassDataCache turns off the AppCDS archive (see cdsPlan in
	// kafka.go) that the first clean Stop of a version writes to the
	// cache and later starts use to start about a second faster.
	NoClassDataCache bool
}

// Provider starts Kafka as a local child process. It implements
// containers.Provider.
type Provider struct {
	opts Options
}

var _ containers.Provider = (*Provider)(nil)

// New returns a Provider with the given options.
func New(opts Options) *Provider {
	return &Provider{opts: opts}
}

// Name returns "local".
func (p *Provider) Name() string { return ProviderName }

// Start brings up a cluster of kind k. Kafka is supported; Pulsar only once
// pulsar.go provides it (see pulsarSupport). The returned Cluster for Kafka
// is a *KafkaCluster.
func (p *Provider) Start(ctx context.Context, k containers.Kind, progress func(containers.Event)) (containers.Cluster, error) {
	switch k {
	case containers.Kafka:
		c, err := p.StartKafka(ctx, progress)
		if err != nil {
			return nil, err
		}
		return c, nil
	case containers.Pulsar:
		if pulsarSupport.start != nil {
			return pulsarSupport.start(p, ctx, progress)
		}
		err := errPulsarNotImplemented
		containers.Report(progress, containers.Event{Provider: ProviderName, Kind: k, Stage: containers.StageFailed, Message: err.Error(), Err: err})
		return nil, err
	default:
		err := fmt.Errorf("local provider: unknown cluster kind %q", k)
		containers.Report(progress, containers.Event{Provider: ProviderName, Kind: k, Stage: containers.StageFailed, Message: err.Error(), Err: err})
		return nil, err
	}
}

var errPulsarNotImplemented = errors.New("local provider: Pulsar is not implemented yet; use --cluster docker for Pulsar exercises")

// pulsarSupport is where a Pulsar implementation plugs in without editing
// this file: pulsar.go sets both functions in an init function, e.g.
//
//	func init() {
//		pulsarSupport.start = func(p *Provider, ctx context.Context, progress func(containers.Event)) (containers.Cluster, error) {
//			return p.StartPulsar(ctx, progress) // mind the typed-nil trap on error
//		}
//		pulsarSupport.check = (*Provider).checkPulsar
//	}
//
// start must report its own events (preparing … ready, or failed) and must
// leave nothing running on error, like StartKafka.
var pulsarSupport struct {
	start func(p *Provider, ctx context.Context, progress func(containers.Event)) (containers.Cluster, error)
	check func(p *Provider) error
}

// Check reports, without starting anything, whether the provider can start
// a cluster of kind k: it finds Java and the jars. The error says what to
// install or run. An "auto" provider choice can use it.
func (p *Provider) Check(k containers.Kind) error {
	switch k {
	case containers.Kafka:
		if _, err := FindJava(p.opts.JavaHome); err != nil {
			return err
		}
		_, err := FindKafka(p.opts.KafkaHome, p.opts.KafkaVersion)
		return err
	case containers.Pulsar:
		if pulsarSupport.check != nil {
			return pulsarSupport.check(p)
		}
		return errPulsarNotImplemented
	default:
		return fmt.Errorf("local provider: unknown cluster kind %q", k)
	}
}

// CacheDir is streamlab's cache directory, as scripts/fetch-kafka computes
// it: $STREAMLAB_CACHE, else $XDG_CACHE_HOME/streamlab, else
// $HOME/.cache/streamlab.
func CacheDir() string {
	if d := os.Getenv("STREAMLAB_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "streamlab")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "streamlab")
}

// Java is a java launcher found by FindJava.
type Java struct {
	Path    string // the java executable
	Version string // e.g. "17.0.15"; empty if it could not be read cheaply
}

// MinJavaMajor is the oldest Java that Kafka 4 brokers run on.
const MinJavaMajor = 17

const installJDK = "install a JDK 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless) and put it on PATH or set JAVA_HOME, or use --cluster embedded"

// FindJava finds the java launcher: javaHome/bin/java if javaHome is set,
// else $JAVA_HOME/bin/java, else java on PATH. It reads the version from
// the JDK's release file (without running java) and rejects Java older
// than MinJavaMajor. Errors say what to install.
func FindJava(javaHome string) (Java, error) {
	from := "JavaHome option"
	if javaHome == "" {
		javaHome, from = os.Getenv("JAVA_HOME"), "JAVA_HOME"
	}
	var path string
	if javaHome != "" {
		path = filepath.Join(javaHome, "bin", "java")
		if st, err := os.Stat(path); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return Java{}, fmt.Errorf("local provider: %s is %s but %s is not an executable java; %s", from, javaHome, path, installJDK)
		}
	} else {
		p, err := exec.LookPath("java")
		if err != nil {
			return Java{}, fmt.Errorf("local provider: no Java found (JAVA_HOME is not set and there is no java on PATH); %s", installJDK)
		}
		path = p
		if real, err := filepath.EvalSymlinks(p); err == nil {
			javaHome = filepath.Dir(filepath.Dir(real))
		}
	}
	j := Java{Path: path, Version: javaReleaseVersion(javaHome)}
	if major := javaMajor(j.Version); major != 0 && major < MinJavaMajor {
		return j, fmt.Errorf("local provider: %s is Java %s, but Kafka needs Java %d or newer; %s", path, j.Version, MinJavaMajor, installJDK)
	}
	return j, nil
}

// javaReleaseVersion reads JAVA_VERSION from home/release ("" if absent).
func javaReleaseVersion(home string) string {
	if home == "" {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(home, "release"))
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "JAVA_VERSION="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// javaMajor turns "17.0.15", "25", "1.8.0_292" into 17, 25, 8 (0 if unknown).
func javaMajor(v string) int {
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	if len(parts) == 0 {
		return 0
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil {
		return 0
	}
	if n == 1 && len(parts) > 1 {
		n, _ = strconv.Atoi(parts[1])
	}
	return n
}

// KafkaDist is a Kafka installation found by FindKafka.
type KafkaDist struct {
	Home    string // the directory given or found
	Libs    string // the directory holding the jars
	Version string // from the kafka_<scala>-<version>.jar name
	Jar     string // the broker jar, libs/kafka_<scala>-<version>.jar
}

const fetchHint = "run scripts/fetch-kafka (it puts the jars in the cache), set STREAMLAB_KAFKA_HOME to an unpacked Apache Kafka release, or use --cluster embedded"

// FindKafka finds the Kafka jars: in home if it is set, else in
// $STREAMLAB_KAFKA_HOME, else in the cache (see the package doc for how
// version is chosen there). Errors say where it looked and what to run.
func FindKafka(home, version string) (KafkaDist, error) {
	return findDist(distSearch[KafkaDist]{
		what: "Kafka %s jars", homeEnv: "STREAMLAB_KAFKA_HOME", homeOption: "KafkaHome option",
		versionEnv: "KAFKA_VERSION", defaultVersion: DefaultKafkaVersion, cache: "kafka",
		fetch: "scripts/fetch-kafka", release: "an unpacked Apache Kafka release", fallback: "--cluster embedded",
		hint: fetchHint, at: kafkaDistAt,
	}, home, version)
}

// distSearch is how one system's jars are looked for: Kafka and Pulsar are
// found the same way, from an explicit home, an environment variable, or
// the fetch script's cache.
type distSearch[D any] struct {
	what                       string // "Kafka %s jars": what was not found, by version
	homeEnv, homeOption        string
	versionEnv, defaultVersion string
	cache                      string // folder under CacheDir
	fetch, release, fallback   string // the remedies the error names
	hint                       string
	at                         func(dir string) (D, error)
}

func findDist[D any](s distSearch[D], home, version string) (D, error) {
	var zero D
	from := s.homeOption
	if home == "" {
		home, from = os.Getenv(s.homeEnv), s.homeEnv
	}
	if home != "" {
		d, err := s.at(home)
		if err != nil {
			return zero, fmt.Errorf("local provider: %s=%s: %v; %s", from, home, err, s.hint)
		}
		return d, nil
	}

	root := filepath.Join(CacheDir(), s.cache)
	explicit := version != ""
	if version == "" {
		version = os.Getenv(s.versionEnv)
		explicit = version != ""
	}
	if version == "" {
		version = s.defaultVersion
	}
	dir := filepath.Join(root, version)
	if d, err := cachedDist(dir, s.at); err == nil {
		return d, nil
	}
	if !explicit {
		// Any complete version in the cache will do, newest first.
		ents, _ := os.ReadDir(root)
		var vs []string
		for _, e := range ents {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				vs = append(vs, e.Name())
			}
		}
		sort.Slice(vs, func(i, j int) bool { return versionLess(vs[j], vs[i]) })
		for _, v := range vs {
			if d, err := cachedDist(filepath.Join(root, v), s.at); err == nil {
				return d, nil
			}
		}
	}
	how := s.fetch
	if version != s.defaultVersion {
		how = s.versionEnv + "=" + version + " " + s.fetch
	}
	return zero, fmt.Errorf("local provider: "+s.what+" not found (looked in %s; %s is not set); run %s, set %s to %s, or use %s",
		version, dir, s.homeEnv, how, s.homeEnv, s.release, s.fallback)
}

// cachedDist accepts a cache directory only once the fetch script has
// written its completion marker.
func cachedDist[D any](dir string, at func(string) (D, error)) (D, error) {
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		var zero D
		return zero, errors.New("incomplete")
	}
	return at(dir)
}

// kafkaDistAt recognises dir/libs/kafka_*.jar or dir/kafka_*.jar.
func kafkaDistAt(dir string) (KafkaDist, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return KafkaDist{}, fmt.Errorf("no such directory")
	}
	if !st.IsDir() {
		return KafkaDist{}, fmt.Errorf("not a directory")
	}
	for _, libs := range []string{filepath.Join(dir, "libs"), dir} {
		if jar, v := kafkaJar(libs); v != "" {
			abs, err := filepath.Abs(libs)
			if err != nil {
				abs = libs
			}
			return KafkaDist{Home: dir, Libs: abs, Version: v, Jar: filepath.Join(abs, filepath.Base(jar))}, nil
		}
	}
	return KafkaDist{}, fmt.Errorf("no kafka_<scala>-<version>.jar in %s or %s", filepath.Join(dir, "libs"), dir)
}

// kafkaJar returns the broker jar in libs and its version
// (kafka_2.13-4.1.1.jar → "4.1.1"), or "", "".
func kafkaJar(libs string) (jar, version string) {
	m, _ := filepath.Glob(filepath.Join(libs, "kafka_2.1*-*.jar"))
	for _, j := range m {
		base := strings.TrimSuffix(filepath.Base(j), ".jar")
		_, v, ok := strings.Cut(base, "-")
		if !ok || strings.ContainsAny(v, "-") || v == "" { // skip -sources, -test, -javadoc
			continue
		}
		return j, v
	}
	return "", ""
}

// versionLess compares dotted versions numerically where it can ("4.10.0"
// after "4.9.1"), falling back to string order.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		if ea == nil && eb == nil {
			if na != nb {
				return na < nb
			}
			continue
		}
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return len(pa) < len(pb)
}
