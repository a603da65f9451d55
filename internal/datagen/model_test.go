package datagen

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// A model file reads back as the model it was written from, each list
// aligned with features.
func TestModelFileRoundTrips(t *testing.T) {
	m := NewModel(42)
	var back Model
	if err := json.Unmarshal(m.JSON(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, back) {
		t.Fatalf("wrote %+v, read back %+v", m, back)
	}
	if m.Type != "logistic_regression" || !strings.HasPrefix(m.Version, "fraud-v") {
		t.Fatalf("model %+v", m)
	}
	for _, l := range [][]float64{m.Mean, m.Scale, m.Weights} {
		if len(l) != len(m.Features) {
			t.Fatalf("%d features, a list of %d", len(m.Features), len(l))
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(m.Features)), []string{"amount_cents", "orders_10m", "sum_10m"}) {
		t.Fatalf("features %v", m.Features)
	}
	// Numbers as an export prints them, not 28734.21987.
	for _, s := range []string{`"bias": `, `"weights": [`} {
		if !strings.Contains(string(m.JSON()), s) {
			t.Fatalf("the file has no %s:\n%s", s, m.JSON())
		}
	}
	for i := range m.Features {
		if m.Scale[i] != round3(m.Scale[i]) || m.Weights[i] != round(m.Weights[i], 4) {
			t.Fatalf("%s: scale %v, weight %v are not rounded", m.Features[i], m.Scale[i], m.Weights[i])
		}
	}
}

// Every run draws its own model, and the same seed draws it again; the
// order of the features changes too, and is never the one the course
// names them in, so that a program must read them by name.
func TestModelsAreSeeded(t *testing.T) {
	if !reflect.DeepEqual(NewModel(1), NewModel(1)) {
		t.Fatal("the same seed drew two models")
	}
	versions, orders := map[string]bool{}, map[string]bool{}
	negative := 0
	for seed := range uint64(60) {
		m := NewModel(seed)
		versions[m.Version] = true
		orders[strings.Join(m.Features, ",")] = true
		if math.Abs(m.Bias) < 0.3 || math.Abs(m.Bias) > 0.7 {
			t.Fatalf("seed %d: bias %v, want 0.3 to 0.7 either way", seed, m.Bias)
		}
		if m.Bias < 0 {
			negative++
		}
	}
	if orders[strings.Join(ModelFeatures, ",")] {
		t.Fatal("a model lists its features in the order the course names them")
	}
	if len(versions) < 55 || len(orders) != 5 || negative == 0 || negative == 60 {
		t.Fatalf("60 seeds drew %d versions, %d feature orders, %d negative biases", len(versions), len(orders), negative)
	}
}

// The formula, worked by hand for one order.
func TestScoreIsTheLogisticOfTheScaledSum(t *testing.T) {
	m := Model{
		Features: []string{"orders_10m", "amount_cents", "sum_10m"},
		Mean:     []float64{5, 50000, 250000},
		Scale:    []float64{2.5, 25000, 150000},
		Weights:  []float64{0.5, 1, 0.3},
		Bias:     -0.5,
	}
	x := map[string]float64{"amount_cents": 100000, "orders_10m": 10, "sum_10m": 400000}
	// z = -0.5 + 0.5×(10−5)/2.5 + 1×(100000−50000)/25000 + 0.3×(400000−250000)/150000
	//   = -0.5 + 1 + 2 + 0.3 = 2.8
	if z := m.Linear(x); math.Abs(z-2.8) > 1e-12 {
		t.Fatalf("z = %v, want 2.8", z)
	}
	if s := m.Score(x); math.Abs(s-1/(1+math.Exp(-2.8))) > 1e-15 {
		t.Fatalf("score %v", s)
	}
}
