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
	if len(s.h.index) != 2 || s.h.items[s.h.index[3]].key != 3 {
		t.Fatalf("index %v out of step with the heap %v", s.h.index, s.h.items)
	}
}

// A clone of the ablations' state shares nothing with the original: what
// the original records afterwards leaves the clone as it was.
func TestWTLabCloneIsDeep(t *testing.T) {
	p := newWTinyLFUAblated[uint64, struct{}](100, 1, wtAblation{staleTie: 1, indicatorSample: 1000})
	for h := range uint64(50) {
		p.labRecord(h % 7)
	}
	c := p.lab.clone()
	clock, seen, n, top := c.stale.clock, len(c.stale.last), c.ind.n, len(c.ind.top.h.items)
	f := c.ind.sketch.Frequency(3)
	for h := range uint64(50) {
		if h%2 == 0 {
			p.labRecord(3) // a key the clone's sketch counted
		} else {
			p.labRecord(100 + h) // keys it has not seen
		}
	}
	if c.stale.clock != clock || len(c.stale.last) != seen {
		t.Errorf("clone's staleness clock %d with %d keys, want %d with %d", c.stale.clock, len(c.stale.last), clock, seen)
	}
	if c.ind.n != n || len(c.ind.top.h.items) != top || len(c.ind.top.h.index) != top {
		t.Errorf("clone's indicator sample %d with %d counters (%d indexed), want %d with %d", c.ind.n, len(c.ind.top.h.items), len(c.ind.top.h.index), n, top)
	}
	if got := c.ind.sketch.Frequency(3); got != f {
		t.Errorf("clone's sketch estimates %d for a key, want %d", got, f)
	}
	if p.lab.stale.clock != 100 || p.lab.ind.n != 100 {
		t.Errorf("original recorded %d and %d requests, want 100", p.lab.stale.clock, p.lab.ind.n)
	}
}
