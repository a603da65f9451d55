// Package config reads streamlab's optional configuration file and the
// environment: which cluster provider to use, an external cluster's
// addresses and credentials, and the learner's name on a shared cluster.
// A file that holds a secret must not be readable by other users.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/checks"
	"go.yaml.in/yaml/v3"
)

// Config is the merged configuration: file, then environment, then flags.
type Config struct {
	Cluster string `yaml:"cluster"`
	Learner string `yaml:"learner"`
	// Class shares the learner's checks with a class on the shared
	// cluster, for the instructor's `streamlab class` view.
	Class string `yaml:"class"`
	// Workspace is the learner's own folder of exercises.
	Workspace string `yaml:"workspace"`
	Kafka     Kafka  `yaml:"kafka"`
	Pulsar    Pulsar `yaml:"pulsar"`
}

// Kafka is an external Kafka cluster.
type Kafka struct {
	Bootstrap        []string `yaml:"bootstrap"`
	TLS              bool     `yaml:"tls"`
	TLSCAFile        string   `yaml:"tls_ca_file"`
	TLSInsecure      bool     `yaml:"tls_insecure"`
	SASLMechanism    string   `yaml:"sasl_mechanism"`
	SASLUsername     string   `yaml:"sasl_username"`
	SASLPassword     string   `yaml:"sasl_password"`
	SASLPasswordFile string   `yaml:"sasl_password_file"`
}

// Pulsar is an external Pulsar cluster.
type Pulsar struct {
	ServiceURL string `yaml:"service_url"`
	AdminURL   string `yaml:"admin_url"`
	Token      string `yaml:"token"`
	TokenFile  string `yaml:"token_file"`
}

// DefaultPath is $STREAMLAB_CONFIG, else $XDG_CONFIG_HOME/streamlab/config.yaml,
// else ~/.config/streamlab/config.yaml.
func DefaultPath() string {
	if p := os.Getenv("STREAMLAB_CONFIG"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "streamlab", "config.yaml")
}

// Load reads the file at path (a missing file is an empty config), then
// lets the environment override it.
func Load(path string) (Config, error) {
	var c Config
	if path != "" {
		if err := c.readFile(path); err != nil {
			return c, err
		}
	}
	c.fromEnv()
	if err := c.readSecretFiles(); err != nil {
		return c, err
	}
	return c, c.validate()
}

func (c *Config) readFile(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading config %s: %w", path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	if err := checks.StrictDecode(doc.Content[0], c); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if c.Kafka.SASLPassword != "" || c.Pulsar.Token != "" {
		if err := privateFile(path); err != nil {
			return err
		}
	}
	return nil
}

// privateFile refuses a file of secrets that others can read.
func privateFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s holds a password or token but other users can read it (mode %04o): run `chmod 600 %s`", path, fi.Mode().Perm(), path)
	}
	return nil
}

func (c *Config) readSecretFiles() error {
	read := func(path string) (string, error) {
		if err := privateFile(path); err != nil {
			return "", err
		}
		b, err := os.ReadFile(path)
		return strings.TrimSpace(string(b)), err
	}
	var err error
	if c.Kafka.SASLPasswordFile != "" && c.Kafka.SASLPassword == "" {
		if c.Kafka.SASLPassword, err = read(c.Kafka.SASLPasswordFile); err != nil {
			return fmt.Errorf("sasl_password_file: %w", err)
		}
	}
	if c.Pulsar.TokenFile != "" && c.Pulsar.Token == "" {
		if c.Pulsar.Token, err = read(c.Pulsar.TokenFile); err != nil {
			return fmt.Errorf("token_file: %w", err)
		}
	}
	return nil
}

func (c *Config) fromEnv() {
	set := func(dst *string, key string) {
		if v := os.Getenv(key); v != "" {
			*dst = v
		}
	}
	set(&c.Cluster, "STREAMLAB_CLUSTER")
	set(&c.Learner, "STREAMLAB_LEARNER")
	set(&c.Class, "STREAMLAB_CLASS")
	set(&c.Workspace, "STREAMLAB_WORKSPACE")
	if v := os.Getenv("STREAMLAB_KAFKA_BOOTSTRAP"); v != "" {
		c.Kafka.Bootstrap = strings.Split(v, ",")
	}
	set(&c.Kafka.SASLMechanism, "STREAMLAB_KAFKA_SASL_MECHANISM")
	set(&c.Kafka.SASLUsername, "STREAMLAB_KAFKA_SASL_USERNAME")
	set(&c.Kafka.SASLPassword, "STREAMLAB_KAFKA_SASL_PASSWORD")
	set(&c.Kafka.TLSCAFile, "STREAMLAB_KAFKA_TLS_CA_FILE")
	if os.Getenv("STREAMLAB_KAFKA_TLS") == "1" {
		c.Kafka.TLS = true
	}
	set(&c.Pulsar.ServiceURL, "STREAMLAB_PULSAR_URL")
	set(&c.Pulsar.AdminURL, "STREAMLAB_PULSAR_ADMIN_URL")
	set(&c.Pulsar.Token, "STREAMLAB_PULSAR_TOKEN")
}

var learnerName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

func (c *Config) validate() error {
	if c.Learner != "" && !learnerName.MatchString(c.Learner) {
		return fmt.Errorf("learner name %q must be lower-case letters, digits and dashes (at most 31), as it prefixes topic and namespace names", c.Learner)
	}
	return CheckClass(c.Class)
}

// CheckClass checks a class name ("" is none): it names the class's topic.
func CheckClass(name string) error {
	if name != "" && !learnerName.MatchString(name) {
		return fmt.Errorf("class name %q must be lower-case letters, digits and dashes (at most 31), as it names the class's topic", name)
	}
	return nil
}

// SetClass sets the class from a flag, checking it.
func (c *Config) SetClass(name string) error {
	c.Class = strings.ToLower(name)
	return c.validate()
}

// SetLearner sets the learner name from a flag, checking it.
func (c *Config) SetLearner(name string) error {
	c.Learner = strings.ToLower(name)
	return c.validate()
}

// Endpoints are the external cluster's addresses and credentials.
func (c Config) Endpoints() containers.Endpoints {
	ep := containers.Endpoints{
		KafkaBootstrap:   c.Kafka.Bootstrap,
		PulsarServiceURL: c.Pulsar.ServiceURL,
		PulsarAdminURL:   c.Pulsar.AdminURL,
	}
	a := containers.Auth{
		TLS: c.Kafka.TLS, TLSCAFile: c.Kafka.TLSCAFile, TLSInsecure: c.Kafka.TLSInsecure,
		SASLMechanism: strings.ToUpper(c.Kafka.SASLMechanism), SASLUsername: c.Kafka.SASLUsername, SASLPassword: c.Kafka.SASLPassword,
		PulsarToken: c.Pulsar.Token,
	}
	if a != (containers.Auth{}) {
		ep.Auth = &a
	}
	return ep
}
