package concurrent

import (
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"time"
	"weak"

	"github.com/puzpuzpuz/xsync/v4"
)

// Drain status, as in Caffeine: whether the maintenance goroutine has work.
const (
	idle                 uint32 = iota // nothing buffered that maintenance was asked to apply
	required                           // a token is on its way to the goroutine
	processingToIdle                   // draining; nothing new since it started
	processingToRequired               // draining; more arrived, drain again
)

// notification is a removed entry whose listener call is due once the
// remover has released Cache.mu.
type notification[K comparable, V any] struct {
	key   K
	value V
	cause Cause
}

// maintenanceLoop is the cache's goroutine. It parks until a write (or, under
// contention, a reader whose stripe is full) asks for a drain, or the next
// entry is due to expire (one timer, armed for that deadline only: no
// ticker, no polling), and holds the cache only weakly while parked.
//
// A listener that calls runtime.Goexit on this goroutine (t.FailNow in a
// test's OnEvict, say) ends it: deliver still makes the batch's other calls,
// and the deferred function hands the loop, and done, to a new goroutine,
// woken at once so that it drains whatever the exited one left.
func maintenanceLoop[K comparable, V any](wp weak.Pointer[Cache[K, V]], wake, stop, done chan struct{}) {
	returned := false
	defer func() {
		if returned {
			close(done)
			return
		}
		select {
		case wake <- struct{}{}:
		default:
		}
		go maintenanceLoop(wp, wake, stop, done)
	}()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-stop:
			returned = true
			return
		case <-wake:
		case <-timer.C:
		}
		c := wp.Value()
		if c == nil {
			returned = true
			return
		}
		c.maintain(stop)
		if d, ok := c.untilNextDeadline(); ok {
			timer.Reset(d)
		} else {
			timer.Stop()
		}
	}
}

// untilNextDeadline returns how long until the next entry expires, and
// records the deadline as the one the timer is armed for.
//
// A drain on a caller's goroutine (Sync, Resize, All, a writer that found
// the write buffer full) can find a deadline earlier than the timer's: under
// contention an idle entry can wait behind a later one, and putting the
// order right brings its deadline forward. expireLocked then wakes this
// goroutine to re-arm. The two sides store and then load (nextDeadline and
// armedDeadline, in opposite order), so at least one of them sees the
// other's store: the caller sees the deadline armed here, or this loop sees
// the caller's deadline on its second load and arms for that.
func (c *Cache[K, V]) untilNextDeadline() (time.Duration, bool) {
	if !c.expiring {
		return 0, false
	}
	d := c.nextDeadline.Load()
	for {
		c.armedDeadline.Store(d)
		again := c.nextDeadline.Load()
		if again == d {
			break
		}
		d = again
	}
	if d == noDeadline {
		return 0, false
	}
	return time.Duration(max(0, d-c.exp.now())), true
}

// maintain drains until no new work arrived while it was draining.
func (c *Cache[K, V]) maintain(stop chan struct{}) {
	c.maintenanceRuns.Add(1)
	for {
		c.mu.Lock()
		c.status.Store(processingToIdle)
		c.maintaining = true
		notes := c.drainInTurnLocked(nil)
		c.maintaining = false
		done := c.status.CompareAndSwap(processingToIdle, idle)
		// Counted before the lock is released, as they leave Len: a
		// caller's Sync may return before this goroutine's listener calls
		// are made, and its Stats then count them all the same.
		c.countRemovals(notes)
		c.mu.Unlock()
		c.deliverCounted(notes)
		if done {
			return
		}
		select {
		case <-stop:
			return
		default:
		}
	}
}

// scheduleDrain asks the maintenance goroutine to apply the buffered events.
func (c *Cache[K, V]) scheduleDrain() {
	for {
		switch c.status.Load() {
		case idle:
			if c.status.CompareAndSwap(idle, required) {
				select {
				case c.wake <- struct{}{}:
				default:
				}
				return
			}
		case processingToIdle:
			if c.status.CompareAndSwap(processingToIdle, processingToRequired) {
				return
			}
		default:
			return
		}
	}
}

// drainLocked applies every buffered event to the policy, keeping the order
// in which the events happened for the reads of the first stripe: before each
// write task, the reads that preceded it. Tasks published behind a slot
// whose writer has not yet published are applied too, out of turn (see
// below). It is for drains on behalf of a caller; the maintenance goroutine
// uses drainInTurnLocked. Caller holds c.mu.
func (c *Cache[K, V]) drainLocked(notes []notification[K, V]) []notification[K, V] {
	return c.drain(notes, true)
}

// drainInTurnLocked is drainLocked without the tasks out of turn: what the
// maintenance goroutine runs. It drains while the cache's goroutines go on
// writing, so a slot not yet published is usually a writer between its claim
// and its publication, who may publish and queue its next task behind it
// while the drain runs: taking that task ahead of the first would reorder a
// single goroutine's writes (an LRU then evicts another key than a textbook
// one). A writer that overflows, Resize, PopVictim and Sync drain with
// drainLocked, on their own goroutine: then a slot not yet published belongs
// to another goroutine, whose write is concurrent with theirs. Caller holds
// c.mu.
func (c *Cache[K, V]) drainInTurnLocked(notes []notification[K, V]) []notification[K, V] {
	return c.drain(notes, false)
}

func (c *Cache[K, V]) drain(notes []notification[K, V], ahead bool) []notification[K, V] {
	first := &c.rb.first
	// The expiry at the end is as of now, read before the tasks are polled:
	// a write the drain does not apply (the maintenance goroutine drains
	// while the cache's goroutines go on writing) was made at this time or
	// later. Read at the end, it expired the old node of a replacement made
	// meanwhile, whose task then linked the new node as an insertion (for
	// LFU another place in the order than a replacement's): the same
	// operations of one goroutine gave different orders from run to run.
	var now int64
	if c.expiring {
		now = c.exp.now()
	}
	// Reads claimed after this point may belong after a write that is queued
	// but not yet visible to poll; they wait for the next drain.
	snap := first.tail.Load()
	for {
		t, ok := c.wb.poll()
		if !ok {
			break
		}
		notes = first.drainTo(t.readPos, c, notes)
		notes = c.applyWriteInTime(notes, t)
	}
	// poll stops at a slot claimed by a writer that has not published its
	// task yet. The tasks published behind it are applied now, out of turn
	// (applyWrite settles any order of the events of a node), so that the
	// policy holds every entry whose writer has published: otherwise one
	// paused writer would leave the entries stored after it unevictable,
	// for Resize, PopVictim and overflowing writers alike.
	if c.testHookAfterPoll != nil {
		c.testHookAfterPoll()
	}
	if end := c.wb.tail.Load(); ahead && end != c.wb.head {
		for pos := c.wb.head + 1; pos < end; pos++ {
			if t, ok := c.wb.takeAhead(pos); ok {
				notes = first.drainTo(t.readPos, c, notes)
				notes = c.applyWriteInTime(notes, t)
			}
		}
	}
	if c.rb.saturated.Load() {
		c.rb.saturated.Store(false) // before the last pass over the stripes: a reader that finds one full again sets it again
	}
	notes = first.drainTo(snap, c, notes)
	if c.rb.contended() {
		for _, s := range (*c.rb.table.Load())[1:] {
			notes = s.drainTo(math.MaxUint64, c, notes)
		}
	}
	if c.expiring {
		notes = c.expireLocked(notes, now)
	}
	return notes
}

// settleLocked is drainLocked for the calls that promise an exact state
// (Sync, Resize, Clone, the snapshots): if contended reads left byAccess
// out of order (an idle entry behind one read later, which expiry stops
// at), it sorts the list and expires what is due. Caller holds c.mu.
func (c *Cache[K, V]) settleLocked(notes []notification[K, V]) []notification[K, V] {
	notes = c.drainLocked(notes)
	if l := &c.exp.lists[byAccess]; c.expiring && l.unordered {
		l.sortByAccess()
		notes = c.expireLocked(notes, c.exp.now())
	}
	return notes
}

// applyWriteInTime applies the write task t as of the time it was made: with
// expiry, the entries that had expired when its node was written (the
// node's birth) are removed first, as they would have been had the
// maintenance goroutine run just before. Otherwise an insertion's admission
// contest (LFU) counted an entry that had expired before it, or did not,
// depending on when the drain ran: one goroutine's operations then gave
// different evictions from run to run. Caller holds c.mu.
func (c *Cache[K, V]) applyWriteInTime(notes []notification[K, V], t writeTask[K, V]) []notification[K, V] {
	if c.expiring && (t.op == opAdd || t.op == opReplace) {
		notes = c.expireAt(notes, t.n.tl.born)
	}
	c.applyWrite(t)
	return notes
}

// applyWrite applies one write task (an empty one, op 0, left by takeAhead,
// does nothing). Insertions and removals of the same node may arrive in
// either order; node.released settles it (see node). A node retired since
// its insertion is linked all the same, unless its removal has been applied:
// for a cache used from one goroutine, the events are then applied exactly
// as if each had been applied when it happened, whenever the drain runs (an
// LFU policy counts the insertion, and the replacement as an access).
func (c *Cache[K, V]) applyWrite(t writeTask[K, V]) {
	switch t.op {
	case opAdd:
		// Skip a node already gone (a node is never linked twice).
		if !t.n.released && !t.n.linked() {
			c.link(t.n)
		}
	case opReplace:
		switch {
		case t.n.released: // the new node is already gone again
			if t.old.linked() {
				c.unlink(t.old)
			}
		case t.n.linked(): // linked by a Clone or an earlier pass
		case t.old.linked():
			c.pol.replace(t.old, t.n)
			c.exp.unlink(t.old)
			c.exp.link(t.n, !c.rb.contended())
		default: // the old node's insertion was never applied
			c.link(t.n)
		}
		t.old.released = true
	case opRemove:
		if t.n.linked() {
			c.unlink(t.n)
		}
		t.n.released = true
	}
}

// link, unlink and applyRead keep the policy and the expiry lists in step.
// Caller holds c.mu.
func (c *Cache[K, V]) link(n *node[K, V]) {
	c.pol.add(n)
	c.exp.link(n, !c.rb.contended())
}

func (c *Cache[K, V]) unlink(n *node[K, V]) {
	c.pol.remove(n)
	c.exp.unlink(n)
}

func (c *Cache[K, V]) applyRead(n *node[K, V]) {
	if !n.linked() {
		return
	}
	if l := c.lru; l != nil {
		// The common policy, called directly on the hot drain path.
		if l.eager {
			l.moveHit(n)
		} else {
			l.restamp(n)
		}
	} else {
		c.pol.access(n)
	}
	if c.expiring {
		c.exp.touch(n, !c.rb.contended())
	}
}

// evictOne asks the policy for its next victim and takes it out of the
// expiry lists too. Caller holds c.mu.
func (c *Cache[K, V]) evictOne() *node[K, V] {
	v := c.pol.evict()
	if v != nil {
		c.exp.unlink(v)
	}
	return v
}

// expireLocked removes every entry whose lifetime had ended at now, and
// records the next deadline for the maintenance goroutine's timer. Caller
// holds c.mu.
func (c *Cache[K, V]) expireLocked(notes []notification[K, V], now int64) []notification[K, V] {
	notes = c.expireAt(notes, now)
	next, ok := c.exp.next()
	if !ok {
		next = noDeadline
	}
	c.nextDeadline.Store(next)
	if !c.maintaining && next < c.armedDeadline.Load() {
		// Earlier than the maintenance goroutine's timer: wake it to re-arm
		// (see untilNextDeadline; that goroutine re-arms after each of its
		// own drains anyway). Recording the deadline as armed now keeps the
		// next drains from waking it again for the same one.
		c.armedDeadline.Store(next)
		c.scheduleDrain()
	}
	return notes
}

// expireAt removes the entries whose lifetime had ended at now (O(1) when
// none has). Caller holds c.mu.
func (c *Cache[K, V]) expireAt(notes []notification[K, V], now int64) []notification[K, V] {
	ordered := !c.rb.contended()
	for n := c.exp.due(now, ordered); n != nil; n = c.exp.due(now, ordered) {
		c.unlink(n)
		if v, ok := c.removeLocked(n); ok {
			notes = append(notes, notification[K, V]{n.key, v, Expired})
		}
	}
	return notes
}

// noDeadline is the value of Cache.nextDeadline when nothing waits to expire.
const noDeadline = int64(1<<63 - 1)

// evictLocked evicts, in policy order, until the cache is within its bound.
// A victim found expired (under contention, an idle entry can wait behind
// one read later: see byAccess) is removed with cause Expired. Caller holds
// c.mu.
func (c *Cache[K, V]) evictLocked(notes []notification[K, V]) []notification[K, V] {
	now := int64(0)
	if c.expiring && c.size.Load() > c.max.Load() {
		now = c.exp.now()
	}
	for c.size.Load() > c.max.Load() {
		v := c.evictOne()
		if v == nil {
			break // the excess is in flight (see evictToBoundLocked)
		}
		if value, ok := c.removeLocked(v); ok {
			notes = append(notes, notification[K, V]{v.key, value, c.evictionCause(v, now)})
		}
	}
	return notes
}

// evictionCause is the cause of evicting the victim v for the bound at
// now: Expired if its lifetime had ended, else Size.
func (c *Cache[K, V]) evictionCause(v *node[K, V], now int64) Cause {
	if c.expiring && c.exp.expire(v, now) {
		return Expired
	}
	return Size
}

// evictToBoundLocked is evictLocked, then, if the policy ran out with the
// cache still over its bound, evictInFlightLocked: what the policy held were
// the old nodes of replacements in flight (with expiry a replacement
// publishes a new node), whose writers never evict, so a shrinking Resize or
// an overflowing insertion would otherwise return above the bound with no
// insertion in flight. Caller holds c.mu.
func (c *Cache[K, V]) evictToBoundLocked(notes []notification[K, V]) []notification[K, V] {
	notes = c.evictLocked(notes)
	if c.size.Load() > c.max.Load() {
		notes = c.evictInFlightLocked(notes)
	}
	return notes
}

// evictInFlightLocked evicts, with cause Size, entries the policy does not
// hold yet (their writers are in flight: stored, counted, their tasks not
// yet published) until the cache is within its bound: evictToBoundLocked's
// last resort once the policy is empty. The writers of these entries may not
// be inserting (a replacement does not overflow), so none of them would
// evict. The writer's task, published later, finds its node retired and
// skips it. O(n): it walks the map. Caller holds c.mu.
func (c *Cache[K, V]) evictInFlightLocked(notes []notification[K, V]) []notification[K, V] {
	now := int64(0)
	if c.expiring {
		now = c.exp.now()
	}
	c.m.Range(func(_ K, e entry[K, V]) bool {
		if c.size.Load() <= c.max.Load() {
			return false
		}
		if !e.n.linked() {
			if v, ok := c.removeLocked(e.n); ok {
				// One whose lifetime has ended goes as Expired, as from evictLocked.
				notes = append(notes, notification[K, V]{e.n.key, v, c.evictionCause(e.n, now)})
			}
		}
		return true
	})
	return notes
}

// removeLocked removes n from the map if the map still holds it, and returns
// its value and whether it did. Caller holds c.mu (removeTarget's state).
func (c *Cache[K, V]) removeLocked(n *node[K, V]) (V, bool) {
	var zero V
	c.target, c.removed = n, false
	c.m.Compute(n.key, c.removeTarget)
	v := c.removedValue
	c.target, c.removedValue = nil, zero
	return v, c.removed
}

// removeAllLocked removes every entry with the given cause, linked ones in
// eviction order first. Clear also makes the policy forget what it learned
// (its clear); Close only unlinks the nodes (unlinkAll), as a closed cache
// never uses the policy again and clear allocates an LFU policy's tables
// anew. Caller holds c.mu.
func (c *Cache[K, V]) removeAllLocked(notes []notification[K, V], cause Cause) []notification[K, V] {
	c.pol.ascend(func(x *node[K, V]) bool {
		if v, ok := c.removeLocked(x); ok {
			notes = append(notes, notification[K, V]{x.key, v, cause})
		}
		return true
	})
	if cause == Closed || c.closed.Load() {
		// A closed cache never uses its policy again: a Clear after (or
		// racing) Close must not allocate an LFU policy's tables anew.
		c.pol.unlinkAll()
	} else {
		c.pol.clear()
	}
	c.exp.clear()
	// Entries whose insertion is not applied yet (in flight) are not linked,
	// so the settle before did not expire them: one whose lifetime has
	// ended goes as Expired, as a linked one did.
	now := int64(0)
	if c.expiring {
		now = c.exp.now()
	}
	c.m.Range(func(_ K, e entry[K, V]) bool {
		if v, ok := c.removeLocked(e.n); ok {
			cs := cause
			if c.expiring && c.exp.expire(e.n, now) {
				cs = Expired
			}
			notes = append(notes, notification[K, V]{e.n.key, v, cs})
		}
		return true
	})
	return notes
}

// retire marks n removed from the map. Called inside the map's per-key
// critical section that removes n.
func (c *Cache[K, V]) retire(n *node[K, V]) {
	n.retired.Store(true)
	c.size.Add(-1)
}

func (c *Cache[K, V]) newNode(key K) *node[K, V] {
	var n *node[K, V]
	if c.expiring {
		n = newTimedNode[K, V](key, c.exp.now())
	} else {
		n = &node[K, V]{key: key}
	}
	if c.lfu {
		n.hash = c.hash.hash(key)
	}
	return n
}

// recordExactSlow handles a read in exact mode whose event did not go into
// the buffer at the first try. The event is never dropped: a reader that
// finds the stripe full applies the buffered events itself, waiting for the
// lock if need be, which keeps single-goroutine behaviour exact. A failed CAS
// means another goroutine is reading: the buffer switches to contended mode.
// touch is recordTouch's (see pushRead and recordContended).
func (c *Cache[K, V]) recordExactSlow(n *node[K, V], r pushResult, touch bool, now int64) {
	for r != pushed {
		if r == contended || c.rb.contended() {
			c.rb.grow()
			c.recordContended(n, touch)
			return
		}
		c.mu.Lock()
		notes := c.drainLocked(nil)
		c.mu.Unlock()
		c.deliver(notes)
		r = c.pushRead(&c.rb.first, n, touch, now)
	}
}

// dropRead gives up recording a read under contention: its stripe is full.
// The maintenance goroutine is asked to drain, so the buffer frees up without
// readers doing maintenance work.
func (c *Cache[K, V]) dropRead(s *stripe[K, V], touch bool) {
	if c.stats && sampled() {
		if touch { // a dropped read, but no hit (see recordTouch)
			s.droppedTouches.Add(skipSample)
		} else {
			s.dropped.Add(skipSample)
		}
	}
	if !c.rb.saturated.Load() && c.rb.saturated.CompareAndSwap(false, true) {
		c.scheduleDrain()
	}
}

// afterWrite queues a write task and, if an insertion took the cache over its
// bound, evicts before returning: the bound is hard, not eventual. It
// appends the removals its drains made to notes (the caller's buffer on its
// stack: an eviction allocates nothing) and returns them, for the caller to
// deliver with its own (in one batch: see deliver). A task queued into a
// cache Close has emptied is dropped again (forgetIfEmptied).
func (c *Cache[K, V]) afterWrite(notes []notification[K, V], t writeTask[K, V], inserted bool) []notification[K, V] {
	t.readPos = c.rb.first.tail.Load()
	for !c.wb.offer(t) {
		// Full: apply it ourselves. A write is never dropped. If the drain
		// cannot progress (the head slot is claimed by a writer not yet done
		// publishing), let that writer run; otherwise retry at once: a
		// yield after every drain handed the processor to any busy
		// goroutine for a whole time slice, every few writes.
		c.mu.Lock()
		head := c.wb.head
		notes = c.drainLocked(notes)
		stuck := c.wb.head == head
		c.mu.Unlock()
		if stuck {
			runtime.Gosched()
		}
	}
	if inserted && c.size.Load() > c.max.Load() {
		c.mu.Lock()
		// The drain applies every published task, ours included, even
		// behind a slot another writer has claimed but not yet published:
		// the entries counted but not linked afterwards are those of writers
		// still in flight, which gives the documented bound.
		notes = c.drainLocked(notes)
		notes = c.evictToBoundLocked(notes)
		c.mu.Unlock()
		c.forgetIfEmptied()
		return notes
	}
	c.scheduleDrain()
	c.forgetIfEmptied()
	return notes
}

// deliverWith delivers notes and then the caller's own removal, in one
// batch when there are notes (a listener's runtime.Goexit for one of them
// must not lose the caller's), without allocating when there are none.
func (c *Cache[K, V]) deliverWith(notes []notification[K, V], key K, value V, cause Cause) {
	if len(notes) == 0 {
		c.notify(key, value, cause)
		return
	}
	c.deliver(append(notes, notification[K, V]{key, value, cause}))
}

// storeMode says what store does when the key is present.
type storeMode uint8

const (
	storeSet  storeMode = iota // replace it
	storeAdd                   // fail with ErrExists
	storeLoad                  // keep it; also give up if the load was detached
)

// store puts value under key, inside the map's per-key critical section,
// then queues the event, evicts if the insertion overflowed the bound, and
// notifies the value it replaced. An expired entry still in the map counts as
// absent and is replaced with cause Expired. For storeLoad, cl is the load
// that produced value.
//
// The node is made inside the critical section, and only when one is
// needed: an Add that finds the key present allocates nothing. A Set that
// replaces a live value in a cache without expiry keeps the key's node (its
// place in the policy, and in LFU its doorkeeper mark) and records an access
// in the read buffer, as Touch does, instead of queueing a replacement: the
// policy then does what its replace would have done, since a replacement
// counts as an access, without a node to allocate and collect, and without
// the write buffer, which all writers share. In exact mode the access keeps
// its place among the reads and the writes around it; under contention it
// may be dropped, as a read may. With expiry the value gets a new node,
// whose times start at the write.
func (c *Cache[K, V]) store(key K, value V, mode storeMode, cl *call[V]) error {
	var (
		old    entry[K, V]
		n      *node[K, V] // old.n itself if the value was replaced in place
		cause  = Replaced
		exists bool
		now    int64
	)
	if c.expiring {
		now = c.exp.now()
	}
	c.m.Compute(key, func(cur entry[K, V], loaded bool) (entry[K, V], xsync.ComputeOp) {
		live := loaded && (!c.expiring || !c.exp.expire(cur.n, now))
		if (mode == storeAdd && live) || (mode == storeLoad && (live || cl.detached.Load())) {
			exists = true
			return cur, xsync.CancelOp
		}
		if mode != storeLoad {
			c.detachLoadLocked(key) // an explicit write wins over a load in flight
		} else if c.testHookStoreLoad != nil {
			c.testHookStoreLoad()
		}
		if loaded {
			old = cur
			if mode == storeSet && !c.expiring {
				n = cur.n
				return entry[K, V]{value: value, n: n}, xsync.UpdateOp
			}
			cur.n.retired.Store(true)
			if !live {
				cause = Expired
			}
		} else {
			c.size.Add(1)
		}
		n = c.newNode(key)
		return entry[K, V]{value: value, n: n}, xsync.UpdateOp
	})
	if exists {
		return ErrExists // for storeLoad: not stored
	}
	if mode == storeLoad {
		// Stored, and visible: a caller missing key from now on must not
		// join the load, whose waiters are released only after the
		// listeners this store calls on the load's goroutine. A listener
		// asking for key, removed again meanwhile (expired, evicted), would
		// wait for itself. Not inside the critical section: there, the
		// entry is not visible yet, and a caller that missed it and found
		// the load detached would load the key again.
		cl.detached.Store(true)
	}
	var (
		buf   [2]notification[K, V] // an eviction and the replaced value, without allocating
		notes []notification[K, V]
	)
	switch {
	case n == old.n: // replaced in place
		// An access, recorded as Touch records one: in the read buffer,
		// in order with the reads around it in exact mode (the write tasks
		// keep their place among the reads: see drain), and not counted as
		// a hit.
		c.recordTouch(n)
		notes = append(buf[:0], notification[K, V]{key, old.value, cause})
	case old.n != nil:
		notes = append(c.afterWrite(buf[:0], writeTask[K, V]{n: n, old: old.n, op: opReplace}, false), notification[K, V]{key, old.value, cause})
	default:
		notes = c.afterWrite(buf[:0], writeTask[K, V]{n: n, op: opAdd}, true)
	}
	if c.onEvict != nil && len(notes) > 0 {
		c.deliverThenSettle(notes, key, n)
		return nil
	}
	for _, x := range notes {
		c.removals[x.cause].Add(1) // all notify does without a listener
	}
	c.settleAfterClose(key, n)
	return nil
}

// deliverThenSettle delivers a store's notes, then settles its node n after
// Close (settleAfterClose). The settle is deferred, so that it runs even if
// a listener call ends the goroutine with runtime.Goexit: called after
// them, it was skipped, and a value the write stored into a cache whose
// Close had already emptied it stayed there, never handed to OnEvict. A
// function of its own, called only when there is a listener to call: a
// defer in store cost every write about 80 instructions more, listener or
// not (cachegrind over BenchmarkMixed, LRU, 90% reads).
func (c *Cache[K, V]) deliverThenSettle(notes []notification[K, V], key K, n *node[K, V]) {
	defer c.settleAfterClose(key, n)
	c.deliver(notes)
}

// remove deletes key from the map and notifies Explicit; a load of key in
// flight is detached. An expired entry still in the map is removed too, but
// notified as Expired and reported absent.
func (c *Cache[K, V]) remove(key K) (V, bool) {
	var (
		old     entry[K, V]
		expired bool
		now     int64
		zero    V
	)
	if c.expiring {
		now = c.exp.now()
	}
	c.m.Compute(key, func(cur entry[K, V], loaded bool) (entry[K, V], xsync.ComputeOp) {
		c.detachLoadLocked(key)
		if !loaded {
			return cur, xsync.CancelOp
		}
		c.retire(cur.n)
		old = cur
		expired = c.expiring && c.exp.expire(cur.n, now)
		return entry[K, V]{}, xsync.DeleteOp
	})
	if old.n == nil {
		return zero, false
	}
	var buf [2]notification[K, V]
	notes := c.afterWrite(buf[:0], writeTask[K, V]{n: old.n, op: opRemove}, false)
	if expired {
		c.deliverWith(notes, key, old.value, Expired)
		return zero, false
	}
	c.deliverWith(notes, key, old.value, Explicit)
	return old.value, true
}

// settleAfterClose resolves a write that raced with Close. A write that
// has stored its value has happened, whatever it did besides (displace a
// value, handed to OnEvict as Replaced or Expired, or overflow and evict
// another entry with cause Size), so it never reports failure: only a write
// that finds the cache closed before it stores returns ErrClosed. Close sets
// closed before it removes the entries, so a writer that still sees closed
// false after storing under n knows Close will find n; otherwise Close may
// already have removed n, or the writer takes n back and hands the value it
// holds to OnEvict with cause Closed, as Close would have. That value may be
// a later writer's, which kept n (an in-place Set): the later writer's own
// settle then finds n gone. Either way each value is notified once.
func (c *Cache[K, V]) settleAfterClose(key K, n *node[K, V]) {
	if !c.closed.Load() {
		return
	}
	c.mu.Lock()
	value, took := c.removeLocked(n)
	if c.emptied.Load() {
		c.forgetLocked()
	}
	c.mu.Unlock()
	if took {
		c.notify(key, value, Closed)
	}
}

// forgetLocked drops, once Close has removed the entries, what the buffers
// still hold (the events of operations that raced Close and queued them
// after its drain: nobody drains a closed cache's buffers again) and
// unlinks whatever the drain of a late overflowing writer linked: each holds
// a node, and with it a key, that the closed cache kept reachable for as
// long as it was itself. Close calls it once it has emptied the cache, and
// a write that stored into the closed cache calls it again from
// settleAfterClose, once its own event is queued. Caller holds c.mu.
func (c *Cache[K, V]) forgetLocked() {
	c.emptied.Store(true)
	for {
		if _, ok := c.wb.poll(); !ok {
			break
		}
	}
	for pos, end := c.wb.head+1, c.wb.tail.Load(); pos < end; pos++ {
		c.wb.takeAhead(pos)
	}
	c.pol.unlinkAll()
	c.exp.clear()
	// Every node is unlinked: draining the stripes applies nothing, and
	// clears their slots and recent tables.
	c.rb.each(func(s *stripe[K, V]) { s.drainTo(math.MaxUint64, c, nil) })
}

// forgetIfEmptied runs forgetLocked if Close has emptied the cache: for an
// operation that found its entry before Close removed it and queued its
// event (a read's access, a removal) after Close's forgetLocked, into
// buffers nobody drains again. emptied is set before forgetLocked drains,
// and loaded after the event is published: either that drain takes the
// event, or the operation sees emptied set and drops it itself (the last
// of several publishing out of order takes them all).
func (c *Cache[K, V]) forgetIfEmptied() {
	if c.emptied.Load() {
		c.mu.Lock()
		c.forgetLocked()
		c.mu.Unlock()
	}
}

// keyValue is one entry of a snapshot.
type keyValue[K comparable, V any] struct {
	key   K
	value V
}

// snapshot returns the present entries in eviction order (or reverse).
//
// The entries are copied under the maintenance lock, O(n); an LRU's order,
// whose hits only stamp their nodes, is sorted from the stamps after the
// lock is released (O(n log n)): a reader in exact mode whose read buffer
// fills meanwhile waits for the lock, so holding it for the sort stalled
// such a reader for as long (found by a review helper).
func (c *Cache[K, V]) snapshot(backward bool) []keyValue[K, V] {
	c.mu.Lock()
	notes := c.settleLocked(nil)
	if l := c.lru; l != nil {
		type stampedKV struct {
			stamp uint64
			kv    keyValue[K, V]
		}
		items := make([]stampedKV, 0, l.len())
		l.stamped(func(stamp uint64, x *node[K, V]) {
			if e, ok := c.m.Load(x.key); ok && e.n == x {
				items = append(items, stampedKV{stamp, keyValue[K, V]{x.key, e.value}})
			}
		})
		c.mu.Unlock()
		c.deliver(notes)
		sortStamped(items, func(it stampedKV) uint64 { return it.stamp })
		nodes := make([]keyValue[K, V], len(items))
		for i, it := range items {
			if backward {
				i = len(items) - 1 - i
			}
			nodes[i] = it.kv
		}
		return nodes
	}
	nodes := make([]keyValue[K, V], 0, c.pol.len())
	visit := func(x *node[K, V]) bool {
		// A linked node is present unless its removal is in flight; its
		// value is in the map.
		if e, ok := c.m.Load(x.key); ok && e.n == x {
			nodes = append(nodes, keyValue[K, V]{x.key, e.value})
		}
		return true
	}
	if backward {
		c.pol.descend(visit)
	} else {
		c.pol.ascend(visit)
	}
	c.mu.Unlock()
	c.deliver(notes)
	return nodes
}

// deliver makes the listener calls for notes, in order. Never called with
// c.mu held.
//
// A listener that calls runtime.Goexit ends the calling goroutine, which
// notify cannot recover from; deliver still makes the other calls, from a
// deferred function, before the goroutine exits.
func (c *Cache[K, V]) deliver(notes []notification[K, V]) {
	c.deliverNotes(notes, true)
}

// deliverCounted is deliver for notes already counted (countRemovals).
func (c *Cache[K, V]) deliverCounted(notes []notification[K, V]) {
	c.deliverNotes(notes, false)
}

// countRemovals counts the removals of notes in Stats.
func (c *Cache[K, V]) countRemovals(notes []notification[K, V]) {
	for _, x := range notes {
		c.removals[x.cause].Add(1)
	}
}

func (c *Cache[K, V]) deliverNotes(notes []notification[K, V], count bool) {
	if len(notes) == 0 { // most drains, a reader's included: no deferred call to set up
		return
	}
	delivered := 0
	defer func() {
		if delivered < len(notes) { // notes[delivered]'s listener called runtime.Goexit
			c.deliverNotes(notes[delivered+1:], count)
		}
	}()
	for _, x := range notes {
		if count {
			c.removals[x.cause].Add(1)
		}
		c.listen(x.key, x.value, x.cause)
		delivered++
	}
}

// notify counts a removal and calls the listener, recovering its panics.
// Never called with c.mu held.
func (c *Cache[K, V]) notify(key K, value V, cause Cause) {
	c.removals[cause].Add(1)
	c.listen(key, value, cause)
}

// listen calls the listener, if any, recovering its panics. Never called
// with c.mu held.
func (c *Cache[K, V]) listen(key K, value V, cause Cause) {
	if c.onEvict == nil {
		return
	}
	r, stack, panicked := c.callListener(key, value, cause)
	if !panicked {
		return
	}
	c.listenerPanics.Add(1)
	if c.onPanic != nil {
		c.reportListenerPanic(r, stack, cause)
	} else {
		slog.Error("concurrent: OnEvict panicked", "cause", cause.String(), "panic", r)
	}
}

// callListener calls OnEvict and reports whether it panicked, with what and,
// for OnListenerPanic, the stack at the panic. A runtime.Goexit of the
// listener goes on through it (it does not return): recover gives nil for a
// Goexit, as for panic(nil) under GODEBUG=panicnil=1, which it stops, so
// only returning tells the two apart.
func (c *Cache[K, V]) callListener(key K, value V, cause Cause) (r any, stack []byte, panicked bool) {
	normal := false
	defer func() {
		if !normal {
			r, panicked = recover(), true
			if r == nil {
				r = new(runtime.PanicNilError) // as a panic(nil) is without that setting
			}
			if c.onPanic != nil {
				stack = debug.Stack()
			}
		}
	}()
	c.onEvict(key, value, cause)
	normal = true
	return nil, nil, false
}

// reportListenerPanic hands OnEvict's panic to OnListenerPanic. A panic of
// OnListenerPanic itself is recovered and logged (its value and OnEvict's,
// as when OnListenerPanic is nil): on the maintenance goroutine it would
// end the process, and on a caller's it would lose the calls after it.
func (c *Cache[K, V]) reportListenerPanic(r any, stack []byte, cause Cause) {
	defer func() {
		if r2 := recover(); r2 != nil {
			slog.Error("concurrent: OnListenerPanic panicked", "cause", cause.String(), "panic", r2, "OnEvict's panic", r)
		}
	}()
	c.onPanic(r, stack)
}
