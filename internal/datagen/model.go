package datagen

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
)

// A model file is a logistic-regression model written as data, so that a
// program in any language can score with it without a machine-learning
// library:
//
//	{
//	  "model_version": "fraud-v3-1a2b",
//	  "type": "logistic_regression",
//	  "features": ["orders_10m", "amount_cents", "sum_10m"],
//	  "mean": [5.12, 50100, 262000],
//	  "scale": [2.6, 28700, 146000],
//	  "weights": [0.9123, 1.4042, 0.6471],
//	  "bias": -0.4215
//	}
//
// mean, scale and weights go with the feature named at the same place in
// features, whose order changes from run to run. The score of an order is
//
//	z     = bias + Σ weights[i] × (x[i] − mean[i]) / scale[i]
//	score = 1 / (1 + e^(−z))
//
// where x[i] is the order's value of features[i]: amount_cents its own,
// orders_10m and sum_10m the count and the sum of amount_cents of its
// customer's orders in the 10 minutes up to its event time.
//
//	MODEL_FILE: {kind: file, generator: model}
//
// A model topic holds versions of a model over time (NewModels): a file
// of several versions holds one JSON line each, oldest first.

// Model is a logistic-regression model as a model file holds it.
type Model struct {
	Version  string    `json:"model_version"`
	Type     string    `json:"type"`
	Features []string  `json:"features"`
	Mean     []float64 `json:"mean"`
	Scale    []float64 `json:"scale"`
	Weights  []float64 `json:"weights"`
	Bias     float64   `json:"bias"`
}

// ModelFeatures are the features a generated model scores, in the order
// the course names them.
var ModelFeatures = []string{"amount_cents", "orders_10m", "sum_10m"}

// modelPrior is, per feature, roughly its mean and standard deviation in
// the orders an exercise generates (300 orders of 20 customers over 30
// minutes), and the range its weight is drawn from: what a model trained
// on such orders would have learnt.
var modelPrior = map[string]struct{ mean, sd, wlo, whi float64 }{
	"amount_cents": {50_000, 28_800, 1.0, 1.8},
	"orders_10m":   {5, 2.5, 0.6, 1.4},
	"sum_10m":      {255_000, 145_000, 0.4, 1.0},
}

// NewModel draws a model from seed: its version, the order of its
// features (never that of ModelFeatures), their scaling (within 10% of the prior) and weights, and a
// bias of 0.3 to 0.7 either way, so that leaving any part out changes every
// score. Numbers are rounded as a trained model's export would print them.
func NewModel(seed uint64) Model {
	r := rand.New(rand.NewPCG(seed, seed^0x30de1))
	m := Model{
		Version: fmt.Sprintf("fraud-v%d-%04x", 1+r.IntN(9), r.Uint32()&0xffff),
		Type:    "logistic_regression",
	}
	// Never in the order the course names them, so that a program that
	// takes the weights in that order instead of by name is caught.
	perm := r.Perm(len(ModelFeatures))
	for slices.IsSorted(perm) {
		perm = r.Perm(len(ModelFeatures))
	}
	drawParams(r, &m, perm)
	return m
}

// drawParams draws m's features in the order perm gives, their scaling
// and weights, and its bias.
func drawParams(r *rand.Rand, m *Model, perm []int) {
	for _, i := range perm {
		f := ModelFeatures[i]
		p := modelPrior[f]
		jitter := func() float64 { return 0.9 + 0.2*r.Float64() }
		m.Features = append(m.Features, f)
		m.Mean = append(m.Mean, round3(p.mean*jitter()))
		m.Scale = append(m.Scale, round3(p.sd*jitter()))
		m.Weights = append(m.Weights, round(p.wlo+(p.whi-p.wlo)*r.Float64(), 4))
	}
	m.Bias = round(0.3+0.4*r.Float64(), 4)
	if r.IntN(2) == 0 {
		m.Bias = -m.Bias
	}
}

// MaxModelVersions is how many versions NewModels draws at most: as many
// as there are orders of the features other than the course's, so that
// no two versions list them alike.
const MaxModelVersions = 5

// NewModels draws n versions of one model, oldest first, as a team that
// retrains it ships them: fraud-v3-1a2b, fraud-v4-1a2b, ... Each version
// lists the features in an order of its own (never the course's, never an
// earlier version's) with scaling, weights and bias of its own, so that a
// score tells which version made it. The first k of NewModels(seed, n)
// are NewModels(seed, k): a file that follows another continues its
// versions. n is at most MaxModelVersions.
func NewModels(seed uint64, n int) []Model {
	r := rand.New(rand.NewPCG(seed, seed^0x5e7a))
	tag := r.Uint32() & 0xffff
	first := 1 + r.IntN(10-MaxModelVersions) // every version a single digit
	var perms [][]int
	for _, p := range permutations(len(ModelFeatures)) {
		if !slices.IsSorted(p) {
			perms = append(perms, p)
		}
	}
	r.Shuffle(len(perms), func(i, j int) { perms[i], perms[j] = perms[j], perms[i] })
	out := make([]Model, 0, n)
	for i := range min(n, len(perms)) {
		m := Model{Version: fmt.Sprintf("fraud-v%d-%04x", first+i, tag), Type: "logistic_regression"}
		drawParams(r, &m, perms[i])
		out = append(out, m)
	}
	return out
}

// permutations lists every order of 0..n-1, in lexicographic order.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for at := 0; at <= len(p); at++ {
			out = append(out, slices.Insert(slices.Clone(p), at, n-1))
		}
	}
	slices.SortFunc(out, slices.Compare)
	return out
}

// Name is the model's name, what its versions share: "fraud" for
// fraud-v3-1a2b. A topic of models is keyed by it.
func (m Model) Name() string {
	name, _, _ := strings.Cut(m.Version, "-v")
	return name
}

// round rounds to n decimals (to tens, hundreds... for n below 0).
func round(x float64, n int) float64 {
	if n < 0 {
		p := math.Pow(10, float64(-n)) // exact: a whole number
		return math.Round(x/p) * p
	}
	p := math.Pow(10, float64(n))
	return math.Round(x*p) / p
}

// round3 keeps three significant digits: 28734.2 becomes 28700.
func round3(x float64) float64 {
	if x == 0 {
		return 0
	}
	return round(x, 2-int(math.Floor(math.Log10(math.Abs(x)))))
}

// Linear is z, the model's sum before the sigmoid, for the values x of
// its features (by name). A feature x does not have counts as 0.
func (m Model) Linear(x map[string]float64) float64 {
	z := m.Bias
	for i, f := range m.Features {
		z += m.Weights[i] * (x[f] - m.Mean[i]) / m.Scale[i]
	}
	return z
}

// Score is the model's score for the values x of its features: a number
// between 0 and 1.
func (m Model) Score(x map[string]float64) float64 { return Sigmoid(m.Linear(x)) }

// Sigmoid is 1 / (1 + e^(−z)).
func Sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// JSON renders the model as its file holds it.
func (m Model) JSON() []byte {
	b, _ := json.MarshalIndent(m, "", "  ") // cannot fail for this type
	return append(b, '\n')
}

// WriteModel writes the model file to path.
func WriteModel(path string, m Model) error {
	if err := os.WriteFile(path, m.JSON(), 0o644); err != nil {
		return fmt.Errorf("writing model file: %w", err)
	}
	return nil
}

// Line renders the model as one line of JSON, as a record of a topic of
// models holds it: the fields of its file, without the indentation.
func (m Model) Line() string {
	b, _ := json.Marshal(m) // cannot fail for this type
	return string(b)
}

// ModelLines are the models' lines, in order.
func ModelLines(models []Model) []string {
	out := make([]string, len(models))
	for i, m := range models {
		out[i] = m.Line()
	}
	return out
}

// WriteModels writes a file of model versions to path: one model as its
// file (WriteModel), several as JSON lines, oldest first.
func WriteModels(path string, models []Model) error {
	if len(models) == 1 {
		return WriteModel(path, models[0])
	}
	if err := os.WriteFile(path, []byte(strings.Join(ModelLines(models), "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("writing model file: %w", err)
	}
	return nil
}
