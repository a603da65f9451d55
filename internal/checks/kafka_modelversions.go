package checks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/streamlab/streamlab/internal/datagen"
	"go.yaml.in/yaml/v3"
)

// ---- kafka.model-versions
//
// A model swapped while it serves. Versions of a model are seeded on a
// topic before the program starts (an old one, then the one in use), and
// a load publishes a newer one while the program scores a load of
// orders. Each prediction must carry the score of the version it names,
// and the version must be the right one for when it was made: the one in
// use before the new version was published, the new one once a grace has
// passed. When a prediction was made is when a consumer of the grader's,
// reading the output from before the program starts, received it; when
// the version was published is when the grader's load sent it. Both are
// read from the grader's one clock, never from a timestamp the program
// wrote.

// DefaultGrace is how long after a new version is published predictions
// may still name the one before: the program must receive it, and the
// predictions made just before it must reach the topic.
const DefaultGrace = time.Second

func init() {
	register("kafka.model-versions", "kafka", "one record per input order with the score of the model version it names; before a new version is published that is the latest seeded one, and from a grace after, the new one (by the grader's clock)",
		func(p modelVersionsParams) (Check, error) { return p.build() })
}

type modelVersionsParams struct {
	Topic     string    `yaml:"topic"`     // the topic variable the program writes predictions to
	Input     string    `yaml:"input"`     // a file variable of orders with event_times, loaded
	Seeded    string    `yaml:"seeded"`    // a file variable of model versions seeded before the program starts
	Published string    `yaml:"published"` // a file variable of one model version, loaded while it runs
	Grace     yaml.Node `yaml:"grace"`
	Tolerance yaml.Node `yaml:"tolerance"`
}

func (p modelVersionsParams) build() (Check, error) {
	if p.Topic == "" || p.Input == "" || p.Seeded == "" || p.Published == "" {
		return nil, errors.New("needs topic (the topic variable your program writes predictions to), input (a file variable of orders with event_times, loaded), seeded (the model versions seeded before the program starts, oldest first) and published (the model version a load publishes while it runs)")
	}
	if p.Seeded == p.Published {
		return nil, fmt.Errorf("seeded and published are both %s: the new version is a file of its own, one that follows %s", p.Seeded, p.Seeded)
	}
	if p.Input == p.Seeded || p.Input == p.Published {
		return nil, fmt.Errorf("input is %s, a file of model versions: name the file of orders the models score", p.Input)
	}
	c := modelVersionsCheck{Topic: p.Topic, Input: p.Input, Seeded: p.Seeded, Published: p.Published, Grace: DefaultGrace, Tolerance: DefaultTolerance}
	if n := &p.Grace; n.Kind != 0 {
		d, err := time.ParseDuration(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil || d < 100*time.Millisecond || d > 10*time.Second {
			return nil, lineErr(n, "grace must be a duration from 100ms to 10s, like 1s, not %q", n.Value)
		}
		c.Grace = d
	}
	if n := &p.Tolerance; n.Kind != 0 {
		v, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil || !(v > 0 && v < 0.1) {
			return nil, lineErr(n, "tolerance must be a number above 0 and below 0.1, like 1e-6, not %q", n.Value)
		}
		c.Tolerance = v
	}
	return c, nil
}

// modelVersionsCheck is kafka.model-versions as the spec configured it.
type modelVersionsCheck struct {
	Topic, Input, Seeded, Published string
	Grace                           time.Duration
	Tolerance                       float64
}

func (c modelVersionsCheck) Vars() []string { return []string{c.Topic, c.Input, c.Seeded, c.Published} }
func (c modelVersionsCheck) Needs() string  { return "kafka" }
func (c modelVersionsCheck) Files() map[string]FileNeed {
	return map[string]FileNeed{c.Input: {Generator: "orders", EventTimes: true}, c.Seeded: {Generator: "model"}, c.Published: {Generator: "model"}}
}

// ModelSwap is what a check of a model swap needs of a spec, which the
// catalogue validates: Input loaded while the program runs, so that
// orders keep coming before and after the swap; Seeded seeded onto a
// topic, with at least two versions; Published loaded onto that same
// topic later than Input's load starts, and early enough that orders
// still come for a while after Grace.
type ModelSwap struct {
	Output, Input, Seeded, Published string
	Grace                            time.Duration
}

// ModelSwapJudge is a check that judges a model swap.
type ModelSwapJudge interface {
	JudgesModelSwap() ModelSwap
}

func (c modelVersionsCheck) JudgesModelSwap() ModelSwap {
	return ModelSwap{Output: c.Topic, Input: c.Input, Seeded: c.Seeded, Published: c.Published, Grace: c.Grace}
}

type modelArrivalsKey struct{ topic string }

// Observe starts the grader's consumer of the predictions, before the
// program runs, from the topic's start.
func (c modelVersionsCheck) Observe(ctx context.Context, env *Env) (func(), error) {
	w := &arrivals{}
	env.remember(modelArrivalsKey{c.Topic}, func(any) any { return w })
	return watchKafkaOutput(ctx, env, env.Var(c.Topic), w)
}

func (c modelVersionsCheck) Evaluate(ctx context.Context, env *Env) Outcome {
	orders, err := timedOrders(env.Input(c.Input), c.Input)
	if err != nil {
		return errored(err)
	}
	seeded, published := env.ModelVersions[c.Seeded], env.ModelVersions[c.Published]
	if len(seeded) == 0 || len(published) != 1 {
		return errored(fmt.Errorf("%s and %s must be model files, %s of one version", c.Seeded, c.Published, c.Published))
	}
	w, _ := env.remember(modelArrivalsKey{c.Topic}, func(old any) any { return old }).(*arrivals)
	if w == nil {
		return errored(errors.New("the check's consumer was not watching the predictions before the program ran"))
	}
	ordersLoad, ok1 := env.loadOf(c.Input)
	modelLoad, ok2 := env.loadOf(c.Published)
	if !ok1 || !ok2 {
		return errored(fmt.Errorf("the grader kept no record of publishing %s and %s: the check needs a load of each", c.Input, c.Published))
	}
	got, o := settleArrivals(ctx, env, "kafka", c.Topic, w)
	if o != nil {
		return *o
	}
	return c.judge(swapRun{
		orders: orders, lines: datagen.Lines(env.Input(c.Input)), seeded: seeded, next: published[0],
		ordersLoad: ordersLoad, modelLoad: modelLoad, got: got, topic: env.Var(c.Topic),
	})
}

// swapRun is what kafka.model-versions judges.
type swapRun struct {
	orders     []inputOrder
	lines      []string        // the input file, in the order the load sent it
	seeded     []datagen.Model // oldest first: the last is in use when the program starts
	next       datagen.Model   // the version published while the program runs
	ordersLoad Load
	modelLoad  Load
	got        []arrival // what the grader's consumer received from the output
	topic      string    // the run's name of the output topic
}

// swapPrediction is the first record of one order, as the grader received it.
type swapPrediction struct {
	id       string
	at       time.Time
	version  string
	score    float64
	hasScore bool
}

// versionRole is what a version named by a prediction was in the run.
type versionRole int

const (
	unknownVersion versionRole = iota
	oldVersion                 // seeded, and replaced before the program started
	currentVersion             // the last seeded: in use until the new one is published
	nextVersion                // published while the program ran
)

func (r swapRun) role(v string) (versionRole, datagen.Model) {
	if v == r.next.Version {
		return nextVersion, r.next
	}
	for i, m := range r.seeded {
		if v == m.Version {
			if i == len(r.seeded)-1 {
				return currentVersion, m
			}
			return oldVersion, m
		}
	}
	return unknownVersion, datagen.Model{}
}

// all is every version of the run, oldest first.
func (r swapRun) all() []datagen.Model { return append(slices.Clone(r.seeded), r.next) }

func (c modelVersionsCheck) judge(r swapRun) Outcome {
	current := r.seeded[len(r.seeded)-1]
	published, sent := r.modelLoad.SentAt(0)
	if len(r.got) == 0 {
		return failed("%s ($%s) stayed empty while your program ran; expected one prediction for each of the %d orders.", r.topic, c.Topic, len(r.orders))
	}
	if !sent {
		return failed("Your program ended before the grader published %s on $%s%s, so it never had to swap models: keep reading orders until none has come for a few seconds.",
			r.next.Version, r.modelLoad.Topic, stoppedText(r.modelLoad))
	}
	if last, ok := r.ordersLoad.SentAt(len(r.ordersLoad.Sent) - 1); ok && !last.After(published.Add(c.Grace)) && r.ordersLoad.Stopped == "" {
		return errored(fmt.Errorf("the grader sent the last order %s after %s was published, within the grace of %s, so no prediction could show the swap: publish %s sooner, or load %s for longer",
			latencyText(last.Sub(published)), r.next.Version, latencyText(c.Grace), c.Published, c.Input))
	}

	// Each order's first prediction to arrive is its own; what follows it
	// is a repeat.
	byID := map[string]inputOrder{}
	for _, o := range r.orders {
		byID[o.OrderID] = o
	}
	sentAt := map[string]time.Time{}
	for i, l := range r.lines {
		if id, ok := JSONField([]byte(l), "order_id"); ok {
			if at, ok := r.ordersLoad.SentAt(i); ok {
				sentAt[id] = at
			}
		}
	}
	got := slices.Clone(r.got)
	slices.SortStableFunc(got, func(a, b arrival) int { return a.at.Compare(b.at) })
	var preds []swapPrediction
	seen := map[string]bool{}
	var malformed, unknown []string
	dups := map[string]int{}
	for _, a := range got {
		m, ok := valueFields(a.value)
		id, hasID := stringField(m, "order_id")
		switch {
		case !ok || !hasID:
			malformed = append(malformed, valueText(a.value))
			continue
		case byID[id].OrderID == "":
			unknown = append(unknown, strconv.Quote(id))
			continue
		case seen[id]:
			dups[id]++
			continue
		}
		seen[id] = true
		p := swapPrediction{id: id, at: a.at}
		p.version, _ = stringField(m, "model_version")
		p.score, p.hasScore = numberField(m, "score")
		preds = append(preds, p)
	}

	var parts []string
	parts = append(parts, c.swapFindings(r, preds, published)...)

	var missing []string
	for _, o := range r.orders {
		if !seen[o.OrderID] {
			missing = append(missing, o.OrderID)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("%d of %d orders have no prediction (%s)", len(missing), len(r.orders), examples(missing))
		if l := r.ordersLoad; l.Stopped != "" {
			msg += fmt.Sprintf(": the grader sent only %d of them before %s — keep reading until no order has come for a few seconds.", len(l.Sent), l.Stopped)
		} else {
			msg += ": write one for every order you read, and flush before the program exits."
		}
		parts = append(parts, msg)
	}
	if len(dups) > 0 {
		parts = append(parts, phrase(sortedKeys(dups), "order %s has more than one prediction", "%d orders have more than one prediction (%s)")+
			": score each order once, with the version in use when you read it; a new version does not call for scoring earlier orders again.")
	}
	if len(malformed) > 0 {
		parts = append(parts, phrase(malformed, "one record is not a prediction (%s)", "%d records are not predictions (%s)")+
			": each value is a JSON object with order_id, score and model_version.")
	}
	if len(unknown) > 0 {
		parts = append(parts, phrase(unknown, "the order_id %s is not an order of the input", "%d order_ids are not orders of the input (%s)")+
			": copy each order's order_id as it is.")
	}
	var early []string
	for _, p := range preds {
		if at, ok := sentAt[p.id]; ok && p.at.Before(at.Add(-time.Millisecond)) {
			early = append(early, p.id)
		}
	}
	if len(early) > 0 {
		parts = append(parts, fmt.Sprintf("%d prediction%s reached %s before the grader sent %s order to $%s (%s): score the orders you read from $%s, not the input file.",
			len(early), plural(len(early)), r.topic, map[bool]string{true: "its", false: "their"}[len(early) == 1], r.ordersLoad.Topic, examples(early), r.ordersLoad.Topic))
	}
	parts = append(parts, c.scoreFindings(r, preds)...)

	if len(parts) > 0 {
		return failed("%s", capitalized(parts))
	}
	var before, after int
	var firstNext, lastCurrent time.Time
	for _, p := range preds {
		switch {
		case p.at.Before(published):
			before++
		case p.at.After(published.Add(c.Grace)):
			after++
		}
		if p.version == r.next.Version && firstNext.IsZero() {
			firstNext = p.at
		}
		if p.version == current.Version {
			lastCurrent = p.at
		}
	}
	swap := fmt.Sprintf("your program's first prediction with %s arrived %s after it was published", r.next.Version, latencyText(max(firstNext.Sub(published), 0)))
	if !lastCurrent.IsZero() && lastCurrent.After(published) {
		swap += fmt.Sprintf(", its last with %s %s after", current.Version, latencyText(lastCurrent.Sub(published)))
	}
	return passed("All %d orders have one prediction with the score of the version it names (within %g). The %d made before %s was published name %s, and the %d made more than %s after it name it; %s.",
		len(r.orders), c.Tolerance, before, r.next.Version, current.Version, after, latencyText(c.Grace), swap)
}

// swapFindings judges which version each prediction names, by when the
// grader received it: the mistakes of a model swap, in a learner's words.
func (c modelVersionsCheck) swapFindings(r swapRun, preds []swapPrediction, published time.Time) []string {
	current := r.seeded[len(r.seeded)-1]
	models := "$" + r.modelLoad.Topic
	var parts []string

	// Versions that are none of the run's.
	badVersions := map[string]int{}
	for _, p := range preds {
		if role, _ := r.role(p.version); role == unknownVersion {
			badVersions[strconv.Quote(p.version)]++
		}
	}
	if len(badVersions) > 0 {
		n := 0
		for _, k := range badVersions {
			n += k
		}
		var known []string
		for _, m := range r.all() {
			known = append(known, m.Version)
		}
		parts = append(parts, fmt.Sprintf("%d prediction%s name%s model_version %s, which is no version on %s (%s): copy model_version from the model you scored with.",
			n, plural(n), verbS(n), examples(sortedKeys(badVersions)), models, strings.Join(known, ", ")))
	}

	// A version the one in use had replaced before the program started.
	olds := map[string]int{}
	nOld := 0
	for _, p := range preds {
		if role, _ := r.role(p.version); role == oldVersion {
			olds[p.version]++
			nOld++
		}
	}
	if nOld > 0 {
		count := fmt.Sprintf("%d of your %d predictions name", nOld, len(preds))
		if nOld == len(preds) {
			count = fmt.Sprintf("All %d of your predictions name", nOld)
		}
		parts = append(parts, fmt.Sprintf("%s %s, which %s had replaced on %s before your program started. A compacted topic keeps old versions until the broker gets round to compacting it, oldest first: read %s to its end before you score the first order, and keep the last value of each key, not the first.",
			count, strings.Join(sortedKeys(olds), " and "), current.Version, models, models))
	}

	// The new version named before the grader had published it.
	var tooSoon []swapPrediction
	for _, p := range preds {
		if p.version == r.next.Version && p.at.Before(published) {
			tooSoon = append(tooSoon, p)
		}
	}
	if len(tooSoon) > 0 {
		parts = append(parts, fmt.Sprintf("%d prediction%s reached %s before the grader published %s, yet name%s it: take each model from %s as it arrives, not from a file.",
			len(tooSoon), plural(len(tooSoon)), r.topic, r.next.Version, verbS(len(tooSoon)), models))
	}

	// Predictions made well after the new version was published that do
	// not use it: never swapped, swapped late, or swapped back.
	deadline := published.Add(c.Grace)
	var firstNext time.Time
	for _, p := range preds {
		if p.version == r.next.Version && !p.at.Before(published) {
			firstNext = p.at
			break
		}
	}
	var stale []swapPrediction
	names := map[string]bool{}
	flapped := 0
	for _, p := range preds {
		role, _ := r.role(p.version)
		if !p.at.After(deadline) || role == nextVersion || role == unknownVersion {
			continue
		}
		stale = append(stale, p)
		names[p.version] = true
		if !firstNext.IsZero() && p.at.After(firstNext) {
			flapped++
		}
	}
	if len(stale) == 0 {
		return parts
	}
	which := strings.Join(sortedKeys(names), " or ")
	span := fmt.Sprintf("%s to %s", latencyText(stale[0].at.Sub(published)), latencyText(stale[len(stale)-1].at.Sub(published)))
	if len(stale) == 1 {
		span = latencyText(stale[0].at.Sub(published))
	}
	made := fmt.Sprintf("%d prediction%s made %s after %s was published still name%s %s", len(stale), plural(len(stale)), span, r.next.Version, verbS(len(stale)), which)
	switch {
	case firstNext.IsZero() && !names[current.Version]:
		parts = append(parts, fmt.Sprintf("%s, and none names %s: each new value of the key replaces the model you hold, as soon as it arrives.", made, r.next.Version))
	case firstNext.IsZero():
		parts = append(parts, fmt.Sprintf("%s, and none names %s: does your program keep reading %s while it scores? Read it all the time, alongside the orders or in a goroutine of its own (not once at the start, nor on a timer), and swap to each new version as it arrives, without a restart.",
			made, r.next.Version, models))
	case flapped == 0:
		parts = append(parts, fmt.Sprintf("%s (the grace is %s): your program first used %s only %s after it was published. Does it look at %s only now and then? Take a new version as soon as it arrives, from a consumer that is always reading %s, or at every poll of the orders.",
			made, latencyText(c.Grace), r.next.Version, latencyText(firstNext.Sub(published)), models, models))
	default:
		parts = append(parts, fmt.Sprintf("%s, %d of them after your program had already used %s (first %s after it was published): once a new version has arrived, every order after it must use it — keep the model in use in one place that every scorer reads.",
			made, flapped, r.next.Version, latencyText(firstNext.Sub(published))))
	}
	return parts
}

// scoreFindings compares each prediction's score with the one the version
// it names gives, and names the likely mistake.
func (c modelVersionsCheck) scoreFindings(r swapRun, preds []swapPrediction) []string {
	byID := map[string]inputOrder{}
	for _, o := range r.orders {
		byID[o.OrderID] = o
	}
	all := map[string][]scorer{} // version -> its score, then its known mistakes
	for _, m := range r.all() {
		all[m.Version] = scorers(m, r.orders)
	}
	var noScore, items []string
	wrong := map[string]float64{}
	named := map[string]string{} // order id -> the version its wrong score names
	mixed := map[string]string{} // order id -> the other version whose score it carries
	for _, p := range preds {
		role, _ := r.role(p.version)
		if role == unknownVersion {
			continue // reported with the versions
		}
		if !p.hasScore {
			noScore = append(noScore, p.id)
			continue
		}
		o := byID[p.id]
		want := all[p.version][0].score(o)
		if math.Abs(p.score-want) <= c.Tolerance {
			continue
		}
		wrong[p.id], named[p.id] = p.score, p.version
		items = append(items, fmt.Sprintf("%s names %s: score %s, expected %s", p.id, p.version, scoreText(p.score), scoreText(want)))
		for v, s := range all {
			if v != p.version && math.Abs(s[0].score(o)-p.score) <= c.Tolerance {
				mixed[p.id] = v
			}
		}
	}
	var parts []string
	if len(noScore) > 0 {
		parts = append(parts, phrase(noScore, "the prediction of order %s has", "%d predictions (%s) have")+" no score as a JSON number.")
	}
	if len(wrong) == 0 {
		return parts
	}
	msg := fmt.Sprintf("%d of %d scores are more than %g from what the version they name gives (%s).", len(wrong), len(preds), c.Tolerance, semis(items))
	switch {
	case len(mixed) == len(wrong):
		pairs := map[string]bool{}
		for id, v := range mixed {
			pairs[fmt.Sprintf("%s's score under the name %s", v, named[id])] = true
		}
		msg += fmt.Sprintf(" Each is %s: take the score and model_version from the same model, the one you hold when you score the order — a swap between scoring and writing the version mixes them.", strings.Join(sortedKeys(pairs), ", "))
	default:
		why := diagnoseNamed(all, wrong, named, byID, c.Tolerance)
		if why == "" {
			why = "The score is 1 / (1 + e^(−z)), z = bias + Σ weights[i] × (x[i] − mean[i]) / scale[i], with x[i] the value of the feature named features[i] — in the order of the features of the version you score with, which differs from one version to the next."
		}
		msg += " " + why
	}
	return append(parts, msg)
}

// diagnoseNamed is diagnoseScores for scores of several versions: each
// wrong score is held against the known mistakes made with the version
// its prediction names. It names the mistake that explains them all, or
// else the one that explains at least half.
func diagnoseNamed(all map[string][]scorer, wrong map[string]float64, named map[string]string, byID map[string]inputOrder, tol float64) string {
	var kinds []string // the mistakes, in the order scorers lists them
	for _, v := range named {
		for _, s := range all[v][1:] {
			kinds = append(kinds, s.mistake)
		}
		break
	}
	best, bestN := "", 0
	for k, mistake := range kinds {
		n := 0
		for id, s := range wrong {
			if math.Abs(all[named[id]][k+1].score(byID[id])-s) <= tol {
				n++
			}
		}
		if n == len(wrong) {
			return mistakes[mistake]
		}
		if n > bestN {
			best, bestN = mistake, n
		}
	}
	if 2*bestN >= len(wrong) {
		return fmt.Sprintf("%d of them: %s", bestN, lowerFirst(mistakes[best]))
	}
	return ""
}
