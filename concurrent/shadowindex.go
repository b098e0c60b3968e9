package concurrent

import "math/bits"

// shadowIndex finds a duel shadow's nodes by key hash (see shadow). With a Go
// map keyed by the hash, the lookups (hashing a key that is already a hash,
// then probing) took 19% of the CPU profile of an LFU cache of 100 entries
// hit from one goroutine; BenchmarkShadowRequest gives the difference. This
// is open addressing with linear probing over a table at most
// three-quarters full, the home slot the high word of the hash times the
// table's length (the hash is already mixed: any length will do, so the table
// is no larger than the load needs; an LFU cache of 1,000 entries takes 248.5
// bytes per entry with it, 263.4 with the map: bench/results/memory.md). A
// removal shifts the rest of its run back instead of leaving a tombstone, so
// probes stay short however many keys come and go. Like a map, it grows
// rather than fill up: a shadow copied from a policy may hold more keys than
// the cache's maximum (the entries of writers still in flight).
type shadowIndex struct {
	slots []shadowSlot // empty where n is nil
	len   int
}

type shadowSlot struct {
	h uint64
	n *node[uint64, struct{}]
}

// newShadowIndex returns an empty index for up to capacity keys.
func newShadowIndex(capacity int) shadowIndex {
	return shadowIndex{slots: make([]shadowSlot, max(8, (capacity*4+2)/3))}
}

func (x *shadowIndex) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(x.slots)))
	return int(hi)
}

// next is the slot after i, wrapping around the table's end.
func (x *shadowIndex) next(i int) int {
	if i++; i == len(x.slots) {
		return 0
	}
	return i
}

// get returns the node of hash h, nil if there is none.
func (x *shadowIndex) get(h uint64) *node[uint64, struct{}] {
	for i := x.home(h); ; i = x.next(i) {
		s := &x.slots[i]
		if s.n == nil || s.h == h {
			return s.n
		}
	}
}

// set maps hash h to n (replacing the node it had, if any).
func (x *shadowIndex) set(h uint64, n *node[uint64, struct{}]) {
	if (x.len+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	i := x.home(h)
	for x.slots[i].n != nil && x.slots[i].h != h {
		i = x.next(i)
	}
	if x.slots[i].n == nil {
		x.len++
	}
	x.slots[i] = shadowSlot{h, n}
}

// grow doubles the table.
func (x *shadowIndex) grow() {
	old := x.slots
	*x = shadowIndex{slots: make([]shadowSlot, 2*len(old))}
	for _, s := range old {
		if s.n != nil {
			x.set(s.h, s.n)
		}
	}
}

// delete removes hash h, if the index holds it.
func (x *shadowIndex) delete(h uint64) {
	i := x.home(h)
	for x.slots[i].h != h || x.slots[i].n == nil {
		if x.slots[i].n == nil {
			return
		}
		i = x.next(i)
	}
	// Shift back each later entry of the run whose home is not between the
	// hole and its slot (cyclically), so that every entry stays reachable
	// from its home without crossing an empty slot.
	for j := x.next(i); x.slots[j].n != nil; j = x.next(j) {
		if x.distance(x.home(x.slots[j].h), j) >= x.distance(i, j) {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = shadowSlot{}
	x.len--
}

// distance is how many slots on from slot a slot b is, wrapping around.
func (x *shadowIndex) distance(a, b int) int {
	if b < a {
		return b + len(x.slots) - a
	}
	return b - a
}
