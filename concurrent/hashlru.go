package concurrent

// hashLRU is the duel's shadow LRU: an exact LRU of key hashes that holds no
// pointers. Its entries live in one slice, linked by their numbers in it;
// a shadowIndex finds an entry's number by hash. A request that hits moves
// the entry to the back of the list, a miss takes a new entry or, once
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
//   - Memory: an LFU cache of 1,000 entries takes 216.0 bytes per entry
//     instead of 248.5 (bench/results/memory.md).
//   - Hit ratios: the same LRU, so the same figures: every column of
//     TestSimAblations on every row (CLIENTCACHE_ABLATIONS=all).
type hashLRU struct {
	// ents[0] is the list's head: ents[0].next is the least recent entry,
	// ents[0].prev the most recent; entries 1 to len(ents)-1 are in use.
	ents []hashEnt
	m    shadowIndex[int32] // entry numbers by hash
	max  int
}

type hashEnt struct {
	h          uint64
	prev, next int32
}

// newHashLRU returns an empty LRU of at most max hashes (max is at most
// wtDuelSize: entry numbers are int32).
func newHashLRU(max int) hashLRU {
	return hashLRU{ents: make([]hashEnt, 1, max+1), m: newShadowIndex[int32](max + 1), max: max}
}

// len returns the number of hashes held.
func (l *hashLRU) len() int { return len(l.ents) - 1 }

// request reports whether h is held, and makes it the most recent; if it is
// not, it inserts it, evicting the least recent hash when max are held.
func (l *hashLRU) request(h uint64) bool {
	if i := l.m.get(h); i != 0 {
		if l.ents[0].prev != i {
			l.unlink(i)
			l.pushBack(i)
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
		l.m.delete(l.ents[i].h)
	}
	l.ents[i].h = h
	l.pushBack(i)
	l.m.set(h, i)
	return false
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
	c.m = l.m.clone()
	return c
}
