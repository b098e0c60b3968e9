package concurrent

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/puzpuzpuz/xsync/v4"

	"github.com/clientcache/clientcache/internal/endcause"
)

// Cache is a bounded, concurrent map from K to V with LRU or W-TinyLFU
// eviction. All methods are safe for concurrent use. Reads ([Cache.Get],
// [Cache.Contains]) look the key up without a lock and allocate nothing; a
// Get takes the maintenance lock only to apply a full read buffer (see
// [Cache.Get]). See the package documentation for the consistency model.
//
// A Cache owns one maintenance goroutine; [Cache.Close] stops it and hands the
// remaining entries to [Options.OnEvict]. A Cache must not be copied.
//
// A Cache must be made by [New] (or [Cache.Clone]). A nil *Cache or a zero
// Cache is a programming error: the methods that return an error return an
// [*OptionError] naming the method ("(*Cache).Add"); the others panic, with
// that error as the panic value (except Get, Touch and Contains, whose hit
// path has no room for the check: they panic with a nil dereference; and
// except, on a zero Cache, Len, MaxSize, String and Stats, which report an
// empty cache of bound 0).
type Cache[K comparable, V any] struct {
	// Read-mostly fields first, apart from the counters written on every
	// read (inside rb, padded) and on every write (below rb).
	m        *xsync.Map[K, entry[K, V]] // the entries; the source of truth for presence and values
	wb       *writeBuffer[K, V]
	onEvict  func(K, V, Cause)
	onPanic  func(any, []byte)
	opts     Options[K, V] // as validated, for Clone
	lfu      bool          // compute node.hash for the frequency sketch
	seed     uint64        // Options.Seed, or the seed drawn for it; a clone keeps it
	hash     hasher[K]
	wake     chan struct{} // cap 1; a token asks the maintenance goroutine to drain
	stop     chan struct{} // closed to stop the maintenance goroutine
	done     chan struct{} // closed when the maintenance goroutine has returned
	cleanup  runtime.Cleanup
	closeMu  sync.Mutex // serialises Close; a second caller waits for the first
	isClosed bool       // guarded by closeMu
	// emptied is set, under mu, once Close has removed the entries: from
	// then on, the events a late operation queues are dropped (see
	// forgetLocked), by the operation itself once it has queued them
	// (forgetIfEmptied). Read-mostly: readers load it after their push.
	emptied atomic.Bool

	expiring bool // an expiry option is set
	// readTimes holds, with expiry, the time of each read event of the
	// first stripe, by position (see recordReadAt): a drain in exact mode
	// expires what was due at a read before applying it.
	readTimes *[stripeSize]int64
	stats     bool         // Options.RecordStats: count hits, misses and dropped reads
	exp       expiry[K, V] // its lists are guarded by mu

	// Loading (see GetOrLoad).
	loads       *xsync.Map[K, *call[V]] // loads in flight, one per key
	loading     atomic.Int64            // len(loads), counted before a call is visible
	loadTimeout time.Duration
	// loadTimeoutErr is the cause of a load's end at loadTimeout (see
	// loadEnded).
	loadTimeoutErr error
	closeCtx       context.Context // cancelled by Close: cancels loads in flight
	cancelLoads    context.CancelFunc
	loadMu         sync.RWMutex // guards loadsClosed against loadWG.Add racing Close's Wait
	loadsClosed    bool
	loadWG         sync.WaitGroup // load goroutines
	loadsDone      atomic.Uint64
	loadErrors     atomic.Uint64
	loadNanos      atomic.Int64

	// testHookAfterPoll, when set by a test (under mu), runs in a drain
	// between taking the write tasks in turn and taking those out of turn.
	testHookAfterPoll func()
	// testHookStoreLoad, when set by a test before a load, runs inside the
	// map's per-key critical section of a load's store, before the stored
	// entry is visible.
	testHookStoreLoad func()
	// testHookLiveRead, when set by a test before the reads it is for,
	// runs in a read (Get, Touch) of a cache with ExpireAfterAccess between
	// its finding the entry live and its storing the access time.
	testHookLiveRead func()

	rb readBuffer[K, V]

	_      [cacheLine]byte
	size   atomic.Int64 // entries in m; changed inside m's per-key critical sections
	max    atomic.Int64 // the bound; changed under mu
	status atomic.Uint32
	closed atomic.Bool

	nextDeadline    atomic.Int64  // when the next entry expires (the expiry clock); noDeadline if none
	armedDeadline   atomic.Int64  // the nextDeadline the maintenance goroutine's timer was last armed for (see untilNextDeadline)
	maintenanceRuns atomic.Uint64 // times the maintenance goroutine woke to work

	removals       [numCauses]atomic.Uint64
	listenerPanics atomic.Uint64
	hitsSeen       atomic.Uint64 // the most Hits Stats reported (see Stats)

	mu  sync.Mutex   // guards pol, the consumer side of rb and wb, and target/removed
	pol policy[K, V] // the eviction order
	// maintaining is set while the maintenance goroutine drains (guarded
	// by mu): its own drains need not wake it to re-arm its timer.
	maintaining bool
	lru         *lru[K, V] // pol itself when it is LRU, to call it directly on the drain path
	// target, removed and removedValue carry the argument and results of
	// removeTarget, a map callback built once so that evicting allocates
	// nothing.
	target       *node[K, V]
	removed      bool
	removedValue V
	removeTarget func(entry[K, V], bool) (entry[K, V], xsync.ComputeOp)
}

// New returns an empty cache configured by o, or an [*OptionError] naming the
// first invalid option. It starts the cache's maintenance goroutine.
func New[K comparable, V any](o Options[K, V]) (*Cache[K, V], error) {
	return newCache(o, false)
}

// newCache is New; placeholder gives the cache an empty LRU policy instead
// of the one o names, for Clone, which puts a copy of the original's policy
// in its place: an LFU policy's tables are sized from the bound (about
// 1.75 GiB at MaxLFUSize), and Clone allocated a second set only to drop it.
func newCache[K comparable, V any](o Options[K, V], placeholder bool) (*Cache[K, V], error) {
	o, clockNow, err := o.validated()
	if err != nil {
		return nil, err
	}
	seed := o.Seed
	if seed == 0 {
		seed = rand.Uint64() | 1
	}
	c := &Cache[K, V]{
		m:       xsync.NewMap[K, entry[K, V]](xsync.WithPresize(min(o.MaxSize, 1<<16))),
		wb:      newWriteBuffer[K, V](writeBufferSize(o.MaxSize)),
		onEvict: o.OnEvict,
		onPanic: o.OnListenerPanic,
		opts:    o,
		lfu:     o.Policy == LFU,
		seed:    seed,
		hash:    newHasher[K](seed),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),

		expiring: o.ExpireAfterWrite > 0 || o.ExpireAfterAccess > 0,
		stats:    o.RecordStats,
		exp: expiry[K, V]{
			ttl:   int64(o.ExpireAfterWrite),
			tta:   int64(o.ExpireAfterAccess),
			res:   min(accessResolution, int64(o.ExpireAfterAccess)/10),
			clock: o.Clock,
		},
		loads:       xsync.NewMap[K, *call[V]](),
		loadTimeout: o.LoadTimeout,
	}
	if o.LoadTimeout > 0 {
		c.loadTimeoutErr = endcause.Timeout(fmt.Sprintf("concurrent: the load ran past Options.LoadTimeout (%v)", o.LoadTimeout))
	}
	if o.Clock != nil {
		c.exp.epoch = clockNow // New calls Now once, in validated
	} else {
		c.exp.epoch = time.Now()
	}
	c.exp.lists[byWrite].which, c.exp.lists[byAccess].which = byWrite, byAccess
	if c.expiring {
		c.readTimes = new([stripeSize]int64)
	}
	c.nextDeadline.Store(noDeadline)
	c.armedDeadline.Store(noDeadline)
	c.closeCtx, c.cancelLoads = context.WithCancel(context.Background())
	c.rb.init()
	c.max.Store(int64(o.MaxSize))
	if placeholder {
		c.pol = newLRU[K, V]()
	} else if c.pol, err = newPolicy[K, V](o.Policy, o.MaxSize, seed); err != nil {
		return nil, err
	}
	c.lru, _ = c.pol.(*lru[K, V])
	c.removeTarget = func(cur entry[K, V], loaded bool) (entry[K, V], xsync.ComputeOp) {
		if loaded && cur.n == c.target {
			c.retire(cur.n)
			cur.n.released = true // no event will remove it: its insertion's must not link it
			c.removed, c.removedValue = true, cur.value
			return entry[K, V]{}, xsync.DeleteOp
		}
		return cur, xsync.CancelOp
	}
	// The goroutine holds the cache only weakly between drains, so a cache
	// dropped without Close is still collected; the cleanup then stops it.
	go maintenanceLoop(weak.Make(c), c.wake, c.stop, c.done)
	c.cleanup = runtime.AddCleanup(c, func(stop chan struct{}) { close(stop) }, c.stop)
	return c, nil
}

// unusable returns an *OptionError naming method if c is nil or a zero
// Cache, whose nil fields the method would dereference.
func (c *Cache[K, V]) unusable(method string) error {
	switch {
	case c == nil:
		return &OptionError{Param: "(*Cache)." + method, Value: "nil *Cache", Reason: "make one with New"}
	case c.m == nil:
		return &OptionError{Param: "(*Cache)." + method, Value: "a zero Cache", Reason: "make one with New"}
	}
	return nil
}

// mustBeUsable panics with unusable's *OptionError, if any: for the
// methods that return no error.
func (c *Cache[K, V]) mustBeUsable(method string) {
	if err := c.unusable(method); err != nil {
		panic(err)
	}
}

// writeBufferSize scales the write buffer with the cache (a small cache needs
// few slots) and with the processors that may write at once.
func writeBufferSize(maxSize int) int {
	return min(max(16, maxSize), 128*runtime.GOMAXPROCS(0))
}

// Get returns the value for key and records the access for the eviction
// policy. It allocates nothing, and takes no lock except to apply a full read
// buffer: while one goroutine uses the cache, every access is kept, so one
// Get in 64 applies the buffered accesses itself (a short critical section
// that readers of other goroutines never wait for, which also removes the
// entries that have expired and hands them to OnEvict; it waits for the
// maintenance lock if another goroutine holds it: the copy of All, Clone,
// Resize, Sync, a drain of the maintenance goroutine); under contention a
// reader never applies the buffer: when its stripe is full, the access is
// dropped and the maintenance goroutine is asked to drain. See the package
// documentation.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	e, ok := c.m.Load(key)
	if ok && c.rb.saturated.Load() && !c.expiring {
		// A contended hit while the maintenance goroutine is behind,
		// which is nearly every hit when readers outrun it: the access is
		// dropped, and only counted (with RecordStats, by sampling). It is
		// tested here, before any other call: each call (and each locked
		// instruction) on this path costs a sizeable part of the lookup.
		// (Only a contended buffer saturates.) This is dropSaturated, written
		// out: called instead, it measured 7% slower in one A/B run (LFU).
		if c.stats && sampled() {
			c.rb.pick().dropped.Add(skipSample)
		}
		return e.value, true
	}
	return c.got(e, ok)
}

// got completes a Get that found e (if ok) in the map.
func (c *Cache[K, V]) got(e entry[K, V], ok bool) (V, bool) {
	if ok && c.expiring {
		if now, live := c.liveAfterRead(e.n); live {
			c.recordReadAt(e.n, now, false)
			return e.value, true
		}
		ok = false
	}
	if !ok {
		if c.stats {
			c.rb.pick().misses.Add(1)
		}
		var zero V
		return zero, false
	}
	c.recordRead(e.n)
	return e.value, true
}

// Touch returns the value for key and records the access for the eviction
// policy (and for ExpireAfterAccess), as [Cache.Get] does, but counts neither
// a hit nor a miss in [Cache.Stats]: it is for a use of an entry on behalf of
// another, which is not a request for it (an entry another one was built
// from, which should stay as long as that one is in use). Like Get, it
// allocates nothing and takes no lock except to apply a full read buffer.
func (c *Cache[K, V]) Touch(key K) (V, bool) {
	e, ok := c.m.Load(key)
	if ok && c.expiring {
		if now, live := c.liveAfterRead(e.n); live {
			c.recordReadAt(e.n, now, true)
			return e.value, true
		}
		ok = false
	}
	if !ok {
		var zero V
		return zero, false
	}
	c.recordTouch(e.n)
	return e.value, true
}

// recordTouch records an access to n that is not a request for its key
// (Touch, and a Set that replaced n's value in place): in the read buffer,
// as a hit's, which counts it as a hit in the stripe's tail if its event
// claims a position; the touched count takes that back (see pushRead). An
// event not queued is not counted as a hit: one skipped as already queued
// counts nothing, and a dropped one is counted as a dropped read only.
func (c *Cache[K, V]) recordTouch(n *node[K, V]) { c.recordReadAt(n, 0, true) }

// pushRead pushes n's event, a read made at now, into s; into the first
// stripe of a cache with expiry, with its time (see recordReadAt). For a
// touch (with RecordStats) it counts the touch first and takes it back if
// the push failed: counted after the push, a Stats between the two saw the
// touch as a hit, and the next Stats took it back (see readBuffer.counts).
func (c *Cache[K, V]) pushRead(s *stripe[K, V], n *node[K, V], touch bool, now int64) pushResult {
	counted := touch && c.stats
	if counted {
		s.touched.Add(1)
	}
	var r pushResult
	if c.readTimes != nil && s == &c.rb.first {
		r = s.pushAt(n, now, c.readTimes)
	} else {
		r = s.push(n)
	}
	if counted && r != pushed {
		s.touched.Add(^uint64(0))
	}
	return r
}

// liveAfterRead reports whether n has not expired at now, the time it
// returns, and stores the access time for ExpireAfterAccess (at most once per
// expiry.res).
func (c *Cache[K, V]) liveAfterRead(n *node[K, V]) (now int64, live bool) {
	now = c.exp.now()
	if c.exp.expired(n, now) {
		return now, false
	}
	if c.testHookLiveRead != nil {
		c.testHookLiveRead()
	}
	if c.exp.tta > 0 {
		// Never set it back: a reader whose earlier reading lost the race
		// to a later one's store leaves the later time. A removal that
		// found n idle since the check above (at a later time) has set
		// idleBit (see expiry.expire): this read comes after it.
		for {
			a := n.tl.accessed.Load()
			if a&idleBit != 0 {
				return now, false
			}
			if now-a < c.exp.res || now <= a || n.tl.accessed.CompareAndSwap(a, now) {
				break
			}
		}
	}
	return now, true
}

// recordReadAt is recordRead (or, if touch, recordTouch) for a read made at
// now (0 without expiry). With expiry, in exact mode the time goes into readTimes
// beside the event, so that the drain first removes what had expired by
// then, as the maintenance goroutine's timer may have done before the read:
// otherwise an entry that expired before the read was still in the policy
// when the read was applied, or was not, depending on when the timer fired,
// and an LFU cache used from one goroutine gave different orders from run to
// run (a read that promotes an entry into a full protected segment demotes
// another, and an expired entry counts towards that segment).
func (c *Cache[K, V]) recordReadAt(n *node[K, V], now int64, touch bool) {
	if !c.rb.contended() {
		if r := c.pushRead(&c.rb.first, n, touch, now); r != pushed {
			c.recordExactSlow(n, r, touch, now)
		}
	} else {
		c.recordContended(n, touch)
	}
	c.forgetIfEmptied()
}

// live reports whether n has not expired (without counting an access).
func (c *Cache[K, V]) live(n *node[K, V]) bool {
	return !c.expiring || !c.exp.expired(n, c.exp.now())
}

// recordRead puts a hit in the read buffer. In exact mode every hit is
// recorded in order (see recordExactSlow). In contended mode a hit costs no
// locked instruction unless it records something: an entry whose access is
// already buffered is only counted, and a full stripe wakes the maintenance
// goroutine and drops the access instead of making the reader drain; until
// that drain, the buffer is saturated and every contended read is dropped
// after one load. A read that found its entry before Close removed it and
// queues its event once Close has emptied the cache drops it again
// (forgetIfEmptied): nobody drains a closed cache's buffers.
func (c *Cache[K, V]) recordRead(n *node[K, V]) {
	if !c.rb.contended() {
		if r := c.rb.first.push(n); r != pushed {
			c.recordExactSlow(n, r, false, 0)
		}
	} else {
		c.recordContended(n, false)
	}
	c.forgetIfEmptied()
}

// recordContended records a read in contended mode. touch says the read is
// no request (see recordTouch): if its event does not go into a stripe, it
// is not counted as a hit.
func (c *Cache[K, V]) recordContended(n *node[K, V], touch bool) {
	if c.rb.saturated.Load() {
		c.dropSaturated(touch)
		return
	}
	s := c.rb.pick()
	if s.queued(n) {
		if !touch {
			c.countSampled(&s.skipped)
		}
		return
	}
	if s.full() {
		c.dropRead(s, touch)
		return
	}
	// Remember n before publishing its event, so that the drain that
	// consumes the event clears the entry after this store, never before.
	recent := &s.recent[recentIndex(n)]
	recent.Store(n)
	r := c.pushRead(s, n, touch, 0)
	if r == pushed {
		return
	}
	recent.CompareAndSwap(n, nil)
	if r == contended { // another reader took the slot: spread out more
		c.rb.grow()
	}
	c.dropRead(s, touch)
}

// dropSaturated counts a hit dropped because the read buffer is saturated.
// It is counted by sampling in the reader's own stripe, found only for the
// sampled reads: a counter shared by the readers would move its cache line
// from core to core.
func (c *Cache[K, V]) dropSaturated(touch bool) {
	if c.stats && sampled() {
		s := c.rb.pick()
		if touch { // a dropped read, but no hit (see recordTouch)
			s.droppedTouches.Add(skipSample)
		} else {
			s.dropped.Add(skipSample)
		}
	}
}

// countSampled counts one event in ctr with RecordStats, by sampling: a
// locked add per hit would cost as much as the lookup, so 1 in skipSample is
// counted, scaled up.
func (c *Cache[K, V]) countSampled(ctr *atomic.Uint64) {
	if c.stats && sampled() {
		ctr.Add(skipSample)
	}
}

// sampled reports whether this event is one of the 1 in skipSample counted.
func sampled() bool { return cheaprand()&(skipSample-1) == 0 }

// Contains reports whether key is present (and not expired), without
// recording an access.
func (c *Cache[K, V]) Contains(key K) bool {
	e, ok := c.m.Load(key)
	return ok && c.live(e.n)
}

// Add inserts key with value. It returns [ErrExists], and changes nothing,
// if key is present: the cache never overwrites silently. (An expired entry
// not yet removed is not present: Add replaces it, handing it to OnEvict
// with cause [Expired].) If the insertion makes the cache exceed its maximum,
// Add evicts before it returns.
func (c *Cache[K, V]) Add(key K, value V) error {
	if err := c.unusable("Add"); err != nil {
		return err
	}
	if c.closed.Load() {
		return ErrClosed
	}
	return c.store(key, value, storeAdd, nil)
}

// Set inserts key with value, or replaces the present value (which is handed
// to OnEvict with cause [Replaced]). A replacement counts as an access. If an
// insertion makes the cache exceed its maximum, Set evicts before it returns.
func (c *Cache[K, V]) Set(key K, value V) error {
	if err := c.unusable("Set"); err != nil {
		return err
	}
	if c.closed.Load() {
		return ErrClosed
	}
	return c.store(key, value, storeSet, nil)
}

// Delete removes key and reports whether it was present. The removed value
// is handed to OnEvict with cause [Explicit] before Delete returns. (An
// expired entry not yet removed is not present: Delete removes it, handing
// it to OnEvict with cause [Expired], and reports false.)
func (c *Cache[K, V]) Delete(key K) bool {
	c.mustBeUsable("Delete")
	_, ok := c.remove(key)
	return ok
}

// Pop removes key and returns its value, or [ErrNotFound] if it is absent
// ([ErrClosed] after Close). The value is handed to OnEvict with cause
// [Explicit]. (An expired entry not yet removed is absent: Pop removes it,
// handing it to OnEvict with cause [Expired], and returns ErrNotFound.)
func (c *Cache[K, V]) Pop(key K) (V, error) {
	if err := c.unusable("Pop"); err != nil {
		var zero V
		return zero, err
	}
	v, ok := c.remove(key)
	if !ok {
		if c.closed.Load() {
			return v, ErrClosed
		}
		return v, ErrNotFound
	}
	return v, nil
}

// PopVictim removes and returns the entry the policy would evict next (the
// first of [Cache.All]), or ok == false if the policy holds no entry: the
// cache is empty, or its only entries are those of writes still in progress
// (stored and counted by Len, but whose events the writers have not yet
// queued; such an entry is never a victim before its write has queued its
// event). The entry is handed to OnEvict with cause [Explicit]. An expired
// entry met first (under contention one can wait behind a live one; see
// [Options].ExpireAfterAccess) is removed with cause [Expired] instead and
// passed over.
func (c *Cache[K, V]) PopVictim() (key K, value V, ok bool) {
	c.mustBeUsable("PopVictim")
	c.mu.Lock()
	notes := c.drainLocked(nil)
	now := int64(0)
	if c.expiring {
		now = c.exp.now()
	}
	for {
		v := c.evictOne()
		if v == nil {
			break
		}
		val, removed := c.removeLocked(v)
		switch {
		case !removed:
		case c.evictionCause(v, now) == Expired:
			// Expired, and waiting behind a live entry (see
			// Options.ExpireAfterAccess): not a victim to return.
			notes = append(notes, notification[K, V]{v.key, val, Expired})
		default:
			key, value, ok = v.key, val, true
		}
		if ok {
			break
		}
	}
	c.mu.Unlock()
	if ok {
		// In the batch, so that a listener's runtime.Goexit for an entry
		// the drain expired does not lose this call (see deliver).
		notes = append(notes, notification[K, V]{key, value, Explicit})
	}
	c.deliver(notes)
	return key, value, ok
}

// Len returns the number of entries. It is exact whenever no write is in
// progress; a write counts its entry in (or out) just before other
// goroutines can see it stored (or removed), so while writes are in
// progress, Len may count entries Get does not see yet, or still sees. From
// one goroutine, and once the writes have returned, it is exact.
func (c *Cache[K, V]) Len() int {
	if c == nil { // a zero Cache reports 0; a nil one is no cache (see Cache)
		c.mustBeUsable("Len")
	}
	return int(c.size.Load())
}

// MaxSize returns the current bound.
func (c *Cache[K, V]) MaxSize() int {
	if c == nil {
		c.mustBeUsable("MaxSize")
	}
	return int(c.max.Load())
}

// Resize changes the bound to n: at least 1, and for an LFU cache at most
// [MaxLFUSize] (otherwise Resize returns an [*OptionError] naming n and
// changes nothing). Shrinking evicts, with cause
// [Size] (an expired entry it reaches goes as [Expired]), down to n before
// Resize returns: in policy order, then, if that
// is not enough, entries of writes in progress that the policy has not seen
// yet, in no particular order. The policy order is the one it has at the new
// size, which for LFU may differ from the order [Cache.All] gave before:
// the window shrinks with the cache, and the entries it no longer holds go
// to the back of the main area's probation segment, ahead of the protected
// segment (the main area's coldest entries go first, then the window's
// oldest, then protected ones), and a contest's losers go back to the front
// of probation. Once Resize has returned, the bound of the
// package documentation (Len() <= MaxSize() + W) holds for n. Resizing to
// the current bound changes nothing: in particular an LFU cache keeps what
// its policy has learned (window share, LRU mode), which a change of size
// starts over. Resize returns [ErrClosed], and changes nothing, once Close
// has begun.
func (c *Cache[K, V]) Resize(n int) error {
	if err := c.unusable("Resize"); err != nil {
		return err
	}
	if n < 1 {
		return &OptionError{Param: "Resize(n)", Value: n, Reason: "must be at least 1"}
	}
	if c.lfu && n > MaxLFUSize {
		return &OptionError{Param: "Resize(n)", Value: n, Reason: lfuSizeReason}
	}
	if c.closed.Load() {
		return ErrClosed
	}
	if testHookResizeLock != nil {
		testHookResizeLock()
	}
	notes, err := c.resize(n)
	c.deliver(notes)
	return err
}

// testHookResizeLock, when set by a test, runs as Resize is about to take
// the cache's lock.
var testHookResizeLock func()

// resize does Resize's work under c.mu, which it releases even if the policy
// panics (the bound is stored only once the policy has taken it). The events
// buffered before the call are applied first, at the old size, as they were
// when they happened. It returns ErrClosed, and changes nothing, if Close
// began since Resize checked: Close sets closed before it takes c.mu to
// empty the cache, and a closed cache's policy is never sized anew (an LFU
// policy would allocate its tables for nothing).
func (c *Cache[K, V]) resize(n int) ([]notification[K, V], error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return nil, ErrClosed
	}
	notes := c.settleLocked(nil)
	if int64(n) != c.max.Load() {
		c.pol.setMax(n)
		c.max.Store(int64(n))
	}
	return c.evictToBoundLocked(notes), nil
}

// Sync applies every buffered read and write to the policy, removes expired
// entries and enforces the bound before it returns. When no other goroutine
// is using the cache, the state afterwards is exact: Len() <= MaxSize(), and
// the order of [Cache.All] is exactly the policy's. Listener calls for the
// removals Sync makes are done when it returns; those of removals the
// maintenance goroutine made just before (expiry) may still be running on
// that goroutine, or yet to start (such a removal has left Len, and is
// counted in [Stats], all the same). [Cache.Close] waits for them.
func (c *Cache[K, V]) Sync() {
	c.mustBeUsable("Sync")
	c.mu.Lock()
	notes := c.settleLocked(nil)
	notes = c.evictLocked(notes)
	c.mu.Unlock()
	c.deliver(notes)
}

// Clear removes every entry, handing each to OnEvict with cause [Cleared]
// in eviction order (an expired entry not yet removed goes first, as
// [Expired]), and detaches the loads in flight (their results go to
// their waiters but are not stored). Entries stored concurrently with Clear
// may survive it. With LFU, Clear allocates the policy a new frequency
// sketch and tables sized from the bound, as New does, and leaves the old
// ones to the garbage collector.
func (c *Cache[K, V]) Clear() {
	c.mustBeUsable("Clear")
	c.loads.Range(func(_ K, cl *call[V]) bool {
		cl.detached.Store(true)
		return true
	})
	c.mu.Lock()
	// settle, not only drain: an entry that expired behind a live one
	// under contention is removed as Expired, as Sync would.
	notes := c.settleLocked(nil)
	notes = c.removeAllLocked(notes, Cleared)
	c.mu.Unlock()
	c.deliver(notes)
}

// Close cancels the loads in flight (their loaders' contexts are cancelled)
// and waits for their loaders to return, stops the maintenance goroutine and
// waits for it, then removes every entry, handing each to OnEvict with cause
// [Closed] (an expired entry not yet removed goes first, as [Expired]).
// Afterwards writes and GetOrLoad return [ErrClosed], reads miss
// and Len is 0. Close is idempotent: later calls wait for the first to finish
// and return nil. Operations running concurrently with Close may complete
// after it: a write that finds the cache closed before it stores its value
// fails with ErrClosed, having changed nothing; a write that has stored its
// value succeeds (with whatever it did besides: a replaced value handed to
// OnEvict as Replaced, an entry evicted with cause Size), and its value is
// removed too, handed to OnEvict with cause Closed. OnEvict and loaders must
// not call Close; a loader that ignores its context's cancellation delays
// Close.
func (c *Cache[K, V]) Close() error {
	if err := c.unusable("Close"); err != nil {
		return err
	}
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if c.isClosed {
		return nil
	}
	c.isClosed = true
	c.closed.Store(true)
	c.loadMu.Lock()
	c.loadsClosed = true
	c.loadMu.Unlock()
	c.cancelLoads()
	c.loadWG.Wait()
	c.cleanup.Stop()
	close(c.stop)
	<-c.done
	c.mu.Lock()
	notes := c.settleLocked(nil)
	notes = c.removeAllLocked(notes, Closed)
	c.forgetLocked()
	c.mu.Unlock()
	c.deliver(notes)
	return nil
}

// testHookCloneLock and testHookCloneCopy, when set by a test, run as Clone
// is about to take the original's lock and, with the lock held, as it copies
// each node.
var testHookCloneLock, testHookCloneCopy func()

// Clone returns a new cache with the same options, maximum size, entries and
// eviction state (for LFU, the sketch and segments too), so that both caches
// evict in the same order. The clone shares OnEvict and has its own
// maintenance goroutine and zeroed statistics. Like [Cache.Sync], Clone first
// applies the buffered events and enforces the original's bound (its
// evictions are handed to OnEvict before Clone returns); the clone is then
// within the same bound. Entries written concurrently with Clone may be
// missing from the copy. Clone returns [ErrClosed] once Close has begun.
func (c *Cache[K, V]) Clone() (*Cache[K, V], error) {
	if err := c.unusable("Clone"); err != nil {
		return nil, err
	}
	if c.closed.Load() {
		return nil, ErrClosed
	}
	o := c.opts
	o.MaxSize = c.MaxSize() // to size the clone's buffers; the bound itself is read under c.mu
	// The copied sketch, ghosts and duel hold hashes made with c's seed (the
	// one drawn for it if Options.Seed is 0): the clone's new keys must be
	// hashed alike, and its flooding defence seeded alike.
	o.Seed = c.seed
	d, err := newCache(o, true) // cloneInto puts the copy of c's policy in
	if err != nil {
		return nil, err
	}
	if testHookCloneLock != nil {
		testHookCloneLock()
	}
	// If the policy panics while it copies itself, the locks are released
	// and the half-made clone is emptied without a word to OnEvict (its
	// values are the original's) and closed, before the panic goes on.
	made := false
	defer func() {
		if !made {
			d.abandon()
		}
	}()
	notes, closed := c.cloneInto(d)
	made = true // or closed already
	if closed {
		return nil, ErrClosed
	}
	c.deliver(notes)
	return d, nil
}

// cloneInto copies c into d, a new cache, under both caches' locks, which
// it releases even if the policy panics; it reports closed if c was closed
// meanwhile (d is then closed too).
func (c *Cache[K, V]) cloneInto(d *Cache[K, V]) (notes []notification[K, V], closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Close sets closed before it takes c.mu to empty the cache: a Close
	// that began since the check in Clone may have emptied it already.
	if c.closed.Load() {
		_ = d.Close()
		return nil, true
	}
	// The bound cannot change while c.mu is held (Resize takes it): the clone
	// gets the bound the copied policy was sized for.
	bound := c.max.Load()
	d.max.Store(bound)
	d.opts.MaxSize = int(bound)
	notes = c.settleLocked(nil)
	// A linked node whose removal is still in flight must not be copied: let
	// go of it now, from the policy and the expiry lists alike (its pending
	// removal then finds it unlinked).
	var gone []*node[K, V]
	c.pol.ascend(func(x *node[K, V]) bool {
		if x.retired.Load() {
			gone = append(gone, x)
		}
		return true
	})
	for _, x := range gone {
		c.unlink(x)
	}
	// The drain may have linked the entries of writers that overflowed the
	// bound and have not evicted yet. Evict for them, as Sync does, so that
	// the clone, in which no write is in flight, starts within its bound.
	notes = c.evictLocked(notes)
	d.mu.Lock()
	defer d.mu.Unlock()
	copies := make(map[*node[K, V]]*node[K, V], c.pol.len())
	var vanished []*node[K, V] // linked nodes removed from the map during the copy
	d.pol = c.pol.clone(func(x *node[K, V]) *node[K, V] {
		var y *node[K, V]
		if x.tl != nil {
			y = newTimedNode[K, V](x.key, x.tl.born)
			y.tl.placedAt = x.tl.placedAt
			y.tl.accessed.Store(x.tl.lastAccess())
		} else {
			y = &node[K, V]{key: x.key}
		}
		y.hash = x.hash
		copies[x] = y
		if testHookCloneCopy != nil {
			testHookCloneCopy()
		}
		// x was present at the drain, but Delete, Pop and Set take no lock:
		// one may have removed or replaced it since. Its value is then no
		// longer the cache's to copy.
		if e, ok := c.m.Load(x.key); ok && e.n == x {
			d.m.Store(y.key, entry[K, V]{value: e.value, n: y})
			d.size.Add(1)
		} else {
			vanished = append(vanished, x)
		}
		return y
	})
	// Drop the copies of the vanished nodes, and let go of the originals as
	// of the retired nodes above, so that both caches keep the same order.
	for _, x := range vanished {
		d.pol.remove(copies[x])
		c.unlink(x)
	}
	d.lru, _ = d.pol.(*lru[K, V])
	// The clone's clock starts at the original's epoch, so copied times keep
	// their meaning; its expiry lists keep the original's order.
	d.exp.epoch = c.exp.epoch
	d.exp.latest.Store(c.exp.latest.Load())
	for w := range c.exp.lists {
		for x := c.exp.lists[w].head; x != nil; x = x.tl.next[w] {
			d.exp.lists[w].pushBack(copies[x])
		}
		d.exp.lists[w].unordered = c.exp.lists[w].unordered
	}
	d.nextDeadline.Store(c.nextDeadline.Load())
	d.scheduleDrain() // arms the clone's expiry timer
	return notes, false
}

// abandon empties d, a clone whose copy failed, without calling OnEvict
// (the values are the original cache's), and closes it.
func (d *Cache[K, V]) abandon() {
	d.mu.Lock()
	d.m.Clear()
	d.size.Store(0)
	d.pol.clear()
	d.exp.clear()
	d.mu.Unlock()
	_ = d.Close()
}

// Keys returns the keys in eviction order, the next victim first (see
// [Cache.All]). Like All, it iterates over a snapshot.
func (c *Cache[K, V]) Keys() iter.Seq[K] {
	c.mustBeUsable("Keys")
	return func(yield func(K) bool) {
		for _, kv := range c.snapshot(false) {
			if !yield(kv.key) {
				return
			}
		}
	}
}

// Values returns the values in eviction order, the next victim first (see
// [Cache.All]). Like All, it iterates over a snapshot.
func (c *Cache[K, V]) Values() iter.Seq[V] {
	c.mustBeUsable("Values")
	return func(yield func(V) bool) {
		for _, kv := range c.snapshot(false) {
			if !yield(kv.value) {
				return
			}
		}
	}
}

// All returns the entries in eviction order, the next victim first: the
// order in which [Cache.PopVictim] removes them (and, for LRU, a shrinking
// [Cache.Resize]; for LFU see Resize). For LRU it is least recently used
// first, and a write over the bound evicts the first entry too. For LFU
// (see [LFU]) a write over the bound evicts the loser of the admission
// contest it starts, which need not be the first entry: the new entry
// enters the window and pushes the window's oldest (listed among the last)
// to a contest with a victim among the first entries of the main area, and
// a ghost hit may move the window's boundary first.
//
// When iteration starts, All applies the buffered events (and removes any
// expired entry that contended reads left waiting behind a live one; see
// [Options].ExpireAfterAccess) and copies the entries (O(n) under the
// maintenance lock; LRU then sorts the copy by last use, O(n log n),
// without the lock; see the package documentation for the readers that
// wait meanwhile), then yields from the copy without holding any lock: the
// loop body may use the cache freely, and changes made meanwhile are not
// reflected. Reading entries through All does not count as access.
func (c *Cache[K, V]) All() iter.Seq2[K, V] {
	c.mustBeUsable("All")
	return c.entries(false)
}

// Backward is [Cache.All] in reverse: the entry PopVictim would take last
// first.
func (c *Cache[K, V]) Backward() iter.Seq2[K, V] {
	c.mustBeUsable("Backward")
	return c.entries(true)
}

func (c *Cache[K, V]) entries(backward bool) iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for _, kv := range c.snapshot(backward) {
			if !yield(kv.key, kv.value) {
				return
			}
		}
	}
}

// String returns a one-line summary: policy, size and bound. It never prints
// keys or values.
func (c *Cache[K, V]) String() string {
	if c == nil {
		c.mustBeUsable("String")
	}
	state := ""
	if c.closed.Load() {
		state = ", closed"
	}
	return fmt.Sprintf("concurrent.Cache[%v]{len: %d, max: %d%s}", c.opts.Policy, c.Len(), c.MaxSize(), state)
}
