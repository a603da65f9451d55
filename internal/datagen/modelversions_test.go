package datagen

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The versions of one model share its name and count up; each lists the
// features in an order of its own, never the course's, and has weights
// of its own, so that a score tells which version made it.
func TestModelVersionsDiffer(t *testing.T) {
	for seed := range uint64(40) {
		ms := NewModels(seed, MaxModelVersions)
		if len(ms) != MaxModelVersions {
			t.Fatalf("seed %d: %d versions", seed, len(ms))
		}
		orders := map[string]bool{}
		for i, m := range ms {
			if m.Name() != "fraud" || m.Type != "logistic_regression" {
				t.Fatalf("seed %d: version %d is %+v", seed, i, m)
			}
			n, err := strconv.Atoi(strings.Split(m.Version, "-")[1][1:])
			if err != nil || n < 1 || n > 9 {
				t.Fatalf("seed %d: version %q", seed, m.Version)
			}
			if i > 0 {
				prev := ms[i-1]
				if p, _ := strconv.Atoi(strings.Split(prev.Version, "-")[1][1:]); p+1 != n {
					t.Fatalf("seed %d: %s follows %s", seed, m.Version, prev.Version)
				}
				if slices.Equal(m.Weights, prev.Weights) {
					t.Fatalf("seed %d: %s has the weights of %s", seed, m.Version, prev.Version)
				}
			}
			order := strings.Join(m.Features, ",")
			if orders[order] || order == strings.Join(ModelFeatures, ",") {
				t.Fatalf("seed %d: %s lists its features as %s, as an earlier version or the course does", seed, m.Version, order)
			}
			orders[order] = true
		}
	}
	if reflect.DeepEqual(NewModels(1, 2), NewModels(2, 2)) {
		t.Fatal("two seeds drew the same versions")
	}
}

// A file that follows another continues its versions: the first k of n
// versions are the k versions drawn alone.
func TestModelVersionsArePrefixStable(t *testing.T) {
	all := NewModels(7, 3)
	if !reflect.DeepEqual(NewModels(7, 2), all[:2]) || !reflect.DeepEqual(NewModels(7, 3), all) {
		t.Fatal("the versions drawn depend on how many are drawn")
	}
	if got := len(NewModels(7, MaxModelVersions+3)); got != MaxModelVersions {
		t.Fatalf("%d versions drawn, at most %d exist", got, MaxModelVersions)
	}
}

// Several versions go to their file as JSON lines, oldest first; one
// version is written as a single model file is.
func TestModelVersionFiles(t *testing.T) {
	dir := t.TempDir()
	ms := NewModels(3, 2)
	several, one := filepath.Join(dir, "models.jsonl"), filepath.Join(dir, "model.json")
	if err := WriteModels(several, ms); err != nil {
		t.Fatal(err)
	}
	if err := WriteModels(one, ms[:1]); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(several)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), data)
	}
	for i, l := range lines {
		var back Model
		if err := json.Unmarshal([]byte(l), &back); err != nil || !reflect.DeepEqual(back, ms[i]) || l != ms[i].Line() {
			t.Fatalf("line %d %q reads back as %+v (%v)", i, l, back, err)
		}
	}
	if data, _ := os.ReadFile(one); string(data) != string(ms[0].JSON()) {
		t.Fatalf("one version written as\n%s", data)
	}
	if got := (Model{Version: "churn-v12-00aa"}).Name(); got != "churn" {
		t.Fatalf("name %q", got)
	}
}
