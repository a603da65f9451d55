package checks

import (
	"strings"
	"testing"
)

func TestJudgeFetched(t *testing.T) {
	want := map[int32]int64{0: 57, 1: 61, 2: 55}
	for _, c := range []struct {
		name   string
		first  map[int32]int64
		status Status
		says   string
	}{
		{"at the offsets", map[int32]int64{0: 57, 1: 61, 2: 55}, Pass, "0 at 57, 1 at 61, 2 at 55"},
		{"from the start", map[int32]int64{0: 0, 1: 0, 2: 55}, Fail, "partition 0 at offset 0, partition 1 at offset 0, where the offsets for SINCE are 0 at 57, 1 at 61, 2 at 55: it fetched 118 records"},
		{"later is the copy check's business", map[int32]int64{0: 90, 1: 61, 2: 55}, Pass, "or later"},
		{"never fetched", nil, Fail, "never fetched from IN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := judgeFetched(c.first, want, "IN", "SINCE")
			if o.Status != c.status || !strings.Contains(o.Message, c.says) {
				t.Fatalf("%s %q", o.Status, o.Message)
			}
		})
	}
}
