package catalogue_test

import (
	"testing"

	"github.com/streamlab/streamlab"
	"github.com/streamlab/streamlab/internal/catalogue"
)

// The course shipped in the binary loads without a single problem.
func TestEmbeddedCourseLoads(t *testing.T) {
	cat, err := catalogue.Load(streamlab.Content)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Labs) == 0 || len(cat.Exercises) == 0 {
		t.Fatalf("loaded %d labs and %d exercises", len(cat.Labs), len(cat.Exercises))
	}
	for _, ex := range cat.Exercises {
		if ex.Lab == "" || ex.MaxScore() == 0 {
			t.Errorf("%s: lab %q, max score %d", ex.ID, ex.Lab, ex.MaxScore())
		}
	}
}
