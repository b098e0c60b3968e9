package concurrent

import (
	"testing"

	"github.com/puzpuzpuz/xsync/v4"
)

// Sync enforces the bound before it returns, also against an insertion
// whose writer has updated the map but not yet reached its own eviction
// (paused in offer): Sync evicts the coldest linked entry so that Len() is
// back to MaxSize() when it returns.
func TestSyncEvictsDownToTheBoundPastAnInsertionInFlight(t *testing.T) {
	var got []Cause
	c, err := New(Options[int, int]{MaxSize: 3, OnEvict: func(_, _ int, cause Cause) { got = append(got, cause) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		_ = c.Set(i, i)
	}
	c.Sync()
	// Set(3, 3) paused in offer, after its map update.
	n := c.newNode(3)
	c.m.Compute(3, func(entry[int, int], bool) (entry[int, int], xsync.ComputeOp) {
		c.size.Add(1)
		return entry[int, int]{value: 3, n: n}, xsync.UpdateOp
	})
	publish := pauseWriter(t, c)
	c.Sync()
	if c.Len() != 3 || len(got) != 1 || got[0] != Size {
		t.Fatalf("after Sync: Len %d, listener causes %v; want Len 3 and one Size eviction", c.Len(), got)
	}
	if c.Contains(0) {
		t.Fatal("Sync kept 0, the least recently used entry")
	}
	publish(writeTask[int, int]{n: n, op: opAdd})
	c.Sync()
	if c.Len() != 3 || !c.Contains(3) {
		t.Fatalf("after the writer published: Len %d, Contains(3) %v", c.Len(), c.Contains(3))
	}
}
