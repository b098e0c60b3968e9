package concurrent

// hashLRU is the duel's shadow LRU: an exact LRU of key hashes that holds no
// pointers. Its entries live in one slice, linked by their numbers in it;
// an index of its own finds an entry's number by hash. A request that hits
// moves the entry to the back of the list, a miss takes a new entry or, once
// max are in use, the least recent one's. Nothing it writes is a pointer, so
// a request makes no GC write barrier and the GC has nothing of it to
// scan, which matters because a cache's own writes allocate nodes and keep
// the GC running.
//
// It replaced a shadow of the engine's LRU policy over nodes (lruShadow, in
// the tests). A CPU profile of bench/'s BenchmarkSmall, LFU at 100 entries
// over 150 keys (one request in ten misses), had put 24% of the time in
// that shadow and 14% in GC write barriers. Measured at the change:
//   - BenchmarkSmall, LFU, -cpu 1, 8 alternating runs of test binaries of
//     aaff011 and of the change (benchstat): 106.6 -> 96.2 ns a request
//     over 150 keys (-9.7%, p=0.000); over 100 keys (every request hits)
//     56.4 -> 56.1 ns (p=0.798).
//   - BenchmarkShadowRequest, where no GC runs, so the nodes' pointer writes
//     cost nothing extra: 6.22 ns against the nodes' 3.96 when every
//     request hits (a hit here moves the entry; the policy's lazy mode
//     writes only a stamp), 23.00 against 28.99 and 23.84 against 30.19
//     with one miss in three, at 100 and 1,000 entries.
//   - Memory: an LFU cache of 1,000 entries took 216.0 bytes per entry
//     instead of 248.5 (bench/results/memory.md).
//   - Hit ratios: the same LRU, so the same figures: every column of
//     TestSimAblations on every row (CLIENTCACHE_ABLATIONS=all).
type hashLRU struct {
	// ents[0] is the list's head: ents[0].next is the least recent entry,
	// ents[0].prev the most recent; entries 1 to len(ents)-1 are in use.
	ents []hashEnt
	// slots is the index: the entry numbers by hash, 0 where a slot is
	// empty (see hashLRU.find).
	slots []int32
	max   int
}

type hashEnt struct {
	h          uint64
	prev, next int32
}

// newHashLRU returns an empty LRU of at most max hashes (max is at most
// wtDuelSize: entry numbers are int32).
func newHashLRU(max int) hashLRU {
	return hashLRU{ents: make([]hashEnt, 1, max+1), slots: make([]int32, 2*(max+1)), max: max}
}

// len returns the number of hashes held.
func (l *hashLRU) len() int { return len(l.ents) - 1 }

// request reports whether h is held, and makes it the most recent; if it is
// not, it inserts it, evicting the least recent hash when max are held.
//
// A hit moves its entry with the slice loaded once (unlink and pushBack
// written out): through l, the compiler reloaded l.ents at every write, as
// any write might have changed it. BenchmarkShadowRequest, every request a
// hit, 5.94 -> 4.93 ns (6 alternating runs of test binaries, benchstat,
// p=0.002; measured while a shadowIndex was still the index).
func (l *hashLRU) request(h uint64) bool {
	s := l.find(h)
	if i := l.slots[s]; i != 0 {
		ents := l.ents
		if last := ents[0].prev; last != i {
			e := &ents[i]
			ents[e.prev].next = e.next
			ents[e.next].prev = e.prev
			e.prev, e.next = last, 0
			ents[last].next = i
			ents[0].prev = i
		}
		return true
	}
	if l.max <= 0 {
		return false
	}
	var i int32
	if len(l.ents) <= l.max {
		i = int32(len(l.ents))
		l.ents = append(l.ents, hashEnt{})
	} else {
		i = l.ents[0].next
		l.unlink(i)
		l.vacate(l.find(l.ents[i].h))
		// The shift-back may have filled h's empty slot, or emptied one
		// earlier in h's run: look again.
		s = l.find(h)
	}
	l.ents[i].h = h
	l.pushBack(i)
	l.slots[s] = i
	return false
}

// The index is open addressing with linear probing over a table of
// 2 x (max+1) slots, so at most half full: a lookup that misses probes about
// 2.5 slots on average. A slot holds only an entry number (4 bytes), and a
// probe compares that entry's hash. It replaced a shadowIndex (16-byte slots
// holding the hash, at most three-quarters full, where a lookup that misses
// probes about 8.5) when a CPU profile of bench/'s BenchmarkSmall (LFU, 100
// entries, 150 keys) put a fifth of the time in the shadow LRU, most of it
// in its misses and in the removals that make room, which shift as long a
// run back. Measured at the change (6 or more alternating runs of test
// binaries before and after, benchstat):
//   - BenchmarkShadowRequest with one miss in three: 23.07 -> 14.46 ns a
//     request at 100 entries, 23.91 -> 15.18 at 1,000 (p=0.002); every
//     request a hit, 6.14 -> 4.82 (with the hit path's change above).
//   - bench/'s BenchmarkSmall, LFU: over 100 keys 51.75 -> 47.96 ns
//     (p=0.000), over 150 keys 84.59 -> 82.22 (12 runs, p=0.101: within
//     noise).
//   - Memory: an LFU cache of 1,000 entries takes 202.7 bytes per entry
//     instead of 216.0 (8 bytes of index per entry instead of about 21).
// A shadowIndex at most half full measured alike (13.72 and 14.47 ns with
// misses) but took 227.0 bytes per entry.

// find returns the slot of h's entry number, or the empty slot where it
// belongs (h is already mixed: see probeHome).
func (l *hashLRU) find(h uint64) int {
	slots, ents := l.slots, l.ents
	for s := probeHome(h, len(slots)); ; s = probeNext(s, len(slots)) {
		if i := slots[s]; i == 0 || ents[i].h == h {
			return s
		}
	}
}

// vacate empties slot s, shifting back each later entry of its run whose
// home is not between the hole and its slot (cyclically), so that every
// entry stays reachable from its home without crossing an empty slot.
func (l *hashLRU) vacate(s int) {
	slots, n := l.slots, len(l.slots)
	for j := probeNext(s, n); slots[j] != 0; j = probeNext(j, n) {
		if probeDistance(probeHome(l.ents[slots[j]].h, n), j, n) >= probeDistance(s, j, n) {
			slots[s] = slots[j]
			s = j
		}
	}
	slots[s] = 0
}

func (l *hashLRU) unlink(i int32) {
	e := &l.ents[i]
	l.ents[e.prev].next = e.next
	l.ents[e.next].prev = e.prev
}

func (l *hashLRU) pushBack(i int32) {
	last := l.ents[0].prev
	l.ents[i].prev, l.ents[i].next = last, 0
	l.ents[last].next = i
	l.ents[0].prev = i
}

// clone returns an independent copy of l.
func (l *hashLRU) clone() hashLRU {
	c := *l
	c.ents = append(make([]hashEnt, 0, cap(l.ents)), l.ents...)
	c.slots = append([]int32(nil), l.slots...)
	return c
}
