package concurrent

import (
	"slices"
	"testing"
)

// A writer frozen between claiming a write-buffer slot and publishing its
// task blocks the drain of every task queued behind it. Overflowing writers
// whose own task was stuck there used to find the policy empty, return
// without evicting, and leave their entries counted but unevictable: with 8
// writers at MaxSize 1 the race test saw Len() reach 13.
func TestRegressionOverflowingWriterBehindUnpublishedSlot(t *testing.T) {
	c, err := New(Options[int, int]{MaxSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// Freeze a writer mid-offer: claim the next slot, publish nothing.
	pos := c.wb.tail.Load()
	if !c.wb.tail.CompareAndSwap(pos, pos+1) {
		t.Fatal("could not claim a slot")
	}
	for i := range 10 {
		if err := c.Set(i, i); err != nil {
			t.Fatal(err)
		}
		if c.Len() > c.MaxSize() {
			t.Fatalf("after Set(%d): Len %d > MaxSize %d while a writer is frozen", i, c.Len(), c.MaxSize())
		}
	}

	// Let the frozen writer publish (a removal of a node that was never
	// linked) and check that everything settles exactly.
	slot := &c.wb.slots[pos&c.wb.mask]
	gone := &node[int, int]{key: -1}
	gone.retired.Store(true)
	slot.task = writeTask[int, int]{n: gone, op: opRemove}
	slot.seq.Store(pos + 1)
	c.Sync()
	if keys := slices.Collect(c.Keys()); c.Len() != 1 || len(keys) != 1 || !c.Contains(keys[0]) {
		t.Fatalf("after the writer published: Len %d, Keys %v", c.Len(), keys)
	}
}
