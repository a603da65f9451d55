package grader

import (
	"testing"

	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

// The cursor arithmetic of a redelivery: entries are counted across the
// topic's ledgers, the open one by its current count.
func TestCursorBack(t *testing.T) {
	ledgers := []utils.LedgerInfo{{LedgerID: 10, Entries: 5}, {LedgerID: 12, Entries: 3}, {LedgerID: 15, Entries: 0}}
	for _, c := range []struct {
		markDelete string
		n          int64
		acked      int64
		to         utils.MessageID
		moved      int64
	}{
		// 4 entries of ledger 15 acknowledged: 5 + 3 + 4 = 12.
		{"15:3", 2, 12, utils.MessageID{LedgerID: 15, EntryID: 2, PartitionIndex: -1}, 2},
		{"15:3", 4, 12, utils.MessageID{LedgerID: 15, EntryID: 0, PartitionIndex: -1}, 4},
		{"15:3", 5, 12, utils.MessageID{LedgerID: 12, EntryID: 2, PartitionIndex: -1}, 5},
		{"15:3", 12, 12, utils.MessageID{LedgerID: 10, EntryID: 0, PartitionIndex: -1}, 12},
		{"15:3", 50, 12, utils.MessageID{LedgerID: 10, EntryID: 0, PartitionIndex: -1}, 12},
		{"12:0", 1, 6, utils.MessageID{LedgerID: 12, EntryID: 0, PartitionIndex: -1}, 1},
		// A fresh subscription at the start: nothing acknowledged.
		{"10:-1", 3, 0, utils.Earliest, 0},
	} {
		cur, err := cursorOf(ledgers, 7, c.markDelete)
		if err != nil {
			t.Fatal(err)
		}
		if cur.acked != c.acked {
			t.Errorf("%s: acked %d, want %d", c.markDelete, cur.acked, c.acked)
		}
		if c.acked == 0 {
			continue
		}
		to, moved := cur.back(c.n)
		if to != c.to || moved != c.moved {
			t.Errorf("%s back %d: %+v (%d), want %+v (%d)", c.markDelete, c.n, to, moved, c.to, c.moved)
		}
	}
	if _, err := cursorOf(ledgers, 7, "nowhere"); err == nil {
		t.Error("a position without a colon parsed")
	}
}
