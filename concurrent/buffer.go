package concurrent

import (
	"runtime"
	"sync/atomic"
	"unsafe" // also for go:linkname
)

// cacheLine is the padding unit that keeps counters written by different
// cores on different cache lines.
const cacheLine = 64

// stripeSize is the number of read events one stripe holds (a power of two).
// A reader that fills a stripe drains the buffers itself; larger stripes
// amortise the lock over more reads, smaller ones keep the drain short.
const stripeSize = 64

// skipSample is the sampling rate of hits counted in contended mode whose
// node was already queued (a power of two).
const skipSample = 16

// cheaprand is the runtime's per-thread random source: no lock, no shared
// state (the same one xsync uses for its striped counters).
//
//go:linkname cheaprand runtime.cheaprand
func cheaprand() uint32

// pushResult is the outcome of recording a read in a stripe.
type pushResult uint8

const (
	pushed    pushResult = iota // recorded
	full                        // stripe full: drain, then retry (or drop)
	contended                   // lost a race with another reader
)

// stripe is a bounded ring of read events in the style of Caffeine's
// BoundedBuffer: producers claim a position by CAS on tail, then publish the
// node in the slot with an atomic store; the single consumer (whoever holds
// Cache.mu) takes published slots from head, stops at the first one not yet
// published, and clears slots with plain stores (a producer reuses a slot
// only after it has seen head move past it). Positions only grow, so a
// position also identifies the event.
type stripe[K comparable, V any] struct {
	_    [cacheLine]byte
	head atomic.Uint64 // next position to consume; written only under Cache.mu
	_    [cacheLine - 8]byte
	tail atomic.Uint64 // next position to claim; one past the last claimed
	// Counters written by the same readers that write tail, on its line.
	// Every hit is counted exactly once: it claims a position, or it is
	// skipped (its node already waits in a buffer), or it is dropped.
	skipped atomic.Uint64 // hits whose node was already queued (contended mode; sampled)
	dropped atomic.Uint64 // hits not recorded: stripe full under contention (sampled)
	misses  atomic.Uint64
	// touched counts the events of touches (see Cache.recordTouch) that
	// claimed a position, which tail counts as hits: counted before the
	// claim, and taken back if the claim failed (see Cache.pushRead).
	touched atomic.Uint64
	// droppedTouches counts touches not recorded (sampled as dropped is):
	// dropped reads, but not hits, so not part of dropped.
	droppedTouches atomic.Uint64
	_              [cacheLine - 48]byte
	slots          [stripeSize]unsafe.Pointer // *node[K, V]
	// recent remembers, by a hash of its address, each node this stripe
	// queued since its last drain (contended mode): a reader whose node is
	// there counts the hit and records nothing more, without touching the
	// node's memory. Entries are cleared as their events are drained.
	recent [recentSize]atomic.Pointer[node[K, V]]
}

// recentSize is the number of entries of a stripe's recent table.
const recentSize = 16

// recentIndex picks a node's entry in the recent table from its address.
func recentIndex[K comparable, V any](n *node[K, V]) uintptr {
	return (uintptr(unsafe.Pointer(n)) >> 4) % recentSize
}

// queued reports whether the stripe holds an undrained event for n (as far
// as its recent table knows).
func (s *stripe[K, V]) queued(n *node[K, V]) bool { return s.recent[recentIndex(n)].Load() == n }

// full reports whether the stripe has no free slot (without claiming one).
func (s *stripe[K, V]) full() bool { return s.tail.Load()-s.head.Load() >= stripeSize }

// push claims the next slot for n's event and publishes it there.
func (s *stripe[K, V]) push(n *node[K, V]) pushResult {
	t := s.tail.Load()
	if t-s.head.Load() >= stripeSize {
		return full
	}
	if !s.tail.CompareAndSwap(t, t+1) {
		return contended
	}
	atomic.StorePointer(&s.slots[t&(stripeSize-1)], unsafe.Pointer(n))
	return pushed
}

// pushAt is push for a read made at at: at is stored in times at the
// event's position before the event is published (the drain reads it after
// the event). It repeats push's lines rather than push taking an optional
// time, or both calling a helper that claims the slot: either way every
// read paid about 6 instructions more (cachegrind, BenchmarkGetSerial LRU).
func (s *stripe[K, V]) pushAt(n *node[K, V], at int64, times *[stripeSize]int64) pushResult {
	t := s.tail.Load()
	if t-s.head.Load() >= stripeSize {
		return full
	}
	if !s.tail.CompareAndSwap(t, t+1) {
		return contended
	}
	times[t&(stripeSize-1)] = at
	atomic.StorePointer(&s.slots[t&(stripeSize-1)], unsafe.Pointer(n))
	return pushed
}

// drainTo applies published events with positions below limit to the policy,
// in order, and advances head past them; events for nodes the policy does not
// hold (not yet linked, or already gone) are skipped. It stops at the first
// unpublished slot (a reader between its CAS and its store), which the next
// drain picks up. Caller holds Cache.mu.
func (s *stripe[K, V]) drainTo(limit uint64, c *Cache[K, V], notes []notification[K, V]) []notification[K, V] {
	h := s.head.Load()
	t := min(s.tail.Load(), limit)
	// The recent table is used only in contended mode. The mode is read
	// once, after tail: a reader remembers its node only once it has seen
	// contended mode, and before it claims its position (recordContended),
	// so every event below t that a reader remembered was claimed after the
	// switch, and this load sees the switch too. Read before tail, a switch
	// in between would leave such an entry uncleared, and the node's later
	// reads skipped as already queued.
	contended := c.rb.contended()
	if !contended && s == &c.rb.first && c.readTimes != nil {
		return s.drainTimed(h, t, c, notes)
	}
	for ; h < t; h++ {
		slot := &s.slots[h&(stripeSize-1)]
		n := (*node[K, V])(atomic.LoadPointer(slot))
		if n == nil {
			break
		}
		*slot = nil // ordered before the producers' reuse by head.Store below
		if contended {
			if r := &s.recent[recentIndex(n)]; r.Load() == n {
				r.Store(nil)
			}
		}
		c.applyRead(n)
	}
	s.head.Store(h)
	return notes
}

// drainTimed is drainTo, from head h to t, for the first stripe of a cache
// with expiry in exact mode, where each read carries its time
// (recordReadAt): what had expired by then goes before the read. Every event
// below t was claimed in exact mode (drainTo read the mode after tail), so
// each has its time, and none is in the recent table. A loop of its own: the
// check of the time in drainTo's loop cost every other drain about 12
// instructions per event (cachegrind, BenchmarkGetSerial LRU).
func (s *stripe[K, V]) drainTimed(h, t uint64, c *Cache[K, V], notes []notification[K, V]) []notification[K, V] {
	times := c.readTimes
	for ; h < t; h++ {
		slot := &s.slots[h&(stripeSize-1)]
		n := (*node[K, V])(atomic.LoadPointer(slot))
		if n == nil {
			break
		}
		*slot = nil // ordered before the producers' reuse by head.Store below
		// Nearly always nothing is due: the heads say so without
		// expireAt's walk.
		if at := times[h&(stripeSize-1)]; at >= c.exp.earliest() {
			notes = c.expireAt(notes, at)
		}
		c.applyRead(n)
	}
	s.head.Store(h)
	return notes
}

// readBuffer is a lossy, striped buffer of read events. It starts in exact
// mode: one stripe, in which events keep the order of the reads that produced
// them and none is ever dropped; that is what makes a cache used from one
// goroutine behave exactly like its policy's textbook definition. The first
// failed CAS shows that several goroutines read at once, and the buffer
// switches for good to contended mode, trading exact order for throughput:
// it grows (doubling, up to maxStripes stripes), each goroutine uses the
// stripe its stack address hashes to, a node already waiting in a buffer is
// not queued again (its pending event moves it anyway), and a reader that
// finds its stripe full drops its event rather than wait, asks for a drain
// and marks the buffer saturated: until that drain, every contended reader
// drops its event after one load (when readers outrun the maintenance
// goroutine, most reads are dropped anyway, and this makes dropping them
// cost a load instead of a walk to a full stripe).
type readBuffer[K comparable, V any] struct {
	first stripe[K, V]
	// n is the number of stripes in use: 1 until contention is seen, then a
	// power of two up to len(*table).
	n     atomic.Uint32
	salt  atomic.Uint32 // changed on contention, to re-spread goroutines over stripes
	table atomic.Pointer[[]*stripe[K, V]]

	// saturated is set by the first reader that finds its stripe full in
	// contended mode and cleared by the next drain: until then every
	// contended reader drops its event after one load.
	_         [cacheLine]byte
	saturated atomic.Bool
	_         [cacheLine - 1]byte
}

// maxStripes bounds the striping: four stripes per processor (as Caffeine),
// at most 64.
func maxStripes() uint32 {
	p := uint32(runtime.GOMAXPROCS(0)) * 4
	m := uint32(1)
	for m < p && m < 64 {
		m <<= 1
	}
	return m
}

func (b *readBuffer[K, V]) init() { b.n.Store(1) }

// pick returns the stripe the calling goroutine uses.
func (b *readBuffer[K, V]) pick() *stripe[K, V] {
	n := b.n.Load()
	if n == 1 {
		return &b.first
	}
	return (*b.table.Load())[goroutineHash(b.salt.Load())&(n-1)]
}

// goroutineHash is a cheap hash that is stable for a goroutine and differs
// between goroutines: the address of a variable on the caller's stack
// (stacks are disjoint and at least 8 KiB apart, so the bits above 13 tell
// goroutines apart), mixed with a salt. The pointer is only converted to an
// integer and never used, so the variable does not escape.
//
//go:nosplit
func goroutineHash(salt uint32) uint32 {
	var x byte
	a := uint32(uintptr(unsafe.Pointer(&x)) >> 13)
	return (a ^ salt) * 0x9e3779b1 >> 16
}

// contended reports whether the buffer has left its single, ordered stripe.
func (b *readBuffer[K, V]) contended() bool { return b.n.Load() > 1 }

// grow doubles the number of stripes after a failed CAS, allocating the
// table on first use, and re-spreads goroutines over the stripes.
func (b *readBuffer[K, V]) grow() {
	b.salt.Add(0x6b43a9b5)
	if b.table.Load() == nil {
		m := maxStripes()
		if m < 2 {
			m = 2
		}
		t := make([]*stripe[K, V], m)
		t[0] = &b.first
		for i := 1; i < len(t); i++ {
			t[i] = new(stripe[K, V])
		}
		b.table.CompareAndSwap(nil, &t)
	}
	n := b.n.Load()
	if int(n) < len(*b.table.Load()) {
		b.n.CompareAndSwap(n, n*2)
	}
}

// each calls f for every stripe, the first one first (all of the table's,
// once it exists, in use or not).
func (b *readBuffer[K, V]) each(f func(*stripe[K, V])) {
	f(&b.first)
	if t := b.table.Load(); t != nil {
		for _, s := range (*t)[1:] {
			f(s)
		}
	}
}

// counts returns hits, misses and dropped reads over all stripes. The
// events of touches claim positions as hits do, and the touched counts take
// them back. A touch is counted as touched before it claims its position,
// and every tail is read before any touched count, so the hits computed are
// never more than were counted, only fewer while a touch is between its two
// steps (Cache.Stats keeps Hits from going back for that). Touches that
// claim no position are counted apart (droppedTouches) or not at all
// (skipped), never as hits.
func (b *readBuffer[K, V]) counts() (hits, misses, dropped uint64) {
	var touched uint64
	b.each(func(s *stripe[K, V]) {
		d := s.dropped.Load()
		hits += s.tail.Load() + s.skipped.Load() + d
		misses += s.misses.Load()
		dropped += d + s.droppedTouches.Load()
	})
	b.each(func(s *stripe[K, V]) { touched += s.touched.Load() })
	hits -= min(touched, hits)
	return
}

// writeOp is what a write task asks the policy to do.
type writeOp uint8

const (
	opAdd     writeOp = iota + 1 // link n
	opReplace                    // n takes the place of old
	opRemove                     // unlink n
)

// writeTask is one buffered write. readPos is the first stripe's tail when
// the task was queued: the reads before it are applied before the task, the
// reads after it after the task, so events keep program order exactly when
// the buffer has one stripe.
type writeTask[K comparable, V any] struct {
	n, old  *node[K, V]
	op      writeOp
	readPos uint64
}

// writeBuffer is a bounded multi-producer, single-consumer queue of write
// tasks (Vyukov's bounded queue: each slot carries a sequence number that
// says whose turn it is). Writes are never dropped: a writer that finds it
// full drains it under Cache.mu and tries again. A writer paused between
// claiming its slot and publishing its task holds up poll, but not the
// tasks published behind it: the consumer takes those with takeAhead.
type writeBuffer[K comparable, V any] struct {
	_     [cacheLine]byte
	tail  atomic.Uint64 // next position producers claim
	_     [cacheLine - 8]byte
	head  uint64 // next position to consume; guarded by Cache.mu
	mask  uint64
	slots []writeSlot[K, V]
}

type writeSlot[K comparable, V any] struct {
	seq  atomic.Uint64
	task writeTask[K, V]
}

func newWriteBuffer[K comparable, V any](capacity int) *writeBuffer[K, V] {
	c := 1
	for c < capacity {
		c <<= 1
	}
	w := &writeBuffer[K, V]{mask: uint64(c - 1), slots: make([]writeSlot[K, V], c)}
	for i := range w.slots {
		w.slots[i].seq.Store(uint64(i))
	}
	return w
}

// offer queues t, or reports false when the buffer is full.
func (w *writeBuffer[K, V]) offer(t writeTask[K, V]) bool {
	for {
		pos := w.tail.Load()
		slot := &w.slots[pos&w.mask]
		seq := slot.seq.Load()
		switch {
		case seq == pos: // free for this lap
			if w.tail.CompareAndSwap(pos, pos+1) {
				slot.task = t
				slot.seq.Store(pos + 1) // publish
				return true
			}
		case seq < pos: // still holds the task of the previous lap: full
			return false
		}
		// seq > pos: another producer claimed pos; reload.
	}
}

// takeAhead takes the task at position pos, behind head, if it is published
// and not yet taken, leaving an empty task (op 0) for poll to step over once
// head reaches pos. Positions between head and the tail are at most one lap
// ahead, so a slot whose sequence says "published for pos" holds pos's task.
// Caller holds Cache.mu.
func (w *writeBuffer[K, V]) takeAhead(pos uint64) (writeTask[K, V], bool) {
	slot := &w.slots[pos&w.mask]
	if slot.seq.Load() != pos+1 || slot.task.op == 0 {
		return writeTask[K, V]{}, false
	}
	t := slot.task
	slot.task = writeTask[K, V]{}
	return t, true
}

// poll takes the next published task. Caller holds Cache.mu.
func (w *writeBuffer[K, V]) poll() (writeTask[K, V], bool) {
	slot := &w.slots[w.head&w.mask]
	if slot.seq.Load() != w.head+1 {
		return writeTask[K, V]{}, false // empty, or claimed but not yet published
	}
	t := slot.task
	slot.task = writeTask[K, V]{}
	slot.seq.Store(w.head + w.mask + 1) // free for the next lap
	w.head++
	return t, true
}
