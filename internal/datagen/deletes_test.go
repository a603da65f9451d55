package datagen

import (
	"reflect"
	"strings"
	"testing"
)

// Deletions are drawn from the run's seed like everything else, and leave
// the orders themselves as they were.
func TestDeletesAreSeededAndKeepTheOrders(t *testing.T) {
	spec := OrdersSpec{Count: 200, Customers: 20, Deletes: 4}
	a, b := Orders(7, spec), Orders(7, spec)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed made two different inputs")
	}
	if reflect.DeepEqual(a, Orders(8, spec)) {
		t.Fatal("two seeds made the same input")
	}
	var orders []Order
	for _, o := range a {
		if !o.Deleted {
			orders = append(orders, o)
		}
	}
	spec.Deletes = 0
	if !reflect.DeepEqual(orders, Orders(7, spec)) {
		t.Fatal("adding deletions changed the orders")
	}
}

// Every deletion follows an order of its customer; half the deleted
// customers order again, the others never do.
func TestDeletedCustomersComeBackOrStayGone(t *testing.T) {
	for seed := range uint64(50) {
		in := Orders(seed, OrdersSpec{Count: 200, Customers: 20, Deletes: 5})
		ordered := map[string]bool{}
		deleted := map[string]bool{}
		cameBack := map[string]bool{}
		for _, o := range in {
			switch {
			case o.Deleted && !ordered[o.CustomerID]:
				t.Fatalf("seed %d: %s is deleted before it ordered", seed, o.CustomerID)
			case o.Deleted && deleted[o.CustomerID]:
				t.Fatalf("seed %d: %s is deleted twice", seed, o.CustomerID)
			case o.Deleted:
				deleted[o.CustomerID] = true
			case deleted[o.CustomerID]:
				cameBack[o.CustomerID] = true
			}
			ordered[o.CustomerID] = true
		}
		if len(deleted) != 5 || len(cameBack) != 2 {
			t.Fatalf("seed %d: %d customers deleted, %d came back; want 5 and 2", seed, len(deleted), len(cameBack))
		}
	}
}

// A deletion reads as the customer and the flag, nothing else.
func TestADeletionIsOneShortLine(t *testing.T) {
	in := Orders(1, OrdersSpec{Count: 30, Customers: 5, Deletes: 1})
	for _, l := range Lines(in) {
		if !strings.Contains(l, `"deleted"`) {
			continue
		}
		if !strings.HasPrefix(l, `{"customer_id":"c-`) || !strings.HasSuffix(l, `","deleted":true}`) {
			t.Fatalf("a deletion reads %s", l)
		}
		return
	}
	t.Fatal("no deletion in the input")
}

func TestCheckDeletes(t *testing.T) {
	for _, tc := range []struct {
		spec OrdersSpec
		ok   bool
	}{
		{OrdersSpec{Customers: 20, Deletes: 4}, true},
		{OrdersSpec{Customers: 20}, true},
		{OrdersSpec{Deletes: 10}, true}, // ten customers by default
		{OrdersSpec{Deletes: 11}, false},
		{OrdersSpec{Customers: 3, Deletes: -1}, false},
	} {
		if err := tc.spec.CheckDeletes(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v", tc.spec, err)
		}
	}
}
