package concurrent

import (
	"math"
	"slices"
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

// An ablation that applies only above wtDuelSize entries changes nothing
// below: its lab state, if it has some (a staleness map, a step scale, idle watches) must
// not turn on another ablation's rule, as the idle ablations' map once
// turned on staleTie's. Replayed on a skewed stream with a scan in it, a
// cache of 500 entries hits the same requests and holds the same keys in
// the same order as the policy as shipped.
func TestWTLabInertBelowItsSize(t *testing.T) {
	keys := zipfKeys(30_000, 7)
	for i := 10_000; i < 12_000; i++ {
		keys[i] = 1_000_000 + uint64(i) // a scan of keys seen once
	}
	const size = 500
	wantHits, wantOrder, _ := replayWT(keys, size, 1)
	for _, v := range []struct {
		name string
		off  wtAblation
	}{
		{"idlebig2", wtAblation{idleHalf: 2, idleBigOnly: true}},
		{"lidlebig2", wtAblation{idleHalf: 2, idleBigOnly: true, learnIdle: true}},
		{"sa8m1", wtAblation{stepAdapt: 8, stepMin: 1}},
		{"gunit1", wtAblation{growthUnit: 1}},
		{"bigcand2", wtAblation{bigCandidateDivisor: 2}},
		{"rate5", wtAblation{rateLimit: 5}},
		{"bigscap4", wtAblation{shrinkCap: 4, shrinkCapBig: true}},
		{"biggsq8", wtAblation{growthSquare: 8, growthSquareBig: true}},
	} {
		p := newWTinyLFUAblated[uint64, struct{}](size, 1, v.off)
		if p.lab == nil && (v.off.idleHalf > 0 || v.off.stepAdapt > 0 || v.off.rateLimit > 0) {
			t.Fatalf("%s: no lab state; the test would not test it", v.name)
		}
		hits := replayPolicy(p, keys, size)
		if order := keysOf(p.ascend); hits != wantHits || !slices.Equal(order, wantOrder) {
			t.Errorf("%s at %d entries: %d hits (as shipped %d), same keys in the same order: %v", v.name, size, hits, wantHits, slices.Equal(order, wantOrder))
		}
	}
}

// The learnIdle ablation's watches are copied with the lab, not shared.
func TestWTLabCloneCopiesIdleWatches(t *testing.T) {
	p := newWTinyLFUAblated[uint64, struct{}](2000, 1, wtAblation{idleHalf: 1, learnIdle: true})
	p.lab.idleWatch[1] = wtIdleWatch{clock: 1, cand: true}
	c := p.lab.clone()
	p.lab.idleWatch[2] = wtIdleWatch{clock: 2}
	delete(p.lab.idleWatch, 1)
	if len(c.idleWatch) != 1 || !c.idleWatch[1].cand {
		t.Errorf("clone's idle watches %v, want only key 1 as a candidate", c.idleWatch)
	}
}
