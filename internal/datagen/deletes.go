package datagen

import (
	"fmt"
	"math/rand/v2"
)

// A customer's deletion is a line of its own among the orders:
//
//	{"customer_id":"c-1a2b-003","deleted":true}
//
// Whatever a program keeps for that customer (a total, a row, a key in a
// compacted topic) goes. An order after the deletion starts the customer
// again from nothing, so a program that only remembers "was deleted" gets
// those customers wrong.

// CheckDeletes says what is wrong with spec's Deletes, if anything.
func (s OrdersSpec) CheckDeletes() error {
	customers := s.Customers
	if customers <= 0 {
		customers = 10 // the default Orders uses
	}
	if s.Deletes < 0 || s.Deletes > customers {
		return fmt.Errorf("deletes must be between 0 and the number of customers (%d), not %d", customers, s.Deletes)
	}
	return nil
}

// withDeletes inserts a deletion of n distinct customers among orders, each
// after at least one of that customer's orders. Half of them (rounded down)
// order again after their deletion and the rest never do, so an input with
// two or more deletions always has both endings. A customer can only come
// back if it has two orders or more: when too few have, fewer come back.
func withDeletes(r *rand.Rand, orders []Order, n int) []Order {
	at, customers := orderPositions(orders)
	comeBack, stay := n/2, n-n/2
	after := map[int][]string{} // index in orders -> deletions right after it
	for _, k := range r.Perm(len(customers)) {
		c := customers[k]
		pos := at[c]
		switch {
		case comeBack > 0 && len(pos) >= 2:
			// After any of its orders but the last.
			i := pos[r.IntN(len(pos)-1)]
			after[i] = append(after[i], c)
			comeBack--
		case stay > 0:
			// After its last order, anywhere up to the end of the file.
			last := pos[len(pos)-1]
			i := last + r.IntN(len(orders)-last)
			after[i] = append(after[i], c)
			stay--
		}
		if comeBack+stay == 0 {
			break
		}
	}
	out := make([]Order, 0, len(orders)+n)
	for i, o := range orders {
		out = append(out, o)
		for _, c := range after[i] {
			out = append(out, Order{CustomerID: c, Deleted: true})
		}
	}
	return out
}

// orderPositions returns where each customer's orders are, and the
// customers in order of first appearance (a stable order to draw from).
func orderPositions(orders []Order) (map[string][]int, []string) {
	at := map[string][]int{}
	var customers []string
	for i, o := range orders {
		if _, seen := at[o.CustomerID]; !seen {
			customers = append(customers, o.CustomerID)
		}
		at[o.CustomerID] = append(at[o.CustomerID], i)
	}
	return at, customers
}
