package catalogue

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/checks"
	"github.com/streamlab/streamlab/internal/datagen"
	"go.yaml.in/yaml/v3"
)

// SpecFile is the name of the spec in every exercise folder.
const SpecFile = "exercise.yaml"

// Exercise is one exercise: its spec, and where its starter and solution are.
type Exercise struct {
	ID          string // <track>/<slug>
	Track       string
	Slug        string
	Dir         string // starter folder, relative to the content root
	SolutionDir string
	Lab         string // id of the lab that lists it
	Spec
}

// Spec is the content of exercise.yaml.
type Spec struct {
	Title   string
	Cluster containers.Kind // kafka or pulsar: the exercise's first cluster
	// Clusters are every cluster the exercise needs, Cluster first: a
	// bridge between Kafka and Pulsar needs both at once.
	Clusters []containers.Kind
	Task     string // markdown: what the program must do
	Files    []string
	Timeout  time.Duration
	// Build and Run are shell commands run in the exercise folder. A Go
	// exercise builds first so that the time limit covers only the run.
	Build string
	Run   string
	// Variables in the order the spec gives them.
	Variables []Variable
	Seeds     []Seed
	Hints     []string
	Checks    []checks.Spec
	// Instances is how many copies of the program run at once (1 unless
	// the spec says), each told its index in INSTANCE and the count in
	// INSTANCES.
	Instances int
	// Faults are what the grader does while the program runs.
	Faults []Fault
	// Load is input the grader publishes while the program runs (load.go).
	Load []TopicLoad
}

// Kinds are the clusters the exercise needs, its first cluster first.
func (s Spec) Kinds() []containers.Kind {
	if len(s.Clusters) == 0 && s.Cluster != "" {
		return []containers.Kind{s.Cluster}
	}
	return s.Clusters
}

// Uses reports whether the exercise needs a cluster of kind k.
func (s Spec) Uses(k containers.Kind) bool { return slices.Contains(s.Kinds(), k) }

// RestartsBroker reports whether a fault of the exercise restarts its
// Kafka broker, which only a cluster started for the check allows.
func (s Spec) RestartsBroker() bool {
	return slices.ContainsFunc(s.Faults, func(f Fault) bool { return f.Kill == "broker" })
}

// MaxScore is the sum of the checks' points.
func (s Spec) MaxScore() int {
	n := 0
	for _, c := range s.Checks {
		n += c.Points
	}
	return n
}

// Variable kinds.
const (
	KindTopic        = "topic"
	KindGroup        = "group"
	KindFile         = "file"
	KindSubscription = "subscription"
	KindNamespace    = "namespace"
	KindTime         = "time"     // an instant in a seeded topic's timestamps (timestamps.go)
	KindDuration     = "duration" // a length of time, in whole seconds (durations.go)
)

// Generators of a file variable.
const (
	GeneratorOrders = "orders" // orders as JSON lines (datagen.Orders)
	GeneratorModel  = "model"  // a logistic-regression model as JSON (datagen.NewModel)
)

// Variable is an environment variable the program receives. Names of
// topics, groups, subscriptions and namespaces are made unique per run;
// files are generated per run.
type Variable struct {
	Name string `yaml:"-"`
	Line int    `yaml:"-"`
	Kind string `yaml:"kind"`
	// Topics: created before the run unless create is false.
	Partitions int               `yaml:"partitions"`
	Create     *bool             `yaml:"create"`
	Configs    map[string]string `yaml:"configs"`
	// Pulsar topics live in this namespace variable (default public/default).
	Namespace string `yaml:"namespace"`
	// Cluster is the cluster a topic, group, subscription or namespace
	// lives on. A spec names it only for a topic of an exercise on two
	// clusters; otherwise it is the exercise's cluster (groups are
	// Kafka's, subscriptions and namespaces Pulsar's).
	Cluster containers.Kind `yaml:"cluster"`
	// Files: what to generate.
	Generator          string `yaml:"generator"`
	datagen.OrdersSpec `yaml:",inline"`
	// Model files: how many versions of the model (1 unless given), and
	// the model file whose versions these continue (models.go).
	Versions int    `yaml:"versions"`
	Follows  string `yaml:"follows"`
	// Times: the moment At (a percentage such as 60%, or a range such as
	// 30%..70% drawn from per run) of the way through the timestamps
	// seeded into the topic variable Of.
	Of string `yaml:"of"`
	At string `yaml:"at"`
	// Durations: whole seconds, "4s", or a range "3s..6s" drawn from per run.
	Value string `yaml:"value"`
}

// Created reports whether the grader creates the resource before the run.
func (v Variable) Created() bool { return v.Create == nil || *v.Create }

// Seed fills a topic from an input file before the program runs.
type Seed struct {
	Topic string `yaml:"topic"`
	From  string `yaml:"from"`
	Key   string `yaml:"key"` // input field used as the record key
	// Timestamps, when set, stamps the records (Kafka only).
	Timestamps *SeedTimestamps `yaml:"timestamps"`
	Line       int             `yaml:"-"`
}

type rawSpec struct {
	Title     string      `yaml:"title"`
	Cluster   string      `yaml:"cluster"`
	Clusters  []string    `yaml:"clusters"`
	Task      string      `yaml:"task"`
	Files     []string    `yaml:"files"`
	Timeout   string      `yaml:"timeout"`
	Build     *string     `yaml:"build"`
	Run       string      `yaml:"run"`
	Variables yaml.Node   `yaml:"variables"`
	Seed      []yaml.Node `yaml:"seed"`
	Hints     []string    `yaml:"hints"`
	Checks    []yaml.Node `yaml:"checks"`
	Instances *int        `yaml:"instances"`
	Faults    []yaml.Node `yaml:"faults"`
	Load      []yaml.Node `yaml:"load"`
}

// Default commands for a Go exercise: build once, then run the binary.
// A learner's program needs no symbol table or debug information, and
// linking without them takes about a third less time.
const (
	DefaultBuild = `go build -ldflags="-s -w" -o "$STREAMLAB_PROGRAM" .`
	DefaultRun   = `"$STREAMLAB_PROGRAM"`
)

var varName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// parseSpec reads an exercise.yaml, adding every problem it finds to c.
func parseSpec(file string, data []byte, c *collector) (Spec, bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		c.add(file, syntaxErrLine(data, err), "not valid YAML: %s", stripLine(err.Error()))
		return Spec{}, false
	}
	if len(doc.Content) == 0 {
		c.add(file, 0, "empty exercise spec")
		return Spec{}, false
	}
	var raw rawSpec
	if err := checks.StrictDecode(doc.Content[0], &raw); err != nil {
		addErr(c, file, 0, err)
		return Spec{}, false
	}
	before := len(c.ps)
	s := Spec{Title: raw.Title, Cluster: containers.Kind(raw.Cluster), Task: raw.Task, Files: raw.Files, Hints: raw.Hints, Run: raw.Run}
	root := doc.Content[0]
	if s.Title == "" {
		c.add(file, root.Line, "title is missing")
	}
	parseClusters(file, root, raw, &s, c)
	if len(s.Files) == 0 {
		c.add(file, root.Line, "files is missing: list the files the learner edits")
	}
	if len(s.Hints) < 2 {
		c.add(file, keyLine(root, "hints"), "give at least two hints, from a nudge to the near-answer")
	}
	s.Timeout = 60 * time.Second
	if raw.Timeout != "" {
		d, err := time.ParseDuration(raw.Timeout)
		if err != nil || d <= 0 {
			c.add(file, keyLine(root, "timeout"), "timeout %q is not a duration like 60s", raw.Timeout)
		}
		s.Timeout = d
	}
	switch {
	case raw.Build != nil:
		s.Build = *raw.Build
	case raw.Run == "":
		s.Build = DefaultBuild
	}
	if s.Run == "" {
		s.Run = DefaultRun
	}

	vars := map[string]Variable{}
	if v := &raw.Variables; v.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, node := v.Content[i], v.Content[i+1]
			var vr Variable
			if err := checks.StrictDecode(node, &vr); err != nil {
				addErr(c, file, 0, err)
				continue
			}
			vr.Name, vr.Line = k.Value, k.Line
			if !varName.MatchString(vr.Name) {
				c.add(file, k.Line, "variable %q must be an UPPER_CASE environment variable name", vr.Name)
			}
			if vr.Name == "INSTANCE" || vr.Name == "INSTANCES" {
				c.add(file, k.Line, "%s is set by the grader (the program's index and the number of instances): give the variable another name", vr.Name)
			}
			if _, dup := vars[vr.Name]; dup {
				c.add(file, k.Line, "variable %s is declared twice", vr.Name)
			}
			validateVariable(file, vr, c)
			vars[vr.Name] = vr
			s.Variables = append(s.Variables, vr)
		}
	} else if v.Kind != 0 {
		c.add(file, v.Line, "variables must be a mapping of NAME: {kind: ...}")
	}
	for i := range s.Variables {
		placeVariable(file, &s.Variables[i], &s, c)
		vars[s.Variables[i].Name] = s.Variables[i]
	}
	for _, vr := range s.Variables {
		if vr.Namespace != "" && vars[vr.Namespace].Kind != KindNamespace {
			c.add(file, vr.Line, "%s: namespace %s is not a variable of kind namespace", vr.Name, vr.Namespace)
		}
	}
	validateModelFiles(file, &raw.Variables, s.Variables, vars, c) // models.go
	validateTopicConfigs(file, &raw.Variables, s.Variables, c)

	for _, n := range raw.Seed {
		var sd Seed
		if err := checks.StrictDecode(&n, &sd); err != nil {
			addErr(c, file, 0, err)
			continue
		}
		sd.Line = n.Line
		if vars[sd.Topic].Kind != KindTopic || !vars[sd.Topic].Created() {
			c.add(file, n.Line, "seed topic %q must be a topic variable the grader creates", sd.Topic)
		}
		if vars[sd.From].Kind != KindFile {
			c.add(file, n.Line, "seed from %q must be a file variable", sd.From)
		}
		validateRecordKey(file, &n, "seed", sd.Topic, sd.From, sd.Key, vars, c)
		validateSeedTimestamps(file, &n, sd, vars[sd.Topic].Cluster, c)
		s.Seeds = append(s.Seeds, sd)
	}
	validateTimeVariables(file, &raw.Variables, raw.Seed, s.Variables, c)
	parseLoads(file, raw.Load, &s, vars, c)

	s.Instances = 1
	if raw.Instances != nil {
		s.Instances = *raw.Instances
		if s.Instances < 1 || s.Instances > MaxInstances {
			c.add(file, keyLine(root, "instances"), "instances must be 1 to %d, not %d", MaxInstances, s.Instances)
			s.Instances = 0
		}
	}
	parseFaults(file, raw.Faults, &s, vars, c)
	s.Instances = max(s.Instances, 1)

	names := map[string]int{} // check name -> line of its first use
	for i := range raw.Checks {
		n := &raw.Checks[i]
		cs, err := checks.Parse(n)
		if err != nil {
			addErr(c, file, 0, err)
			continue
		}
		// The grader reports results by check name, so a second check with
		// the same name would hide the first one's result.
		if first, dup := names[cs.Name]; dup {
			c.add(file, keyLine(n, "name"), "two checks are named %q (also at line %d): results are reported by name, so give each check its own", cs.Name, first)
		} else {
			names[cs.Name] = keyLine(n, "name")
		}
		for _, ref := range cs.Check.Vars() {
			if _, ok := vars[ref]; !ok {
				c.add(file, n.Line, "check %q refers to variable %s, which the spec does not declare", cs.Name, ref)
			}
		}
		if fr, ok := cs.Check.(checks.FileReader); ok {
			validateFileNeeds(file, n.Line, cs.Name, fr.Files(), vars, c)
		}
		if !s.Uses(containers.Kind(cs.Check.Needs())) {
			c.add(file, n.Line, "check %q is a %s check in a %s exercise", cs.Name, cs.Check.Needs(), s.Cluster)
		}
		validateLoadJudge(file, n, cs, &s, raw.Load, c) // loadchecks.go
		validateModelSwap(file, n, cs, &s, vars, c)     // models.go
		s.Checks = append(s.Checks, cs)
	}
	if len(raw.Checks) == 0 {
		c.add(file, root.Line, "no checks: an exercise without checks would pass anything")
	}
	return s, len(c.ps) == before
}

func validateVariable(file string, v Variable, c *collector) {
	switch v.Kind {
	case KindTopic:
		if v.Partitions < 0 {
			c.add(file, v.Line, "%s: partitions must be positive", v.Name)
		}
	case KindFile:
		switch v.Generator {
		case GeneratorOrders:
			if err := v.CheckDeletes(); err != nil {
				c.add(file, v.Line, "%s: %v", v.Name, err)
			}
			if err := v.CheckEventTimes(); err != nil {
				c.add(file, v.Line, "%s: %v", v.Name, err)
			}
		case GeneratorModel:
			if v.OrdersSpec != (datagen.OrdersSpec{}) {
				c.add(file, v.Line, "%s: count, customers, poison_every, deletes and event_times shape orders, and this file is a model", v.Name)
			}
		default:
			c.add(file, v.Line, "%s: generator must be orders or model, not %q", v.Name, v.Generator)
		}
	case KindGroup, KindSubscription, KindNamespace, KindTime, KindDuration:
	default:
		c.add(file, v.Line, "%s: kind must be one of topic, group, file, subscription, namespace, time, duration, not %q", v.Name, v.Kind)
	}
	validateDuration(file, v, c)
}

// validateFileNeeds reports a file variable a check reads that is not the
// file it needs: a model where it reads orders, or orders without the
// event times it windows by.
func validateFileNeeds(file string, line int, check string, needs map[string]checks.FileNeed, vars map[string]Variable, c *collector) {
	for _, name := range slices.Sorted(maps.Keys(needs)) {
		need, v := needs[name], vars[name]
		switch {
		case v.Kind == "" || (v.Kind == KindFile && v.Generator != GeneratorOrders && v.Generator != GeneratorModel):
			// Reported already: the variable is not declared, or its
			// generator is unknown.
		case v.Kind != KindFile || v.Generator != need.Generator:
			c.add(file, line, "check %q reads %s as a file of generator %s: make it {kind: file, generator: %s}", check, name, need.Generator, need.Generator)
		case need.EventTimes && v.EventTimes == nil:
			c.add(file, line, "check %q windows %s by event time: give it event_times, like event_times: {span: 30m}", check, name)
		}
	}
}

// addErr reports a decoding error. offset is the number of lines in the
// file before the YAML document (1 for a lab's front matter, after "---").
func addErr(c *collector, file string, offset int, err error) {
	var le *checks.LineError
	if !errors.As(err, &le) {
		n := yamlErrLine(err)
		if n > 0 {
			n += offset
		}
		c.add(file, n, "%s", stripLine(err.Error()))
		return
	}
	// A yaml.v3 type error lists one "line N: ..." per bad value, each at
	// the value's own line, while the LineError wrapped around it carries the
	// line of the whole mapping: report each value where it is.
	locs := lineRe.FindAllStringSubmatchIndex(le.Msg, -1)
	if len(locs) == 0 || locs[0][0] != 0 {
		c.add(file, le.Line+offset, "%s", stripLine(le.Msg))
		return
	}
	for i, loc := range locs {
		end := len(le.Msg)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		var n int
		fmt.Sscan(le.Msg[loc[2]:loc[3]], &n)
		c.add(file, n+offset, "%s", strings.TrimSuffix(le.Msg[loc[1]:end], "; "))
	}
}

var lineRe = regexp.MustCompile(`line (\d+): `)

// yamlErrLine finds the line yaml.v3 wrote into an error message. It is
// right for type errors, which carry a node's 1-based line; for syntax
// errors use syntaxErrLine.
func yamlErrLine(err error) int {
	m := lineRe.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

// maxScanLines bounds syntaxErrLine's quadratic search; course YAML is a
// few dozen lines.
const maxScanLines = 2000

// syntaxErrLine is the line of a YAML syntax error err in data, counted as
// an editor counts. The line in yaml.v3's message cannot be used as it is:
// its parser reports the 0-based line of the construct it was parsing
// (one line early), its scanner the 1-based line, and either may name the
// line where a construct began rather than the line that broke it ("tab
// character that violates indentation" names the line before the tab).
// Instead, find the first line from which no longer prefix of the document
// parses: everything before it is valid YAML, so that line is where the
// document goes wrong (an unclosed bracket or quote is reported where it
// opens).
func syntaxErrLine(data []byte, err error) int {
	var ends []int // ends[k] is the length of the first k+1 lines
	for i, b := range data {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	if len(ends) > maxScanLines {
		return yamlErrLine(err)
	}
	line := 1
	for k := len(ends) - 1; k >= 1; k-- {
		var n yaml.Node
		if yaml.Unmarshal(data[:ends[k-1]], &n) == nil {
			line = k + 1
			break
		}
	}
	return line
}

func stripLine(s string) string {
	s = strings.TrimPrefix(s, "yaml: ")
	return lineRe.ReplaceAllString(s, "")
}

func keyLine(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return m.Line
}

// loadExercise reads one exercise folder.
func loadExercise(fsys fs.FS, dir string, c *collector) (*Exercise, bool) {
	track, folder := path.Base(path.Dir(dir)), path.Base(dir)
	slug := folderSlug(folder)
	file := path.Join(dir, SpecFile)
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		c.add(dir, 0, "no %s: every exercise folder needs one", SpecFile)
		return nil, false
	}
	spec, ok := parseSpec(file, data, c)
	ex := &Exercise{
		ID: track + "/" + slug, Track: track, Slug: slug, Dir: dir,
		SolutionDir: path.Join("solutions", track, folder), Spec: spec,
	}
	// A track named after a cluster holds its exercises; another track
	// (ml) may use either.
	if spec.Cluster != "" && (string(spec.Cluster) != track || len(spec.Clusters) > 1) && (track == string(containers.Kafka) || track == string(containers.Pulsar)) {
		c.add(file, 0, "an exercise in track %s must use cluster %s, and only it", track, track)
	}
	for _, f := range spec.Files {
		starter, err := fs.ReadFile(fsys, path.Join(dir, f))
		if err != nil {
			c.add(file, 0, "starter file %s is missing", f)
		} else if !strings.Contains(string(starter), "TODO") {
			c.add(path.Join(dir, f), 0, "a starter marks what to do with TODO")
		}
		if _, err := fs.Stat(fsys, path.Join(ex.SolutionDir, f)); err != nil {
			c.add(file, 0, "solution file %s is missing", path.Join(ex.SolutionDir, f))
		}
	}
	return ex, ok
}

var numbered = regexp.MustCompile(`^\d+-`)

// folderSlug turns "02-keyed-producer" into "keyed-producer": the number
// orders folders on disk, the slug is the stable id.
func folderSlug(folder string) string { return numbered.ReplaceAllString(folder, "") }
