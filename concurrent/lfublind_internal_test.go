package concurrent

import "testing"

// TestLFUBlindVictimLosesToAReturningCandidateOneAhead pins the LFU doc on
// an entry a blind tie admitted: once the cache has hit, until the entry is
// hit, it loses its place only to a candidate estimated at least two
// requests ahead of it, or to a returning candidate (one missed again soon
// after losing a contest), which takes its place one request ahead. (The
// doc said "only to a candidate estimated at least two requests ahead",
// which the returning candidate's bonus, applied after the blind keep,
// contradicted; so did the blind ties before the first hit.)
func TestLFUBlindVictimLosesToAReturningCandidateOneAhead(t *testing.T) {
	h := newWTHarness(4, 1)
	p := h.p
	var evicted []uint64
	add := func(k uint64) {
		p.add(h.newNode(k))
		for p.len() > p.max {
			v := p.evict()
			delete(h.nodes, v.key)
			evicted = append(evicted, v.key)
		}
	}
	hit := func(k uint64) { p.access(h.nodes[k]) }
	for k := uint64(1); k <= 5; k++ {
		add(k) // 5's arrival: 4 leaves the window and wins a blind tie over 1
	}
	hit(5) // the cache's first hit
	hit(2) // 2 and 3 move to protected: the blind 4 is probation's front
	hit(3)
	add(6) // candidate 5 (estimate 2) loses to the blind 4
	add(7) // candidate 6 (estimate 1) loses to 4
	delete(h.nodes, 6)
	add(6) // 6 is missed again: returning, estimate 2; candidate 7 loses to 4
	blind, four, six := h.nodes[4], 0, 0
	if blind == nil || !blind.isBlind() || p.probation.front() != blind || p.lruMode {
		t.Fatalf("setup: key 4 held %v, blind, probation's front, not LRU mode (lru %v); evicted %v",
			blind != nil, p.lruMode, evicted)
	}
	four, six = p.frequency(blind), p.frequency(h.nodes[6])
	if w := p.window.front(); w == nil || w.key != 6 || !w.isReturning() || six != four+1 {
		t.Fatalf("setup: window front should be the returning 6, estimated one ahead of 4 (6: %d, 4: %d)", six, four)
	}
	add(8) // candidate 6 contests the blind 4
	if h.nodes[4] != nil || h.nodes[6] == nil || p.probation.back() != h.nodes[6] {
		t.Errorf("the returning key 6 (estimate %d) did not replace the blind key 4 (estimate %d); evicted %v", six, four, evicted)
	}
}
