package grader

import (
	"context"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/containers"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Wrong credentials are named as such, with the user and mechanism and
// never the secret — not as a cluster that "does not answer: EOF".
func TestRefusedSASLCredentialsSayWhoAndHow(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("PLAIN", "ada", "right-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ep := containers.Endpoints{KafkaBootstrap: c.ListenAddrs(), Auth: &containers.Auth{SASLMechanism: "PLAIN", SASLUsername: "ada", SASLPassword: "wrong-secret"}}
	b := newKafkaBackend(ep)
	err = b.Connect(context.Background())
	if err == nil {
		b.Close()
		t.Fatal("wrong credentials were accepted")
	}
	msg := err.Error()
	for _, want := range []string{"refused the credentials", `user "ada"`, "PLAIN"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "secret") {
		t.Errorf("the message shows the password: %q", msg)
	}

	ep.Auth.SASLPassword = "right-secret"
	b = newKafkaBackend(ep)
	if err := b.Connect(context.Background()); err != nil {
		t.Fatalf("the right credentials: %v", err)
	}
	b.Close()
}
