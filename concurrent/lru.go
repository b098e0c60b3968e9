package concurrent

import (
	"cmp"
	"slices"
)

// The queues of the LRU policy (node.queue).
const (
	lruQueue = 1 // placed in stamp order
	lruHeap  = 2 // placed again, out of that order
)

// lru is exact least-recently-used eviction with lazy promotion. Every
// insertion and every hit takes the next stamp of the policy's clock, and the
// victim is the linked node with the oldest stamp: the order is exactly a
// textbook LRU list's. A hit only restamps its node and marks it dirty, one
// write to the node where a linked list would also write both neighbours (on
// a large cache, three cache misses instead of one); the node is moved once,
// when it reaches the front, however many hits it had meanwhile.
//
// Each linked node was placed with a stamp (its key) no newer than its
// current stamp, which it still has unless it is dirty. q holds nodes in
// ascending order of their keys; a dirty node that reaches q's front is
// placed again, at q's back when its stamp is newer than every key in q (as
// for a cache that mostly hits: nothing was inserted since), otherwise in h,
// a binary min-heap of keys. Then the front of q and the top of h, once
// neither is dirty, are the oldest of their structures, and the older of the
// two is the victim.
//
// A node's stamp is kept in its hash field, which LRU has no other use for
// (see node.stamp).
//
// Eager mode. Laziness pays while evictions are rare. Once they are frequent,
// nearly every hit node reaches the front after a newer insertion and goes
// through h: a heap operation per hit, where a list move costs less in a
// cache that fits the processor's caches. So the policy counts evictions over
// windows of lruWindow stamps (insertions and hits), deciding when an
// eviction, or in eager mode a hit, ends one: above lruEagerEvictions per
// window, and while it holds at most lruEagerMaxLen nodes, it sorts every
// node into q by stamp (h empties) and from then on moves a hit node to q's
// back at once; at or below lruLazyEvictions per window it goes back to
// restamping (q is already in order). A lazy hit counts nothing: the clock
// measures the window. The order is exact in both modes. BenchmarkLRUModes,
// ns per request, lazy / eager / as shipped, at 100, 1,000 and 10,000
// entries (medians of 6 runs): with no misses 8.1 / 18.7 / 6.4, 9.5 / 22.0 /
// 8.9 and 10.8 / 25.9 / 12.9; with one miss in ten 55.2 / 37.3 / 37.5, 72.6
// / 36.4 / 42.3 and 87.3 / 41.0 / 42.1. The lead changes hands between 0.1%
// and 1% of misses (at 1,000 entries the eager mode already leads at 0.1%:
// 28.6 against 22.1).
type lru[K comparable, V any] struct {
	q      list[K, V]
	h      []lruItem[K, V]
	dead   int    // items of h whose node was removed; skipped when they surface
	now    uint64 // the clock: the last stamp given
	placed uint64 // the newest key in q

	eager     bool   // hits move their node to q's back; no node is dirty, h is empty
	window    uint64 // stamps per decision (lruWindow; smaller in tests)
	since     uint64 // the clock when the current window began
	evictions uint64 // in the current window
}

// The eager mode's thresholds (see lru).
const (
	lruWindow         = 1024
	lruEagerEvictions = 4 // more than 4 per 1,024 stamps (0.4%)
	lruLazyEvictions  = 1 // at most 1 per 1,024 (0.1%)
	lruEagerMaxLen    = 1 << 14
)

// lruItem is a heap entry: a node and the stamp it was placed with. Sifting
// moves items, never touching their nodes.
type lruItem[K comparable, V any] struct {
	key uint64
	n   *node[K, V]
}

func newLRU[K comparable, V any]() *lru[K, V] {
	return &lru[K, V]{q: newList[K, V](lruQueue), window: lruWindow}
}

// add places n, a new node, as the most recently used.
func (p *lru[K, V]) add(n *node[K, V]) {
	p.now++
	n.setStamp(p.now)
	n.flags &^= nodeDirty
	p.placed = p.now
	p.q.pushBack(n)
}

// access records a hit on n: restamp in lazy mode, moveHit in eager mode.
// The hot caller, the engine's drain, makes that choice itself, so that
// restamp inlines into it (as did the duel's shadow LRU, before hashLRU
// replaced the policy there).
func (p *lru[K, V]) access(n *node[K, V]) {
	if p.eager {
		p.moveHit(n)
	} else {
		p.restamp(n)
	}
}

// restamp records a hit in lazy mode: n takes the next stamp and is dirty.
func (p *lru[K, V]) restamp(n *node[K, V]) {
	p.now++
	n.setStamp(p.now)
	n.flags |= nodeDirty
}

// moveHit records a hit in eager mode: n takes the next stamp and moves to
// q's back; the mode is decided if the hit ends a window.
func (p *lru[K, V]) moveHit(n *node[K, V]) {
	p.now++
	n.setStamp(p.now)
	p.placed = p.now
	p.q.moveToBack(n)
	if p.now-p.since >= p.window {
		p.decide()
	}
}

// evicted counts an eviction, and decides the mode if it ends a window.
func (p *lru[K, V]) evicted() {
	p.evictions++
	if p.now-p.since >= p.window {
		p.decide()
	}
}

// decide chooses the mode from the evictions of the window that ends, and
// starts the next.
func (p *lru[K, V]) decide() {
	// Per lruWindow stamps (the window may have run longer: decisions
	// wait for an eviction, or in eager mode a hit).
	rate := p.evictions * lruWindow / max(p.now-p.since, 1)
	p.since, p.evictions = p.now, 0
	switch {
	case !p.eager && rate > lruEagerEvictions && p.len() <= lruEagerMaxLen:
		p.toEager()
	case p.eager && (rate <= lruLazyEvictions || p.len() > lruEagerMaxLen):
		p.eager = false
	}
}

// toEager sorts every linked node into q by stamp, h's and q's, using h's
// array as scratch (then dropped), and switches to eager mode.
func (p *lru[K, V]) toEager() {
	items := p.h[:0]
	for _, it := range p.h {
		if it.n.queue == lruHeap {
			items = append(items, lruItem[K, V]{it.n.stamp(), it.n})
		}
	}
	for n := p.q.popFront(); n != nil; n = p.q.popFront() {
		items = append(items, lruItem[K, V]{n.stamp(), n})
	}
	slices.SortFunc(items, func(a, b lruItem[K, V]) int { return cmp.Compare(a.key, b.key) })
	for _, it := range items {
		it.n.flags &^= nodeDirty
		p.q.pushBack(it.n)
	}
	if b := p.q.back(); b != nil {
		p.placed = b.stamp()
	}
	// The heap stays empty in eager mode: its array is dropped.
	p.h, p.dead, p.eager = nil, 0, true
}

// replace gives n the place of the most recently used; it was accessed.
func (p *lru[K, V]) replace(old, n *node[K, V]) {
	p.remove(old)
	p.add(n)
}

// remove unlinks n. A node in h is left there, marked unlinked, until it
// surfaces or h is compacted (a removed node is never linked again).
func (p *lru[K, V]) remove(n *node[K, V]) {
	switch n.queue {
	case lruQueue:
		p.q.remove(n)
	case lruHeap:
		n.queue = 0
		p.dead++
		if p.dead > 32 && p.dead*2 > len(p.h) {
			p.compact()
		}
	}
	n.flags &^= nodeDirty
}

func (p *lru[K, V]) evict() *node[K, V] {
	for {
		f := p.q.front()
		if f != nil && f.flags&nodeDirty != 0 {
			p.q.remove(f)
			f.flags &^= nodeDirty
			p.place(f)
			continue
		}
		t := p.top()
		if t != nil && t.flags&nodeDirty != 0 {
			t.flags &^= nodeDirty
			p.h[0].key = t.stamp()
			p.down(0)
			continue
		}
		switch {
		case t == nil && f == nil:
			return nil
		case t == nil || f != nil && f.stamp() < t.stamp():
			p.q.remove(f)
			p.evicted()
			return f
		}
		p.pop()
		t.queue = 0
		p.evicted()
		return t
	}
}

// place puts back an unlinked node whose stamp is its key.
func (p *lru[K, V]) place(n *node[K, V]) {
	if n.stamp() > p.placed {
		p.placed = n.stamp()
		p.q.pushBack(n)
		return
	}
	n.queue = lruHeap
	p.h = append(p.h, lruItem[K, V]{n.stamp(), n})
	p.up(len(p.h) - 1)
}

// top returns the node at the top of h, dropping removed ones, or nil.
func (p *lru[K, V]) top() *node[K, V] {
	for len(p.h) > 0 {
		if n := p.h[0].n; n.queue == lruHeap {
			return n
		}
		p.pop()
		p.dead--
	}
	return nil
}

func (p *lru[K, V]) pop() {
	last := len(p.h) - 1
	p.h[0] = p.h[last]
	p.h[last] = lruItem[K, V]{}
	p.h = p.h[:last]
	if last > 0 {
		p.down(0)
	}
}

func (p *lru[K, V]) up(i int) {
	h := p.h
	x := h[i]
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent].key <= x.key {
			break
		}
		h[i] = h[parent]
		i = parent
	}
	h[i] = x
}

func (p *lru[K, V]) down(i int) {
	h := p.h
	x := h[i]
	for {
		c := 2*i + 1
		if c >= len(h) {
			break
		}
		if r := c + 1; r < len(h) && h[r].key < h[c].key {
			c = r
		}
		if x.key <= h[c].key {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}

// compact drops the removed nodes' items from h and restores the heap order.
func (p *lru[K, V]) compact() {
	live := p.h[:0]
	for _, it := range p.h {
		if it.n.queue == lruHeap {
			live = append(live, it)
		}
	}
	clear(p.h[len(live):])
	p.h, p.dead = live, 0
	for i := len(p.h)/2 - 1; i >= 0; i-- {
		p.down(i)
	}
}

func (p *lru[K, V]) setMax(int) {}

func (p *lru[K, V]) len() int { return p.q.len() + len(p.h) - p.dead }

// unlinkAll is clear, which allocates nothing and drops the heap (remove
// would leave a node there, with its key, until a compaction).
func (p *lru[K, V]) unlinkAll() { p.clear() }

func (p *lru[K, V]) clear() {
	p.q.clear()
	for _, it := range p.h {
		it.n.queue = 0
		it.n.flags &^= nodeDirty
	}
	p.h, p.dead = nil, 0
}

// stamped calls visit with every linked node and its stamp, unordered: the
// nodes of q in their order, then those of the heap. Sorting the stamps
// gives the order (see sorted), which the caller may do without the lock.
func (p *lru[K, V]) stamped(visit func(stamp uint64, n *node[K, V])) {
	p.q.ascend(func(n *node[K, V]) bool {
		visit(n.stamp(), n)
		return true
	})
	for _, it := range p.h {
		if it.n.queue == lruHeap {
			visit(it.n.stamp(), it.n)
		}
	}
}

// sortStamped sorts items by stamp, least recently used first.
func sortStamped[T any](items []T, stamp func(T) uint64) {
	slices.SortFunc(items, func(a, b T) int { return cmp.Compare(stamp(a), stamp(b)) })
}

// sorted returns the linked nodes, least recently used first. It sorts
// (stamp, node) pairs, so that comparisons read no node.
func (p *lru[K, V]) sorted() []*node[K, V] {
	items := make([]lruItem[K, V], 0, p.len())
	p.stamped(func(stamp uint64, n *node[K, V]) { items = append(items, lruItem[K, V]{stamp, n}) })
	sortStamped(items, func(it lruItem[K, V]) uint64 { return it.key })
	nodes := make([]*node[K, V], len(items))
	for i, it := range items {
		nodes[i] = it.n
	}
	return nodes
}

func (p *lru[K, V]) ascend(yield func(*node[K, V]) bool) {
	for _, n := range p.sorted() {
		if !yield(n) {
			return
		}
	}
}

func (p *lru[K, V]) descend(yield func(*node[K, V]) bool) {
	nodes := p.sorted()
	for i := len(nodes) - 1; i >= 0; i-- {
		if !yield(nodes[i]) {
			return
		}
	}
}

// clone copies the order, every node placed in q.
func (p *lru[K, V]) clone(mapped func(*node[K, V]) *node[K, V]) policy[K, V] {
	c := newLRU[K, V]()
	c.now = p.now
	c.eager, c.window, c.since, c.evictions = p.eager, p.window, p.since, p.evictions
	for _, x := range p.sorted() {
		y := mapped(x)
		y.setStamp(x.stamp())
		y.flags &^= nodeDirty
		c.placed = y.stamp()
		c.q.pushBack(y)
	}
	return c
}

// stamp is the LRU policy's stamp of n, kept in its hash field (see node).
func (n *node[K, V]) stamp() uint64 { return n.hash }

func (n *node[K, V]) setStamp(s uint64) { n.hash = s }
