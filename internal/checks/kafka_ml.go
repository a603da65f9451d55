package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/streamlab/streamlab/internal/datagen"
)

// Checks of a model in production: features computed over a window of
// event time, and the scores a model file gives them. Each computes what
// it expects from the run's own input and model, and compares per order.

func init() {
	register("kafka.features", "kafka", "one record per input order holding the count and the sum of amount_cents of its customer's orders in a window of event time up to it",
		func(p featuresParams) (Check, error) {
			if p.Topic == "" || p.Input == "" {
				return nil, errors.New("needs topic and input (a file variable of orders with event_times)")
			}
			if p.Window < time.Second {
				return nil, errors.New("window must be a duration of at least 1s, like 10m")
			}
			return p, nil
		})
	register("kafka.predictions", "kafka", "one record per input order with the score the model file gives its features, and the model's version",
		func(p predictionsParams) (Check, error) {
			if p.Topic == "" || p.Input == "" || p.Model == "" {
				return nil, errors.New("needs topic, input (a file variable of orders with event_times) and model (a file variable of a model)")
			}
			if p.Tolerance < 0 || p.Tolerance >= 0.1 {
				return nil, fmt.Errorf("tolerance must be from 0 to 0.1, not %g", p.Tolerance)
			}
			return p, nil
		})
	register("kafka.input-order", "kafka", "each record is keyed by a field of the input line it answers, and each key's records follow the input's order",
		func(p inputOrderParams) (Check, error) {
			if p.Topic == "" || p.Input == "" || p.Match == "" || p.Key == "" {
				return nil, errors.New("needs topic, input, match (the value field naming the input line, e.g. order_id) and key (the input field each record is keyed by, e.g. customer_id)")
			}
			return p, nil
		})
}

// FileNeed is what a check needs a file variable to be.
type FileNeed struct {
	Generator  string // "orders" or "model"
	EventTimes bool   // orders with event_times
}

// FileReader is a check that reads generated files other than as plain
// input lines; the catalogue checks that each variable it names is the
// file it needs.
type FileReader interface {
	Files() map[string]FileNeed
}

// windowStat is what one order's window holds.
type windowStat struct{ count, sum int64 }

// windowMode says how a window is drawn: right, or as a known mistake
// draws it, to name the mistake.
type windowMode int

const (
	byEventTime    windowMode = iota // the customer's orders in (t−window, t]
	everyEarlier                     // all of the customer's orders so far: no window, or a window by the clock
	leavesOutOrder                   // the window without the order itself
)

// inputOrder is an order of the input, with its event time read.
type inputOrder struct {
	datagen.Order
	at time.Time
}

// timedOrders returns the input's orders (not its deletions) with their
// event times, or an error for an input without them: the spec's fault.
func timedOrders(orders []datagen.Order, variable string) ([]inputOrder, error) {
	var out []inputOrder
	for _, o := range orders {
		if o.Deleted {
			continue
		}
		at, err := datagen.ParseEventTime(o.EventTime)
		if err != nil {
			return nil, fmt.Errorf("input %s has no event times (order %s): give the file variable event_times", variable, o.OrderID)
		}
		out = append(out, inputOrder{o, at})
	}
	return out, nil
}

// windows computes, by order id, the count and the sum of amount_cents of
// the customer's orders whose event time lies in the window up to and
// including the order's own: later than its event time minus the window,
// and not later than it.
func windows(orders []inputOrder, window time.Duration, mode windowMode) map[string]windowStat {
	byCustomer := map[string][]inputOrder{}
	for _, o := range orders {
		byCustomer[o.CustomerID] = append(byCustomer[o.CustomerID], o)
	}
	out := make(map[string]windowStat, len(orders))
	for _, o := range orders {
		var s windowStat
		for _, p := range byCustomer[o.CustomerID] {
			in := p.at.After(o.at.Add(-window)) && !p.at.After(o.at)
			switch mode {
			case everyEarlier:
				in = !p.at.After(o.at)
			case leavesOutOrder:
				in = in && p.OrderID != o.OrderID
			}
			if in {
				s.count++
				s.sum += p.AmountCents
			}
		}
		out[o.OrderID] = s
	}
	return out
}

// shortDuration writes 10m for 10m0s, 1h for 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// valueFields reads a record's value as a JSON object, its numbers exact.
func valueFields(v []byte) (map[string]any, bool) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

func stringField(m map[string]any, f string) (string, bool) {
	s, ok := m[f].(string)
	return s, ok
}

func numberField(m map[string]any, f string) (float64, bool) {
	n, ok := m[f].(interface{ Float64() (float64, error) })
	if !ok {
		return 0, false
	}
	x, err := n.Float64()
	return x, err == nil
}

// semis joins findings about single orders, which hold commas of their own.
func semis(items []string) string {
	slices.Sort(items)
	if len(items) <= 3 {
		return strings.Join(items, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(items[:3], "; "), len(items)-3)
}

// perOrder sorts a topic's records by the input order they answer: the
// records of unknown orders, the duplicates, and the values that name no
// order are findings of their own.
type perOrder struct {
	first              map[string]map[string]any // order id -> its first record's fields
	unknown, malformed []string
	dups               map[string]int
}

func sortByOrder(recs []Record, known func(id string) bool) perOrder {
	p := perOrder{first: map[string]map[string]any{}, dups: map[string]int{}}
	for _, r := range recs {
		m, ok := valueFields(r.Value)
		id, hasID := stringField(m, "order_id")
		switch {
		case !ok || !hasID:
			p.malformed = append(p.malformed, fmt.Sprintf("partition %d offset %d: %s", r.Partition, r.Offset, valueText(r.Value)))
		case !known(id):
			p.unknown = append(p.unknown, strconv.Quote(id))
		case p.first[id] != nil:
			p.dups[id]++
		default:
			p.first[id] = m
		}
	}
	return p
}

// findings reports what sortByOrder found besides the orders themselves;
// what is the record's name for the learner ("feature record").
func (p perOrder) findings(ids []string, what, fields string) []string {
	var parts []string
	if len(p.malformed) > 0 {
		parts = append(parts, phrase(p.malformed, "one record is not a "+what+" (%s)", "%d records are not "+what+"s (%s)")+
			": each value is a JSON object with "+fields+".")
	}
	var missing []string
	for _, id := range ids {
		if p.first[id] == nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d orders have no %s (%s): write one for every order you read, and flush before the program exits.",
			len(missing), len(ids), what, examples(missing)))
	}
	if len(p.dups) > 0 {
		parts = append(parts, phrase(sortedKeys(p.dups), "order %s has more than one "+what, "%d orders have more than one "+what+" (%s)")+
			": write exactly one per order.")
	}
	if len(p.unknown) > 0 {
		parts = append(parts, phrase(p.unknown, "the order_id %s is not an order of the input", "%d order_ids are not orders of the input (%s)")+
			": copy each order's order_id as it is.")
	}
	return parts
}

// ---- kafka.features

type featuresParams struct {
	Topic  string        `yaml:"topic"`
	Input  string        `yaml:"input"`
	Window time.Duration `yaml:"window"`
	// CountAs and SumAs name the value fields; orders_<window> and
	// sum_<window> (orders_10m, sum_10m) unless given.
	CountAs string `yaml:"count_as"`
	SumAs   string `yaml:"sum_as"`
}

func (p featuresParams) Vars() []string { return []string{p.Topic, p.Input} }
func (p featuresParams) Needs() string  { return "kafka" }
func (p featuresParams) Files() map[string]FileNeed {
	return map[string]FileNeed{p.Input: {Generator: "orders", EventTimes: true}}
}

func (p featuresParams) fields() (count, sum string) {
	w := shortDuration(p.Window)
	count, sum = p.CountAs, p.SumAs
	if count == "" {
		count = "orders_" + w
	}
	if sum == "" {
		sum = "sum_" + w
	}
	return count, sum
}

func (p featuresParams) Evaluate(ctx context.Context, env *Env) Outcome {
	orders, err := timedOrders(env.Input(p.Input), p.Input)
	if err != nil {
		return errored(err)
	}
	recs, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	return p.judge(orders, recs, env.Var(p.Topic))
}

func (p featuresParams) judge(orders []inputOrder, recs []Record, topic string) Outcome {
	countAs, sumAs := p.fields()
	w := shortDuration(p.Window)
	if len(recs) == 0 {
		return failed("Topic %s is empty; expected one feature record for each of the %d orders.", topic, len(orders))
	}
	want := windows(orders, p.Window, byEventTime)
	customer := map[string]string{}
	ids := make([]string, len(orders))
	for i, o := range orders {
		customer[o.OrderID] = o.CustomerID
		ids[i] = o.OrderID
	}
	got := sortByOrder(recs, func(id string) bool { _, ok := want[id]; return ok })
	parts := got.findings(ids, "feature record", fmt.Sprintf("order_id, customer_id, %s and %s", countAs, sumAs))

	var wrongCustomer, notNumbers []string
	wrong := map[string]windowStat{} // order id -> what its record says
	for _, id := range ids {
		m := got.first[id]
		if m == nil {
			continue
		}
		if c, _ := stringField(m, "customer_id"); c != customer[id] {
			wrongCustomer = append(wrongCustomer, fmt.Sprintf("%s: customer_id %q, expected %q", id, c, customer[id]))
		}
		n, ok1 := numberField(m, countAs)
		s, ok2 := numberField(m, sumAs)
		if !ok1 || !ok2 {
			notNumbers = append(notNumbers, id)
			continue
		}
		if n != float64(want[id].count) || s != float64(want[id].sum) {
			wrong[id] = windowStat{int64(n), int64(s)}
			if n != math.Trunc(n) || s != math.Trunc(s) {
				wrong[id] = windowStat{-1, -1} // not whole: matches no window
			}
		}
	}
	if len(wrongCustomer) > 0 {
		parts = append(parts, phrase(wrongCustomer, "%s", "%d records have another order's customer_id (%s)")+
			": copy each order's customer_id as it is.")
	}
	if len(notNumbers) > 0 {
		parts = append(parts, phrase(notNumbers, "the record of order %s", "%d records (%s)")+
			fmt.Sprintf(" lack %s or %s as JSON numbers.", countAs, sumAs))
	}
	if len(wrong) > 0 {
		var items []string
		for id, g := range wrong {
			items = append(items, featureDiff(id, g, want[id], countAs, sumAs))
		}
		msg := fmt.Sprintf("%d of %d orders have wrong features (%s).", len(wrong), len(ids), semis(items))
		why, whole := p.diagnose(orders, wrong, want)
		if why != "" {
			msg += " " + why
		}
		if whole {
			parts = append(parts, msg)
		} else {
			parts = append(parts, msg+fmt.Sprintf(" For each order, %s and %s are the count and the sum of amount_cents of the customer's orders whose event_time lies in the %s up to and including this order's — by event time, not by when your program read them.", countAs, sumAs, longDuration(p.Window)))
		}
	}
	if len(parts) > 0 {
		return failed("%s", capitalized(parts))
	}
	return passed("All %d orders have the right %s and %s: their customer's orders in the %s up to each one's event_time.", len(ids), countAs, sumAs, w)
}

// featureDiff says what one record got wrong, in the fields' own words.
func featureDiff(id string, got, want windowStat, countAs, sumAs string) string {
	if got.count < 0 {
		return fmt.Sprintf("%s: %s and %s are not whole numbers", id, countAs, sumAs)
	}
	switch {
	case got.count != want.count && got.sum != want.sum:
		return fmt.Sprintf("%s: %s is %d and %s is %d, expected %d and %d", id, countAs, got.count, sumAs, got.sum, want.count, want.sum)
	case got.count != want.count:
		return fmt.Sprintf("%s: %s is %d, expected %d", id, countAs, got.count, want.count)
	default:
		return fmt.Sprintf("%s: %s is %d, expected %d", id, sumAs, got.sum, want.sum)
	}
}

// diagnose names the likely mistake behind wrong windows, when one
// explains them all.
// The second result says whether the text says all there is to say.
func (p featuresParams) diagnose(orders []inputOrder, wrong, want map[string]windowStat) (string, bool) {
	w := longDuration(p.Window)
	matches := func(mode windowMode) bool {
		alt := windows(orders, p.Window, mode)
		for id, g := range wrong {
			if alt[id] != g {
				return false
			}
		}
		return true
	}
	more, less := true, true
	for id, g := range wrong {
		more = more && g.count >= want[id].count && g.sum >= want[id].sum
		less = less && g.count <= want[id].count && g.sum <= want[id].sum
	}
	switch {
	case matches(everyEarlier):
		return fmt.Sprintf("Each counts every earlier order of its customer, as if the window never closed: that is what a window by the clock gives, or by the records' timestamps, since the orders happened over %s and your program reads them within seconds. "+
			"Window by event_time instead: drop the customer's orders that happened %s or more before the current one.", spanOf(orders), w), true
	case matches(leavesOutOrder):
		return "Each leaves the order itself out: the window runs up to and including this order's event_time, so it counts this order too.", false
	case more:
		return fmt.Sprintf("They count too much: only the same customer's orders count (keep a window per customer_id), and only those from the last %s of event time.", w), false
	case less:
		return fmt.Sprintf("They count too little: is the window %s long, and kept per customer across every poll, not just one batch?", w), false
	}
	return "", false
}

// spanOf is how long the input's orders took to happen, in words.
func spanOf(orders []inputOrder) string {
	if len(orders) == 0 {
		return "no time"
	}
	lo, hi := orders[0].at, orders[0].at
	for _, o := range orders {
		if o.at.Before(lo) {
			lo = o.at
		}
		if o.at.After(hi) {
			hi = o.at
		}
	}
	return longDuration(max(hi.Sub(lo).Round(time.Minute), time.Minute))
}

// longDuration writes 10m as "10 minutes" for the learner.
func longDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return plural2(int(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural2(int(d/time.Minute), "minute")
	case d%time.Second == 0:
		return plural2(int(d/time.Second), "second")
	}
	return d.String()
}

func plural2(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// ---- kafka.predictions

// DefaultTolerance is how far a score may be from the grader's own: the
// same formula in another language or order of sums is this close.
const DefaultTolerance = 1e-6

type predictionsParams struct {
	Topic     string  `yaml:"topic"`
	Input     string  `yaml:"input"`
	Model     string  `yaml:"model"`
	Tolerance float64 `yaml:"tolerance"` // 1e-6 unless given
}

func (p predictionsParams) Vars() []string { return []string{p.Topic, p.Input, p.Model} }
func (p predictionsParams) Needs() string  { return "kafka" }
func (p predictionsParams) Files() map[string]FileNeed {
	return map[string]FileNeed{p.Input: {Generator: "orders", EventTimes: true}, p.Model: {Generator: "model"}}
}

func (p predictionsParams) tolerance() float64 {
	if p.Tolerance == 0 {
		return DefaultTolerance
	}
	return p.Tolerance
}

func (p predictionsParams) Evaluate(ctx context.Context, env *Env) Outcome {
	orders, err := timedOrders(env.Input(p.Input), p.Input)
	if err != nil {
		return errored(err)
	}
	model, ok := env.Model(p.Model)
	if !ok {
		return errored(fmt.Errorf("%s is not a model file: give it generator: model", p.Model))
	}
	recs, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	return p.judge(orders, model, recs, env.Var(p.Topic))
}

// scorer scores an order from its features, as the model says or as a
// known mistake does.
type scorer struct {
	mistake string // "" for the model's own score
	score   func(o inputOrder) float64
}

// featureValues are an order's values of the model's features:
// amount_cents its own, orders_<window> and sum_<window> from its window.
func featureValues(m datagen.Model, o inputOrder, stats map[time.Duration]map[string]windowStat) map[string]float64 {
	x := map[string]float64{}
	for _, f := range m.Features {
		switch name, w, ok := windowFeature(f); {
		case f == "amount_cents":
			x[f] = float64(o.AmountCents)
		case ok && name == "orders":
			x[f] = float64(stats[w][o.OrderID].count)
		case ok && name == "sum":
			x[f] = float64(stats[w][o.OrderID].sum)
		}
	}
	return x
}

// windowFeature reads a feature name such as orders_10m: the count over
// a window of 10 minutes.
func windowFeature(f string) (name string, window time.Duration, ok bool) {
	name, w, found := strings.Cut(f, "_")
	if !found || (name != "orders" && name != "sum") {
		return "", 0, false
	}
	d, err := time.ParseDuration(w)
	return name, d, err == nil && d > 0
}

// scorers are the model's score and the known ways to get it wrong, the
// likeliest first.
func scorers(m datagen.Model, orders []inputOrder) []scorer {
	statsBy := func(mode windowMode) map[time.Duration]map[string]windowStat {
		out := map[time.Duration]map[string]windowStat{}
		for _, f := range m.Features {
			if _, w, ok := windowFeature(f); ok && out[w] == nil {
				out[w] = windows(orders, w, mode)
			}
		}
		return out
	}
	right := statsBy(byEventTime)
	with := func(stats map[time.Duration]map[string]windowStat, z func(x map[string]float64) float64) func(inputOrder) float64 {
		return func(o inputOrder) float64 { return z(featureValues(m, o, stats)) }
	}
	sum := func(scaled func(i int, x float64) float64, bias float64) func(x map[string]float64) float64 {
		return func(x map[string]float64) float64 {
			z := bias
			for i, f := range m.Features {
				z += m.Weights[i] * scaled(i, x[f])
			}
			return datagen.Sigmoid(z)
		}
	}
	standard := func(i int, x float64) float64 { return (x - m.Mean[i]) / m.Scale[i] }
	out := []scorer{
		{"", with(right, m.Score)},
		{"scaling", with(right, sum(func(_ int, x float64) float64 { return x }, m.Bias))},
		{"mean", with(right, sum(func(i int, x float64) float64 { return x / m.Scale[i] }, m.Bias))},
		{"bias", with(right, sum(standard, 0))},
		{"sigmoid", with(right, m.Linear)},
		{"window-never-closes", with(statsBy(everyEarlier), m.Score)},
		{"window-leaves-out-order", with(statsBy(leavesOutOrder), m.Score)},
	}
	// Weights taken in the order the task lists the features, not by the
	// names in the file, mix scales of thousands with scales of one: the
	// scores go to 0 or 1 as they do without scaling, and the message
	// for that names both.
	return out
}

// mistakes says, for each known mistake, what it means for the learner.
var mistakes = map[string]string{
	"scaling":                 "They are what the model gives features that were not scaled: subtract each feature's mean and divide by its scale before weighting it, taking mean, scale and weight from the feature's own place in features.",
	"mean":                    "They are what the model gives features divided by their scale without the mean taken away first: use (x − mean) / scale.",
	"bias":                    "They are what the model gives without its bias: add bias to the weighted sum before the sigmoid.",
	"sigmoid":                 "They are the weighted sum itself: a score is the sigmoid of it, 1 / (1 + e^(−z)), a number between 0 and 1.",
	"window-never-closes":     "They are what the model gives when orders_10m and sum_10m count every earlier order of the customer: the window must close, by event time (a window by the clock holds everything, since your program reads all the orders within seconds).",
	"window-leaves-out-order": "They are what the model gives when the window leaves the order itself out: it runs up to and including this order's event_time.",
}

func (p predictionsParams) judge(orders []inputOrder, m datagen.Model, recs []Record, topic string) Outcome {
	tol := p.tolerance()
	if len(recs) == 0 {
		return failed("Topic %s is empty; expected one prediction for each of the %d orders.", topic, len(orders))
	}
	byID := map[string]inputOrder{}
	ids := make([]string, len(orders))
	for i, o := range orders {
		byID[o.OrderID] = o
		ids[i] = o.OrderID
	}
	got := sortByOrder(recs, func(id string) bool { _, ok := byID[id]; return ok })
	parts := got.findings(ids, "prediction", "order_id, score and model_version")

	all := scorers(m, orders)
	versions := map[string]int{}
	var noScore []string
	wrong := map[string]float64{} // order id -> the score its record gives
	for _, id := range ids {
		r := got.first[id]
		if r == nil {
			continue
		}
		if v, _ := stringField(r, "model_version"); v != m.Version {
			versions[strconv.Quote(v)]++
		}
		s, ok := numberField(r, "score")
		if !ok {
			noScore = append(noScore, id)
			continue
		}
		if want := all[0].score(byID[id]); !(math.Abs(s-want) <= tol) {
			wrong[id] = s
		}
	}
	if len(noScore) > 0 {
		parts = append(parts, phrase(noScore, "the prediction of order %s has", "%d predictions (%s) have")+" no score as a JSON number.")
	}
	if len(wrong) > 0 {
		var items []string
		for id, s := range wrong {
			want := all[0].score(byID[id])
			items = append(items, fmt.Sprintf("%s: score %s, expected %s", id, scoreText(s), scoreText(want)))
		}
		msg := fmt.Sprintf("%d of %d scores are more than %g from the model's (%s).", len(wrong), len(ids), tol, semis(items))
		if why := diagnoseScores(all[1:], wrong, byID, tol); why != "" {
			msg += " " + why
		} else {
			msg += " The score is 1 / (1 + e^(−z)), z = bias + Σ weights[i] × (x[i] − mean[i]) / scale[i], with x[i] the value of the feature named features[i]."
		}
		parts = append(parts, msg)
	}
	if len(versions) > 0 {
		n := 0
		for _, c := range versions {
			n += c
		}
		carry := fmt.Sprintf("%d predictions carry", n)
		if n == 1 {
			carry = "1 prediction carries"
		}
		parts = append(parts, fmt.Sprintf("%s model_version %s, expected %q: copy model_version from the model file, so that every score says which model made it.",
			carry, examples(sortedKeys(versions)), m.Version))
	}
	if len(parts) > 0 {
		return failed("%s", capitalized(parts))
	}
	return passed("All %d orders have one prediction, with the score of model %s (within %g).", len(ids), m.Version, tol)
}

// diagnoseScores names the known mistake that explains every wrong score,
// or else the one that explains most of them, if that is at least half.
func diagnoseScores(alts []scorer, wrong map[string]float64, byID map[string]inputOrder, tol float64) string {
	best, bestN := "", 0
	for _, a := range alts {
		n := 0
		for id, s := range wrong {
			if math.Abs(a.score(byID[id])-s) <= tol {
				n++
			}
		}
		if n == len(wrong) {
			return mistakes[a.mistake]
		}
		if n > bestN {
			best, bestN = a.mistake, n
		}
	}
	if 2*bestN >= len(wrong) {
		return fmt.Sprintf("%d of them: %s", bestN, lowerFirst(mistakes[best]))
	}
	return ""
}

// capitalized joins findings, each a sentence of its own.
func capitalized(parts []string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = sentences([]string{p})
	}
	return strings.Join(out, " ")
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// scoreText prints a score with the digits that tell it apart.
func scoreText(s float64) string { return strconv.FormatFloat(s, 'g', 8, 64) }

// ---- kafka.input-order

type inputOrderParams struct {
	Topic string `yaml:"topic"`
	Input string `yaml:"input"`
	Match string `yaml:"match"` // value field naming the input line, such as order_id
	Key   string `yaml:"key"`   // input field each record is keyed by, such as customer_id
}

func (p inputOrderParams) Vars() []string { return []string{p.Topic, p.Input} }
func (p inputOrderParams) Needs() string  { return "kafka" }

func (p inputOrderParams) Evaluate(ctx context.Context, env *Env) Outcome {
	recs, o := env.records(ctx, p.Topic)
	if o != nil {
		return *o
	}
	return p.judge(env.Input(p.Input), recs, env.Var(p.Topic))
}

func (p inputOrderParams) judge(orders []datagen.Order, recs []Record, topic string) Outcome {
	if len(recs) == 0 {
		return failed("Topic %s is empty.", topic)
	}
	type line struct {
		key string
		pos int
	}
	input := map[string]line{}
	for i, l := range datagen.Lines(orders) {
		id, ok1 := JSONField([]byte(l), p.Match)
		k, ok2 := JSONField([]byte(l), p.Key)
		if ok1 && ok2 {
			input[id] = line{k, i}
		}
	}
	who := noun(p.Key)
	type last struct {
		id        string
		pos       int
		partition int32
	}
	seen := map[string]bool{}
	lasts := map[string]last{}
	parts := map[string]map[int32]bool{}
	var wrongKey, behind []string
	judged, keyless := 0, 0
	for _, r := range recs { // by partition, then offset
		id, ok := JSONField(r.Value, p.Match)
		in, known := input[id]
		if !ok || !known || seen[id] {
			continue // the check of the values reports these
		}
		seen[id] = true
		judged++
		if string(r.Key) != in.key || r.Key == nil {
			wrongKey = append(wrongKey, fmt.Sprintf("%s has key %s, expected %q", id, keyText(r.Key), in.key))
		}
		if r.Key == nil {
			keyless++
		}
		if parts[in.key] == nil {
			parts[in.key] = map[int32]bool{}
		}
		parts[in.key][r.Partition] = true
		if prev, ok := lasts[in.key]; ok && prev.partition == r.Partition && in.pos < prev.pos {
			behind = append(behind, fmt.Sprintf("%s %s: %s comes after %s (partition %d offset %d), though it came first in the input", who, in.key, id, prev.id, r.Partition, r.Offset))
		}
		if prev, ok := lasts[in.key]; !ok || prev.partition != r.Partition || in.pos > prev.pos {
			lasts[in.key] = last{id, in.pos, r.Partition}
		}
	}
	if judged == 0 {
		return failed("No record of %s names an input line by its %s.", topic, p.Match)
	}
	var split []string
	for _, k := range sortedKeys(parts) {
		if len(parts[k]) > 1 {
			split = append(split, fmt.Sprintf("%s (partitions %s)", k, partitionList(parts[k])))
		}
	}
	var out []string
	switch why := fmt.Sprintf("so that all of a %s's records go to one partition and keep their order.", who); {
	case keyless == judged:
		out = append(out, fmt.Sprintf("None of the %d records has a key: key each record by its %s's %s, %s", judged, noun(p.Match), p.Key, why))
	case len(wrongKey) > 0:
		out = append(out, fmt.Sprintf("%d of %d records are not keyed by their %s's %s (%s): key each record by it, %s",
			len(wrongKey), judged, noun(p.Match), p.Key, semis(wrongKey), why))
	}
	if len(split) > 0 {
		out = append(out, phrase(split, who+" %s has records in more than one partition", "%d "+who+"s have records in more than one partition (%s)")+
			": no order holds between partitions.")
	}
	if len(behind) > 0 {
		out = append(out, fmt.Sprintf("%d record%s came out of order (%s): handle each %s's input in the order you read it, and write each result before the next one's — work spread over goroutines or threads finishes in any order.",
			len(behind), plural(len(behind)), semis(behind), who))
	}
	if len(out) > 0 {
		return failed("%s", capitalized(out))
	}
	return passed("All %d records are keyed by their %s's %s, and each %s's are in the order of the input.", judged, noun(p.Match), p.Key, who)
}
