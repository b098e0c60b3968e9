package trace

import (
	"fmt"
	"math"
)

// Optimal returns the number of hits Bélády's optimal policy scores on keys
// with a cache of capacity entries: on a miss with a full cache it drops,
// among the cached keys and the missed key itself, the one whose next use is
// farthest away (never used again counts as farthest), so the missed key is
// not admitted when it is that one. No policy that sees the trace one access
// at a time can score more.
//
// L. A. Bélády, "A study of replacement algorithms for a virtual-storage
// computer", IBM Systems Journal 5(2), 1966.
//
// Cost: O(n log n) time for n accesses, with next-use positions computed in
// one backward pass and a max-heap of next uses whose outdated entries are
// skipped when they surface; about 20 bytes of memory per access.
//
// A capacity of 0 scores no hit; Optimal panics if capacity is negative or
// if keys holds more than [MaxOptimalAccesses] accesses.
func Optimal(keys []uint64, capacity int) int {
	if capacity < 0 {
		panic(fmt.Sprintf("trace: Optimal: capacity %d is negative", capacity))
	}
	checkOptimalLen(len(keys))
	if capacity == 0 || len(keys) == 0 {
		return 0
	}
	ids, distinct := dense(keys)
	n := int32(len(keys))

	// next[i] is the position of the next access to keys[i], n if none.
	next := make([]int32, len(keys))
	last := make([]int32, distinct)
	for i := range last {
		last[i] = n
	}
	for i := n - 1; i >= 0; i-- {
		next[i] = last[ids[i]]
		last[ids[i]] = i
	}

	// due[id] is the next use of a cached key, -1 for keys not cached.
	due := last // reuse: every entry is overwritten below
	for i := range due {
		due[i] = -1
	}
	h := useHeap{}
	size, hits := 0, 0
	for i, id := range ids {
		if due[id] >= 0 {
			hits++
			due[id] = next[i]
			h.push(use{next[i], id})
			continue
		}
		if size == capacity {
			// Drop outdated heap entries: a key's entry is current only
			// while its due position matches.
			for due[h.top().id] != h.top().at {
				h.pop()
			}
			if next[i] >= h.top().at {
				continue // the missed key is the one used farthest away
			}
			due[h.pop().id] = -1
			size--
		}
		due[id] = next[i]
		h.push(use{next[i], id})
		size++
	}
	return hits
}

// MaxOptimalAccesses is the longest trace [Optimal] takes: it stores
// positions and key numbers in 32 bits to halve its memory, and uses the
// trace's length as the position of "never again".
const MaxOptimalAccesses = math.MaxInt32

// checkOptimalLen panics if a trace of n accesses is too long for Optimal.
func checkOptimalLen(n int) {
	if uint64(n) > MaxOptimalAccesses {
		panic(fmt.Sprintf("trace: Optimal: %d accesses, more than MaxOptimalAccesses (%d)", n, MaxOptimalAccesses))
	}
}

// dense renames keys 0 .. distinct-1 in order of first appearance.
func dense(keys []uint64) ([]int32, int) {
	ids := make([]int32, len(keys))
	m := make(map[uint64]int32)
	for i, k := range keys {
		id, ok := m[k]
		if !ok {
			id = int32(len(m))
			m[k] = id
		}
		ids[i] = id
	}
	return ids, len(m)
}

type use struct{ at, id int32 }

// useHeap is a max-heap of next uses (ties by larger id, for determinism).
type useHeap struct{ a []use }

func (h *useHeap) less(i, j int) bool {
	if h.a[i].at != h.a[j].at {
		return h.a[i].at > h.a[j].at
	}
	return h.a[i].id > h.a[j].id
}

func (h *useHeap) top() use { return h.a[0] }

func (h *useHeap) push(u use) {
	h.a = append(h.a, u)
	for i := len(h.a) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.a[i], h.a[p] = h.a[p], h.a[i]
		i = p
	}
}

func (h *useHeap) pop() use {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	for i := 0; ; {
		c := 2*i + 1
		if c >= last {
			break
		}
		if c+1 < last && h.less(c+1, c) {
			c++
		}
		if !h.less(c, i) {
			break
		}
		h.a[i], h.a[c] = h.a[c], h.a[i]
		i = c
	}
	return top
}
