package grader_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/checks"
)

// An output topic nobody subscribes to keeps everything the program wrote
// through the grader's unloads. Each unload closes the topic's ledger; a
// broker deletes a closed ledger no subscription and no retention policy
// needs whenever it next trims the topic, which it does on its own
// schedule (once, in CI, between the program's end and the checks). The
// test trims at that moment on purpose, so the loss, if any, is certain.
func TestUnloadedOutputKeepsEverythingLocalPulsar(t *testing.T) {
	cl := sharedLocal(t, containers.Pulsar)
	const count = 300 // 3s at 100/s; OUTPUT is unloaded at 0.5s and 1.5s
	ex := loadSpec(t, cl.Kind(), count, `    rate: 100/s
faults:
  - unload: OUTPUT
    times: 2
    every: 1s
    when: {after: 500ms}`, `'"$STREAMLAB_PROGRAM"'`)
	trim := &trimmer{admin: cl.Endpoints().PulsarAdminURL}
	ex.Checks = append([]checks.Spec{{Name: "trim OUTPUT", Type: "test.trim", When: checks.AfterRun, Check: trim}}, ex.Checks...)
	lr := gradeLoad(t, cl, ex, nil)
	if !trim.trimmed {
		t.Fatalf("OUTPUT was not trimmed:\n%s", describe(lr.res))
	}
	// The copier does not deduplicate, so a message resent after an unload
	// may be there twice; none may be missing.
	have := map[string]bool{}
	for _, m := range lr.probe.output {
		have[m.value] = true
	}
	missing := 0
	for _, l := range lr.probe.lines {
		if !have[l] {
			missing++
		}
	}
	if missing > 0 || len(lr.probe.lines) != count {
		t.Fatalf("after two unloads and a trim, OUTPUT lacks %d of the %d lines", missing, len(lr.probe.lines))
	}
}

// trimmer is a check that asks the broker to delete what OUTPUT no longer
// needs, as it does by itself every few minutes and after a ledger closes.
type trimmer struct {
	admin   string
	trimmed bool
}

func (tr *trimmer) Vars() []string { return []string{"OUTPUT"} }
func (tr *trimmer) Needs() string  { return string(containers.Pulsar) }

func (tr *trimmer) Evaluate(ctx context.Context, env *checks.Env) checks.Outcome {
	path := strings.TrimPrefix(env.Var("OUTPUT"), "persistent://")
	if !strings.Contains(path, "/") {
		path = "public/default/" + path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tr.admin+"/admin/v2/persistent/"+path+"/trim", nil)
	if err != nil {
		return checks.Outcome{Status: checks.Error, Message: err.Error()}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return checks.Outcome{Status: checks.Error, Message: err.Error()}
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return checks.Outcome{Status: checks.Error, Message: fmt.Sprintf("trimming %s: %s", path, resp.Status)}
	}
	tr.trimmed = true
	return checks.Outcome{Status: checks.Pass}
}
