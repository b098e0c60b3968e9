package concurrent

import (
	"cmp"
	"slices"
	"sync/atomic"
	"time"
)

// Clock is the time source for expiry. The zero Options use the system's
// monotonic clock; tests can inject a fake one. Now is called from every
// goroutine that uses the cache and from its maintenance goroutine, so it
// must be safe for concurrent use.
type Clock interface {
	Now() time.Time
}

// accessResolution is how stale a node's stored access time may get before a
// read stores the new one: reads of a hot entry then rarely write to it. A
// cache whose ExpireAfterAccess is shorter than ten times this uses a tenth
// of ExpireAfterAccess instead (expiry.res): otherwise an entry read more
// often than every accessResolution would never store a read, and expire
// although read within its lifetime.
const accessResolution = int64(time.Millisecond)

// Time-ordered lists of nodes, one per expiry option, in which the front is
// the next node to expire:
//   - byWrite (ExpireAfterWrite): nodes in the order their values were
//     written (see placeByWrite). A node's write time never changes (a
//     replacement is a new node), so the list is exactly ordered by
//     deadline.
//   - byAccess (ExpireAfterAccess): nodes ordered by the access time that
//     placed them (placedAt), which an applied access event, or an
//     insertion, sets to the node's stored access time. Where a read's event
//     was not applied (dropped under contention, or still buffered), the
//     node's stored access time is later than its place says; expiry then
//     finds it at the front, not expired, and moves it to its place. An
//     access event that stored no newer time (a read within expiry.res of
//     the stored access) leaves the node where it is: its deadline has not
//     changed. A node is placed by its time, not moved to the back: an
//     event is applied after its read, when a later read of the same node
//     may already have stored a later time, so events applied in order can
//     still carry times out of order (a read of X, a read of W, a read of X,
//     drained together, place X at the third read's time before W's event
//     is applied), and W behind X, once idle for ExpireAfterAccess, stayed
//     hidden behind a live X, counted by Len and evicted for Size. As
//     ordered, a node whose place matches its access time bounds the expiry
//     of every node behind it. That holds while one goroutine at a time
//     uses the cache (the read buffer's exact mode). Under contention a
//     node goes to the back instead (see placeByAccess): events applied out
//     of order can then put a node behind one accessed later, and it is
//     invisible once expired, but the maintenance goroutine removes it only
//     when that one goes. Sync, Resize and the snapshots (All, Keys,
//     Values) first put such a list back in order (sortByAccess, O(n log
//     n)) and expire what is due (see Cache.settleLocked).
const (
	byWrite = iota
	byAccess
)

// timeLinks is a node's times, and its membership in the time-ordered lists
// (guarded by Cache.mu). Times are nanoseconds on the cache's clock.
type timeLinks[K comparable, V any] struct {
	born int64 // when the value was written; fixed
	// accessed is the last access the read path stored, with idleBit set
	// once a removal has found the node idle (see expiry.expire); read it
	// with lastAccess.
	accessed atomic.Int64
	prev     [2]*node[K, V]
	next     [2]*node[K, V]
	in       [2]bool
	placedAt int64 // the access time that put the node at its place in byAccess
}

// idleBit, set in timeLinks.accessed, marks a node a removal found idle for
// ExpireAfterAccess (see expiry.expire): a read no longer stores its access,
// and misses. Times are below it (146 years after the cache's epoch).
const idleBit = 1 << 62

// lastAccess returns the last access the read path stored, without idleBit.
func (tl *timeLinks[K, V]) lastAccess() int64 { return tl.accessed.Load() &^ idleBit }

type timeList[K comparable, V any] struct {
	head, tail *node[K, V]
	which      int
	// unordered (byAccess) is set when a node was put at the back behind
	// one placed later (see placeByAccess), and cleared by sortByAccess.
	unordered bool
}

// timedNode is a node of a cache with expiry and its timeLinks, in one
// allocation: a step along an expiry list, which reads a neighbour's policy
// links and then its expiry links, then finds both in the same or the next
// cache line instead of in two places in memory. With the links allocated
// apart, removing a node from byAccess was a quarter of the cost of a
// mixed workload with ExpireAfterAccess (BenchmarkMixed).
type timedNode[K comparable, V any] struct {
	n  node[K, V]
	tl timeLinks[K, V]
}

// newTimedNode returns the node of a timedNode for key, written at born.
func newTimedNode[K comparable, V any](key K, born int64) *node[K, V] {
	t := &timedNode[K, V]{n: node[K, V]{key: key}}
	t.tl.born = born
	t.tl.accessed.Store(born)
	t.n.tl = &t.tl
	return &t.n
}

func (l *timeList[K, V]) pushBack(x *node[K, V]) {
	w, tl := l.which, x.tl
	tl.in[w], tl.prev[w], tl.next[w] = true, l.tail, nil
	if l.tail == nil {
		l.head = x
	} else {
		l.tail.tl.next[w] = x
	}
	l.tail = x
}

func (l *timeList[K, V]) remove(x *node[K, V]) {
	w, tl := l.which, x.tl
	if !tl.in[w] {
		return
	}
	if tl.prev[w] == nil {
		l.head = tl.next[w]
	} else {
		tl.prev[w].tl.next[w] = tl.next[w]
	}
	if tl.next[w] == nil {
		l.tail = tl.prev[w]
	} else {
		tl.next[w].tl.prev[w] = tl.prev[w]
	}
	tl.in[w], tl.prev[w], tl.next[w] = false, nil, nil
}

// placeByAccess puts x, a node of byAccess or none, at its place in byAccess
// for the access time at: behind every node placed at or before at, in
// front of those placed later; or, unless ordered, at the back. Ordered is
// set while the read buffer keeps every event in program order (one
// goroutine at a time): the walk from the back then passes only the nodes
// whose later accesses were applied first, at most about as many as one
// drain applies. Under contention, events come out of order by a
// millisecond or more at every drain, and a walk past every node read in a
// later millisecond (thousands, at millions of reads a second) tripled the
// cost of a mixed workload; there the node goes to the back, as the order
// is then approximate anyway (see byAccess).
func (l *timeList[K, V]) placeByAccess(x *node[K, V], at int64, ordered bool) {
	l.remove(x)
	x.tl.placedAt = at
	if !ordered {
		if l.tail != nil && l.tail.tl.placedAt > at {
			l.unordered = true
		}
		l.pushBack(x)
		return
	}
	after := l.tail
	for after != nil && after.tl.placedAt > at {
		after = after.tl.prev[byAccess]
	}
	l.insertBehind(x, after)
}

// insertBehind puts x, a node of no list, behind after, or at the front if
// after is nil.
func (l *timeList[K, V]) insertBehind(x, after *node[K, V]) {
	if after == l.tail {
		l.pushBack(x)
		return
	}
	w, tl := l.which, x.tl
	tl.in[w], tl.prev[w] = true, after
	if after == nil {
		tl.next[w] = l.head
		l.head.tl.prev[w] = x
		l.head = x
		return
	}
	tl.next[w] = after.tl.next[w]
	after.tl.next[w].tl.prev[w] = x
	after.tl.next[w] = x
}

// placeByWrite puts x, a node of no list, into byWrite behind every node
// written at or before it. Writes are applied in the order their writers
// queued them, which is not always the order of their times: a writer
// stamps its node and then queues it, and another may queue between the
// two. At the back, as nearly always, unless a later write's node was
// applied first; the walk passes only those.
func (l *timeList[K, V]) placeByWrite(x *node[K, V]) {
	after := l.tail
	for after != nil && after.tl.born > x.tl.born {
		after = after.tl.prev[byWrite]
	}
	l.insertBehind(x, after)
}

// sortByAccess puts every node of byAccess back at its place for its
// stored access time (the order of those times, ties in list order), in
// O(n log n), and clears unordered.
func (l *timeList[K, V]) sortByAccess() {
	type placed struct {
		at int64
		x  *node[K, V]
	}
	var all []placed
	for x := l.head; x != nil; x = x.tl.next[byAccess] {
		all = append(all, placed{x.tl.lastAccess(), x})
	}
	slices.SortStableFunc(all, func(a, b placed) int { return cmp.Compare(a.at, b.at) })
	l.clear()
	for _, p := range all {
		p.x.tl.placedAt = p.at
		l.pushBack(p.x)
	}
	l.unordered = false
}

func (l *timeList[K, V]) clear() {
	for x := l.head; x != nil; {
		next := x.tl.next[l.which]
		x.tl.in[l.which], x.tl.prev[l.which], x.tl.next[l.which] = false, nil, nil
		x = next
	}
	l.head, l.tail, l.unordered = nil, nil, false
}

// expiry holds what the cache needs to expire entries. Its lists are guarded
// by Cache.mu; the rest is read-only after New.
type expiry[K comparable, V any] struct {
	ttl, tta int64 // ExpireAfterWrite, ExpireAfterAccess in nanoseconds; 0 = off
	res      int64 // the resolution of stored accesses: min(accessResolution, tta/10)
	clock    Clock // nil: the system's monotonic clock
	epoch    time.Time
	// latest is the latest reading of clock (since epoch): now never
	// returns less, so that a Clock set back does not reorder deadlines.
	latest atomic.Int64
	lists  [2]timeList[K, V]
}

func (e *expiry[K, V]) enabled() bool { return e.ttl > 0 || e.tta > 0 }

// now returns the current time in nanoseconds since the cache was created.
// An injected Clock that goes back (a wall clock set back, say) reads as
// standing still until it passes its latest reading again: the expiry lists
// are kept in the order of the times now returned (byWrite is in insertion
// order, and due checks its head only), so an entry stamped earlier than the
// one before it would stay behind it, counted by Len and yielded by Keys,
// after Get had found it expired.
func (e *expiry[K, V]) now() int64 {
	if e.clock == nil {
		return int64(time.Since(e.epoch))
	}
	t := int64(e.clock.Now().Sub(e.epoch))
	for {
		last := e.latest.Load()
		if t <= last {
			return last
		}
		if e.latest.CompareAndSwap(last, t) {
			return t
		}
	}
}

// expired reports whether n's lifetime has ended at now.
func (e *expiry[K, V]) expired(n *node[K, V], now int64) bool {
	return (e.ttl > 0 && now-n.tl.born >= e.ttl) || (e.tta > 0 && now-n.tl.lastAccess() >= e.tta)
}

// expire is expired for a caller about to remove n as expired, or to name
// the cause of its removal. If n's idle period has ended, it first sets
// idleBit in the access time it judged (a CAS): a read that found n live,
// having read the clock before now, but has not stored its access yet then
// finds the bit and misses (see Cache.liveAfterRead); one that stored its
// access first makes the CAS fail, and n is live. Without it such a read
// returned n's value as a hit while n was removed as idle all the same,
// handed to OnEvict as Expired before the read had returned: the read was
// lost. The bit changes no judgement of expired, at any time: a drain that
// expires as of an earlier time (a buffered read's, a write's) finds n as
// it would have without it.
func (e *expiry[K, V]) expire(n *node[K, V], now int64) bool {
	if e.ttl > 0 && now-n.tl.born >= e.ttl {
		return true // a read does not extend this lifetime: nothing to claim
	}
	if e.tta == 0 {
		return false
	}
	for {
		a := n.tl.accessed.Load()
		if now-(a&^idleBit) < e.tta {
			return false
		}
		if a&idleBit != 0 || n.tl.accessed.CompareAndSwap(a, a|idleBit) {
			return true
		}
	}
}

// earliest is a time before which no linked node can have expired, read from
// the heads of the lists alone (in exact mode, when byAccess is in the order
// of its placings; a node's last access is never before its placing):
// expireAt at an earlier time removes nothing. Caller holds Cache.mu.
func (e *expiry[K, V]) earliest() int64 {
	d := int64(1<<63 - 1)
	if h := e.lists[byWrite].head; h != nil && e.ttl > 0 {
		d = after(h.tl.born, e.ttl)
	}
	if h := e.lists[byAccess].head; h != nil && e.tta > 0 {
		d = min(d, after(h.tl.placedAt, e.tta))
	}
	return d
}

// deadline is when n expires as far as its fields say.
func (e *expiry[K, V]) deadline(n *node[K, V]) int64 {
	d := int64(1<<63 - 1)
	if e.ttl > 0 {
		d = after(n.tl.born, e.ttl)
	}
	if e.tta > 0 {
		d = min(d, after(n.tl.lastAccess(), e.tta))
	}
	return d
}

// after returns t+d, or the largest time if that overflows: a duration near
// math.MaxInt64 (a common spelling of "never") must not wrap to a deadline
// in the past, which would hide the other option's deadline from the timer.
func after(t, d int64) int64 {
	if t > 1<<63-1-d {
		return 1<<63 - 1
	}
	return t + d
}

// link adds a node whose insertion is being applied; ordered is
// placeByAccess's. Caller holds Cache.mu.
func (e *expiry[K, V]) link(n *node[K, V], ordered bool) {
	if !e.enabled() {
		return
	}
	if e.ttl > 0 {
		e.lists[byWrite].placeByWrite(n)
	}
	if e.tta > 0 {
		e.lists[byAccess].placeByAccess(n, n.tl.lastAccess(), ordered)
	}
}

// unlink removes a node that leaves the policy. Caller holds Cache.mu.
func (e *expiry[K, V]) unlink(n *node[K, V]) {
	if n.tl != nil {
		e.lists[byWrite].remove(n)
		e.lists[byAccess].remove(n)
	}
}

// touch applies an access event: it moves n to its place in byAccess if a
// read stored a newer access time since n was placed. Moving it without one
// would put its unchanged deadline behind later ones; ordered is
// placeByAccess's. So a read within the tick of n's last access stays in
// its place among the entries of that tick: re-placing n on every such
// read, to expire ties in the order of their last reads, made the serial
// BenchmarkMixed with ExpireAfterAccess three times slower (370 to 1,097
// ns for LRU). Caller holds Cache.mu.
func (e *expiry[K, V]) touch(n *node[K, V], ordered bool) {
	if e.tta > 0 && n.tl.in[byAccess] {
		if a := n.tl.lastAccess(); a != n.tl.placedAt {
			e.lists[byAccess].placeByAccess(n, a, ordered)
		}
	}
}

func (e *expiry[K, V]) clear() {
	e.lists[byWrite].clear()
	e.lists[byAccess].clear()
}

// next returns the earliest deadline of the list fronts, or false if nothing
// is waiting to expire. Caller holds Cache.mu.
func (e *expiry[K, V]) next() (int64, bool) {
	d, ok := int64(1<<63-1), false
	for w := range e.lists {
		if h := e.lists[w].head; h != nil {
			d, ok = min(d, e.deadline(h)), true
		}
	}
	return d, ok
}

// due pops the next node whose lifetime has ended at now, or returns nil.
// It moves nodes whose place in byAccess is older than their last access to
// their place (ordered is placeByAccess's). The head of byWrite is checked
// for both lifetimes: it may have been idle for ExpireAfterAccess behind a
// live node of byAccess (see below), and next reports its deadline, so
// leaving it would make the timer fire again at once. With both options,
// when both heads have expired the one with the earlier deadline goes
// first (byWrite's on a tie), so that expired entries are removed in the
// order they expired (see Options.OnEvict); an expired byWrite head is
// removed by the same expireAt either way. Caller holds Cache.mu.
func (e *expiry[K, V]) due(now int64, ordered bool) *node[K, V] {
	w := e.lists[byWrite].head
	if w != nil && !e.expire(w, now) {
		w = nil
	}
	l := &e.lists[byAccess]
	for h := l.head; h != nil; h = l.head {
		if h == w {
			return w
		}
		if e.expire(h, now) {
			if w != nil && e.deadline(w) <= e.deadline(h) {
				return w
			}
			return h
		}
		a := h.tl.lastAccess()
		if a == h.tl.placedAt {
			return w // in its place and not expired: nothing behind it is
		}
		l.placeByAccess(h, a, ordered)
	}
	return w
}
