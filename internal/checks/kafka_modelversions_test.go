package checks

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/streamlab/streamlab/internal/datagen"
)

// swapCheck is the check as the exercise configures it.
var swapCheck = modelVersionsCheck{Topic: "PREDICTIONS_TOPIC", Input: "ORDERS", Seeded: "MODELS", Published: "NEW_MODEL", Grace: time.Second, Tolerance: 1e-6}

// swapFixture is a run of 200 orders loaded at 40/s from t0 and a new
// version published 2s in: seeded are fraud-vN (old) and fraud-vN+1 (in
// use), next is fraud-vN+2.
type swapFixture struct {
	orders []inputOrder
	lines  []string
	models []datagen.Model // old, current, next
	load   Load
	at     time.Time // when the new version was published
	scores map[string]func(inputOrder) float64
}

func newSwapFixture(t *testing.T) swapFixture {
	t.Helper()
	raw := datagen.Orders(11, datagen.OrdersSpec{Count: 200, Customers: 20, EventTimes: &datagen.EventTimes{Span: 30 * time.Minute}})
	orders, err := timedOrders(raw, "ORDERS")
	if err != nil {
		t.Fatal(err)
	}
	f := swapFixture{orders: orders, lines: datagen.Lines(raw), models: datagen.NewModels(5, 3), at: t0.Add(2 * time.Second), scores: map[string]func(inputOrder) float64{}}
	f.load = loadOfLines(len(raw), 40, nil)
	f.load.Topic = "INPUT_TOPIC"
	for _, m := range f.models {
		f.scores[m.Version] = scorers(m, orders)[0].score
	}
	return f
}

// run is the run in which the program wrote, for order i, the prediction
// write gives, arriving 20ms after the grader sent the order; write
// returns nil to write none.
func (f swapFixture) run(write func(i int, o inputOrder, at time.Time) []byte) swapRun {
	var got []arrival
	for i, o := range f.orders {
		at := f.load.Sent[i].Add(20 * time.Millisecond)
		if v := write(i, o, at); v != nil {
			got = append(got, arrival{at: at, value: v})
		}
	}
	return swapRun{
		orders: f.orders, lines: f.lines, seeded: f.models[:2], next: f.models[2],
		ordersLoad: f.load, modelLoad: Load{Topic: "MODELS_TOPIC", From: "NEW_MODEL", Lines: 1, Published: 1, Sent: []time.Time{f.at}},
		got: got, topic: "sl-predictions",
	}
}

func predictionValue(o inputOrder, score float64, version string) []byte {
	b, _ := json.Marshal(map[string]any{"order_id": o.OrderID, "score": score, "model_version": version})
	return b
}

// swapAfter is a program that uses the version in use until lag after
// the new one was published, then the new one; each score by the
// version it names.
func (f swapFixture) swapAfter(lag time.Duration) func(int, inputOrder, time.Time) []byte {
	return func(_ int, o inputOrder, at time.Time) []byte {
		m := f.models[1]
		if !at.Before(f.at.Add(lag)) {
			m = f.models[2]
		}
		return predictionValue(o, f.scores[m.Version](o), m.Version)
	}
}

func TestModelSwapPasses(t *testing.T) {
	f := newSwapFixture(t)
	for _, lag := range []time.Duration{0, 30 * time.Millisecond, 900 * time.Millisecond} {
		o := swapCheck.judge(f.run(f.swapAfter(lag)))
		if o.Status != Pass {
			t.Fatalf("swapped %s after: %s", lag, o.Message)
		}
		if !strings.Contains(o.Message, "All 200 orders have one prediction") || !strings.Contains(o.Message, "name "+f.models[1].Version) {
			t.Errorf("message %q", o.Message)
		}
	}
}

// Each mistake of a model swap is named in a learner's words.
func TestModelSwapMistakes(t *testing.T) {
	f := newSwapFixture(t)
	old, cur, next := f.models[0].Version, f.models[1].Version, f.models[2].Version
	with := func(v string) func(int, inputOrder, time.Time) []byte {
		return func(_ int, o inputOrder, _ time.Time) []byte { return predictionValue(o, f.scores[v](o), v) }
	}
	for _, c := range []struct {
		name  string
		write func(int, inputOrder, time.Time) []byte
		want  []string
	}{
		{"read once at the start", with(cur), []string{
			"predictions made 1.0s to 3.0s after " + next + " was published still name " + cur + ", and none names " + next,
			"does your program keep reading $MODELS_TOPIC while it scores?"}},
		{"the first record, not the last", with(old), []string{
			"All 200 of your predictions name " + old + ", which " + cur + " had replaced on $MODELS_TOPIC before your program started",
			"keep the last value of each key, not the first",
			"still name " + old + ", and none names " + next + ": each new value of the key replaces the model you hold"}},
		{"a poll every 10s", f.swapAfter(2500 * time.Millisecond), []string{
			"still name " + cur + " (the grace is 1s): your program first used " + next + " only 2.5s after it was published",
			"only now and then"}},
		{"swapped back", func(i int, o inputOrder, at time.Time) []byte {
			if i%2 == 0 {
				return with(cur)(i, o, at)
			}
			return f.swapAfter(0)(i, o, at)
		}, []string{"after your program had already used " + next, "keep the model in use in one place"}},
		{"the new version before it was published", with(next), []string{
			"reached sl-predictions before the grader published " + next + ", yet name it: take each model from $MODELS_TOPIC as it arrives, not from a file"}},
		{"the version of one, the score of another", func(i int, o inputOrder, at time.Time) []byte {
			if at.Before(f.at) {
				return with(cur)(i, o, at)
			}
			return predictionValue(o, f.scores[cur](o), next)
		}, []string{"scores are more than 1e-06 from what the version they name gives", cur + "'s score under the name " + next, "take the score and model_version from the same model"}},
		{"no version", func(_ int, o inputOrder, _ time.Time) []byte { return predictionValue(o, 0.5, "") }, []string{
			`200 predictions name model_version "", which is no version on $MODELS_TOPIC (` + old + ", " + cur + ", " + next + ")"}},
		{"every order scored twice", func(i int, o inputOrder, at time.Time) []byte {
			if i == 0 {
				return nil
			}
			return f.swapAfter(0)(i, o, at)
		}, []string{"1 of 200 orders have no prediction (" + f.orders[0].OrderID + "): write one for every order you read"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := swapCheck.judge(f.run(c.write))
			if o.Status != Fail {
				t.Fatalf("%s: %s", o.Status, o.Message)
			}
			for _, w := range c.want {
				if !strings.Contains(o.Message, w) {
					t.Errorf("message lacks %q:\n%s", w, o.Message)
				}
			}
		})
	}
}

func TestModelSwapScoreMistakes(t *testing.T) {
	f := newSwapFixture(t)
	// Without the bias of whichever version is in use.
	noBias := map[string]func(inputOrder) float64{}
	for _, m := range f.models[1:] {
		for _, s := range scorers(m, f.orders) {
			if s.mistake == "bias" {
				noBias[m.Version] = s.score
			}
		}
	}
	r := f.run(func(_ int, o inputOrder, at time.Time) []byte {
		m := f.models[1]
		if !at.Before(f.at) {
			m = f.models[2]
		}
		return predictionValue(o, noBias[m.Version](o), m.Version)
	})
	o := swapCheck.judge(r)
	if o.Status != Fail || !strings.Contains(o.Message, "200 of 200 scores are more than 1e-06") || !strings.Contains(o.Message, mistakes["bias"]) {
		t.Fatalf("%s: %s", o.Status, o.Message)
	}
}

func TestModelSwapRecordsThatAreNotPredictions(t *testing.T) {
	f := newSwapFixture(t)
	r := f.run(f.swapAfter(0))
	r.got = append(r.got,
		arrival{at: t0.Add(9 * time.Second), value: []byte("not json")},
		arrival{at: t0.Add(9 * time.Second), value: predictionValue(inputOrder{Order: datagen.Order{OrderID: "o-nope"}}, 0.5, f.models[2].Version)},
		arrival{at: t0.Add(9 * time.Second), value: r.got[5].value},
	)
	// An order whose prediction arrived before the grader sent it.
	r.got[100].at = r.ordersLoad.Sent[100].Add(-time.Second)
	o := swapCheck.judge(r)
	for _, w := range []string{
		"Order " + f.orders[5].OrderID + " has more than one prediction: score each order once",
		"One record is not a prediction (not json)",
		`The order_id "o-nope" is not an order of the input`,
		"1 prediction reached sl-predictions before the grader sent its order to $INPUT_TOPIC (" + f.orders[100].OrderID + ")",
	} {
		if !strings.Contains(o.Message, w) {
			t.Errorf("message lacks %q:\n%s", w, o.Message)
		}
	}
}

// A program that ended before the grader published the new version, or
// before it sent the orders, fails for it; a spec whose orders end
// within the grace is the spec's error.
func TestModelSwapCutShort(t *testing.T) {
	f := newSwapFixture(t)
	r := f.run(f.swapAfter(0))
	r.modelLoad.Sent, r.modelLoad.Stopped = nil, "your program had ended"
	if o := swapCheck.judge(r); o.Status != Fail || !strings.Contains(o.Message, "Your program ended before the grader published "+f.models[2].Version+" on $MODELS_TOPIC (your program had ended)") {
		t.Fatalf("%s: %s", o.Status, o.Message)
	}

	r = f.run(f.swapAfter(0))
	r.got = r.got[:100]
	r.ordersLoad.Sent, r.ordersLoad.Stopped = r.ordersLoad.Sent[:100], "your program had ended"
	if o := swapCheck.judge(r); o.Status != Fail || !strings.Contains(o.Message, "100 of 200 orders have no prediction") || !strings.Contains(o.Message, "the grader sent only 100 of them before your program had ended") {
		t.Fatalf("%s: %s", o.Status, o.Message)
	}

	r = f.run(f.swapAfter(0))
	r.modelLoad.Sent = []time.Time{r.ordersLoad.Sent[len(r.ordersLoad.Sent)-1].Add(-500 * time.Millisecond)}
	if o := swapCheck.judge(r); o.Status != Error || !strings.Contains(o.Message, "so no prediction could show the swap") {
		t.Fatalf("%s: %s", o.Status, o.Message)
	}

	r = f.run(func(int, inputOrder, time.Time) []byte { return nil })
	if o := swapCheck.judge(r); o.Status != Fail || !strings.Contains(o.Message, "sl-predictions ($PREDICTIONS_TOPIC) stayed empty") {
		t.Fatalf("%s: %s", o.Status, o.Message)
	}
}

func TestModelVersionsSettings(t *testing.T) {
	const head = "name: swap\ntype: kafka.model-versions\ntopic: PREDICTIONS_TOPIC\ninput: ORDERS\nseeded: MODELS\n" // lines 1-5
	s, err := parseCheck(t, head+"published: NEW_MODEL\n")
	if err != nil {
		t.Fatal(err)
	}
	c := s.Check.(modelVersionsCheck)
	if c != swapCheck {
		t.Fatalf("defaults: %+v", c)
	}
	if _, ok := s.Check.(Observer); !ok {
		t.Fatal("the check must watch the predictions from before the program runs")
	}
	if j := s.Check.(ModelSwapJudge).JudgesModelSwap(); j != (ModelSwap{Output: "PREDICTIONS_TOPIC", Input: "ORDERS", Seeded: "MODELS", Published: "NEW_MODEL", Grace: time.Second}) {
		t.Fatalf("judges %+v", j)
	}
	if need := c.Files(); need["ORDERS"] != (FileNeed{Generator: "orders", EventTimes: true}) || need["NEW_MODEL"].Generator != "model" || need["MODELS"].Generator != "model" {
		t.Fatalf("files %+v", need)
	}
	s, err = parseCheck(t, head+"published: NEW_MODEL\ngrace: 1500ms\ntolerance: 1e-4\n")
	if c := s.Check.(modelVersionsCheck); err != nil || c.Grace != 1500*time.Millisecond || c.Tolerance != 1e-4 {
		t.Fatalf("%+v %v", s.Check, err)
	}
	for _, tc := range []struct {
		name, src string
		line      int
		msg       string
	}{
		{"grace too long", head + "published: NEW_MODEL\ngrace: 1m\n", 7, `grace must be a duration from 100ms to 10s, like 1s, not "1m"`},
		{"grace not a duration", head + "published: NEW_MODEL\ngrace: soon\n", 7, `grace must be a duration`},
		{"tolerance zero", head + "published: NEW_MODEL\ntolerance: 0\n", 7, `tolerance must be a number above 0 and below 0.1, like 1e-6, not "0"`},
		{"no published", head, 1, "needs topic (the topic variable your program writes predictions to)"},
		{"the same file twice", head + "published: MODELS\n", 1, "seeded and published are both MODELS"},
		{"an unknown option", head + "published: NEW_MODEL\nmodel: M\n", 7, "model"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCheck(t, tc.src)
			var le *LineError
			if !errors.As(err, &le) || le.Line != tc.line || !strings.Contains(le.Msg, tc.msg) {
				t.Fatalf("got %v, want line %d: %s", err, tc.line, tc.msg)
			}
		})
	}
	if _, err := parseCheck(t, head+"published: NEW_MODEL\nwhen: running\n"); err == nil {
		t.Fatal("a check that watches from before the program cannot be when: running")
	}
}
