package concurrent

import (
	"math"
	"testing"
)

// The indicator ablation's skew estimate: exact counts while the summary has
// room, so a stream whose key of rank r appears 7,000/r times has a skew of
// about 1, and a uniform one a skew of 0.
func TestSpaceSavingSkew(t *testing.T) {
	zipf := newSpaceSaving(100)
	uniform := newSpaceSaving(100)
	for r := 1; r <= 70; r++ {
		for range 7000 / r {
			zipf.offer(uint64(r))
		}
		for range 50 {
			uniform.offer(uint64(r))
		}
	}
	if s := zipf.skew(70); math.Abs(s-1) > 0.01 {
		t.Errorf("skew of counts 7000/rank = %.4f, want 1 within 0.01", s)
	}
	if s := uniform.skew(70); math.Abs(s) > 1e-9 {
		t.Errorf("skew of equal counts = %.4f, want 0", s)
	}
}

// A full summary gives a new key the smallest counter plus one, so it never
// undercounts a key it holds, and it holds at most its capacity.
func TestSpaceSavingEvictsTheSmallest(t *testing.T) {
	s := newSpaceSaving(2)
	for _, k := range []uint64{1, 1, 1, 2, 3} { // 3 takes 2's counter (1), becoming 2
		s.offer(k)
	}
	got := map[uint64]int{}
	for _, it := range s.h.items {
		got[it.key] = it.count
	}
	if len(got) != 2 || got[1] != 3 || got[3] != 2 {
		t.Fatalf("counters %v, want map[1:3 3:2]", got)
	}
	if len(s.index) != 2 || s.h.items[s.index[3]].key != 3 {
		t.Fatalf("index %v out of step with the heap %v", s.index, s.h.items)
	}
}
