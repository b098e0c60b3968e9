package concurrent

import "math/bits"

// shadowIndex finds a duel shadow's entries by key hash: the shadow
// W-TinyLFU's nodes (see shadow), and until hashLRU got an index of its
// own, the shadow LRU's entry numbers; the zero value of T marks an empty
// slot. With a Go map keyed by the hash, the lookups (hashing a key that is
// already a hash, then probing) took 19% of the CPU profile of an LFU cache
// of 100 entries hit from one goroutine; BenchmarkShadowRequest at 8e8c3b7
// gave the difference (a shadow LRU of nodes: 9.68 against 25.43 ns a
// request when all hit, 63.27 against 78.21 at 1,000 entries with one miss
// in three).
// This is open addressing with linear probing over a table at most
// three-quarters full, the home slot the high word of the hash times the
// table's length (the hash is already mixed: any length will do, so the table
// is no larger than the load needs; an LFU cache of 1,000 entries took 248.5
// bytes per entry with it, 263.4 with the map: bench/results/memory.md). A
// removal shifts the rest of its run back instead of leaving a tombstone, so
// probes stay short however many keys come and go. Like a map, it grows
// rather than fill up: a shadow copied from a policy may hold more keys than
// the cache's maximum (the entries of writers still in flight).
type shadowIndex[T comparable] struct {
	slots []shadowSlot[T] // empty where v is T's zero value
	len   int
}

type shadowSlot[T comparable] struct {
	h uint64
	v T
}

// newShadowIndex returns an empty index for up to capacity keys.
func newShadowIndex[T comparable](capacity int) shadowIndex[T] {
	return shadowIndex[T]{slots: make([]shadowSlot[T], max(8, (capacity*4+2)/3))}
}

func (x *shadowIndex[T]) home(h uint64) int     { return probeHome(h, len(x.slots)) }
func (x *shadowIndex[T]) next(i int) int        { return probeNext(i, len(x.slots)) }
func (x *shadowIndex[T]) distance(a, b int) int { return probeDistance(a, b, len(x.slots)) }

// The linear probing of the duel's indexes (shadowIndex, and hashLRU's own),
// over a table of n slots.

// probeHome is the home slot of the mixed hash h: its high word times n.
func probeHome(h uint64, n int) int {
	hi, _ := bits.Mul64(h, uint64(n))
	return int(hi)
}

// probeNext is the slot after i, wrapping around the table's end.
func probeNext(i, n int) int {
	if i++; i == n {
		return 0
	}
	return i
}

// probeDistance is how many slots on from slot a slot b is, wrapping around.
func probeDistance(a, b, n int) int {
	if b < a {
		return b + n - a
	}
	return b - a
}

// get returns the value of hash h, T's zero value if there is none.
func (x *shadowIndex[T]) get(h uint64) T {
	var zero T
	for i := x.home(h); ; i = x.next(i) {
		s := &x.slots[i]
		if s.v == zero || s.h == h {
			return s.v
		}
	}
}

// set maps hash h to v, which is not T's zero value (replacing the value it
// had, if any).
func (x *shadowIndex[T]) set(h uint64, v T) {
	var zero T
	if (x.len+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	i := x.home(h)
	for x.slots[i].v != zero && x.slots[i].h != h {
		i = x.next(i)
	}
	if x.slots[i].v == zero {
		x.len++
	}
	x.slots[i] = shadowSlot[T]{h, v}
}

// grow doubles the table.
func (x *shadowIndex[T]) grow() {
	var zero T
	old := x.slots
	*x = shadowIndex[T]{slots: make([]shadowSlot[T], 2*len(old))}
	for _, s := range old {
		if s.v != zero {
			x.set(s.h, s.v)
		}
	}
}

// delete removes hash h, if the index holds it.
func (x *shadowIndex[T]) delete(h uint64) {
	var zero T
	i := x.home(h)
	for x.slots[i].h != h || x.slots[i].v == zero {
		if x.slots[i].v == zero {
			return
		}
		i = x.next(i)
	}
	// Shift back each later entry of the run whose home is not between the
	// hole and its slot (cyclically), so that every entry stays reachable
	// from its home without crossing an empty slot.
	for j := x.next(i); x.slots[j].v != zero; j = x.next(j) {
		if x.distance(x.home(x.slots[j].h), j) >= x.distance(i, j) {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = shadowSlot[T]{}
	x.len--
}
