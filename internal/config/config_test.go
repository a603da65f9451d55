package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileThenEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte("cluster: external\nlearner: alice\nkafka:\n  bootstrap: [a:9092]\n"), 0o644)
	t.Setenv("STREAMLAB_KAFKA_BOOTSTRAP", "b:9092,c:9092")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster != "external" || c.Learner != "alice" || strings.Join(c.Kafka.Bootstrap, ",") != "b:9092,c:9092" {
		t.Fatalf("config %+v", c)
	}
	if c.Endpoints().Auth != nil {
		t.Fatalf("no credentials were given, yet Auth is %v", c.Endpoints().Auth)
	}
}

func TestSecretsMustBePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte("kafka:\n  sasl_mechanism: plain\n  sasl_username: u\n  sasl_password: hunter2\n"), 0o644)
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable file of secrets was accepted: %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatal("the error shows the password")
	}
	os.Chmod(path, 0o600)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Endpoints().Auth
	if a == nil || a.SASLMechanism != "PLAIN" || a.SASLPassword != "hunter2" {
		t.Fatalf("auth %+v", a)
	}
	if s := a.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "SASL/PLAIN as u") {
		t.Fatalf("Auth.String() = %q", s)
	}
}

func TestUnknownFieldAndBadLearner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte("clustr: local\n"), 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), `line 1: unknown field "clustr"`) {
		t.Fatalf("err %v", err)
	}
	os.WriteFile(path, []byte("learner: Bob Smith\n"), 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "lower-case") {
		t.Fatalf("err %v", err)
	}
}

func TestMissingFileIsEmpty(t *testing.T) {
	c, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if err != nil || c.Cluster != "" {
		t.Fatalf("%+v %v", c, err)
	}
}
