package checks

import (
	"strings"
	"testing"
)

func TestTxnVerdict(t *testing.T) {
	for _, c := range []struct {
		records, offsets int64
		status           Status
		says             string
	}{
		{300, 303, Pass, "3 offsets of transaction markers"},
		{300, 300, Fail, "written outside transactions"},
		{0, 12, Fail, "no committed records"},
		{0, 0, Fail, "no committed records"},
	} {
		o := txnVerdict("out", c.records, c.offsets)
		if o.Status != c.status || !strings.Contains(o.Message, c.says) {
			t.Errorf("%d records in %d offsets: %s %q", c.records, c.offsets, o.Status, o.Message)
		}
	}
}
