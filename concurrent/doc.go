// Package concurrent is a bounded, concurrent cache engine: a map whose
// lookups take no lock, a hard bound on its size, and LRU or W-TinyLFU
// eviction applied by a single maintenance goroutine from buffered events.
//
// # Architecture
//
//	Get ──► xsync.Map.Load ──► node ──► read buffer (striped rings, lossy only under contention)
//	                                             │
//	Add/Set/Delete/Pop ──► xsync.Map.Compute     │ drained in order, under Cache.mu, by
//	  (per-key atomic; counts Len)               │  • the maintenance goroutine (woken by writes),
//	       │                                     │  • a reader whose stripe is full,
//	       └──► write buffer (bounded, never     │  • a writer whose insertion overflows the bound,
//	            drops) ──────────────────────────┤  • Sync, Resize, PopVictim, iteration, Clone, Clear, Close
//	                                             ▼
//	                                  policy (exact LRU or W-TinyLFU lists)
//	                                             │ evict while Len() > MaxSize()
//	                                             ▼
//	                              OnEvict, called after the lock is released
//
// The map ([github.com/puzpuzpuz/xsync/v4] Map) is the source of truth for
// presence and values. The policy only orders the entries; it learns about
// reads and writes from the two buffers. The map's entry for a key holds its
// value and its node, the key's handle in the policy; a node's key never
// changes. Replacing a value stores a new entry: in a cache without expiry it
// keeps the key's node and records an access, as a read does; with expiry it
// publishes a new node (the value's times start at the write) and queues a
// replacement.
//
// # Consistency model
//
// Immediate (linearizable): presence and values. Get, Contains, Add, Set,
// Delete and Pop behave as operations on a map that happen atomically at some
// point between their call and their return, in which an entry may also
// disappear by eviction. This is checked with porcupine on concurrent
// histories. Len is exact whenever no write is in progress: a write counts
// its entry in or out just before other goroutines can see the change, so
// while writes are in progress, Len and what Get sees may differ by up to
// their number.
//
// The bound is hard. A write that takes the cache over MaxSize evicts before
// it returns, so a cache used from one goroutine never holds more than
// MaxSize entries, not even between calls to Sync. Under concurrent writers
// the exact worst case is
//
//	Len() <= MaxSize() + W
//
// where W is the number of writes inserting a new key that are in progress
// at that moment (Add and Set calls, and loads of GetOrLoad or LoadMissed
// storing their value); once they have returned, Len() <= MaxSize() again
// without any Sync.
// A shrinking Resize is in progress until it returns; from then on the bound
// holds for the new MaxSize, even if writers it overlapped are paused (an
// entry whose writer has not yet queued its event is evicted directly if the
// policy runs out of entries).
//
// Eventual: the eviction order under concurrent reads. Reads are recorded in a
// read buffer and applied to the policy in batches; so is the access that a
// Set replacing a value counts as, in a cache without expiry. While one
// goroutine at a time uses the cache, the buffer keeps every read in order and
// the order is exact: the same operations give the same hits, evictions,
// listener calls and iteration order on every run, whatever the scheduler
// does, and for LRU the order is exactly a textbook LRU's. (With expiry, which
// entries have expired is decided by the clock, but the maintenance goroutine
// may remove them concurrently with the caller's operations, so the order of
// Expired listener calls relative to the caller's own can vary.) The first
// time two readers race for the buffer it switches for good to contended mode,
// in which it stripes by goroutine, does not queue a node already waiting in
// it, and drops a read rather than wait when its stripe is full (counted in
// Stats.DroppedReads); once a reader has found its stripe full, every
// contended reader drops its read after a single load until the drain it asked
// for has run: the order then approximates the policy, as in Caffeine.
// [Cache.Sync] applies everything buffered; on a quiescent cache the state
// afterwards is exact.
//
// For LFU, "every run" needs a fixed [Options.Seed]; with one, the order is
// the same on every run within a process whatever the key type, and across
// processes too for keys of type string, int, int32, int64, uint, uint32 and
// uint64 (other key types are hashed with hash/maphash, whose seed is drawn
// once per process).
//
// Writes are never dropped. Each write's event records how far the reads
// before it had got, so that reads and writes are applied in the order they
// happened.
//
// # Listener
//
// [Options.OnEvict] is called exactly once per entry that leaves the cache,
// with its [Cause], on the goroutine whose operation removed it, after the
// cache has released its internal locks and before that operation returns;
// and once for each value GetOrLoad loaded but did not store (cause
// [Discarded]), so that no value the cache was handed goes unaccounted for.
// It may call back into the cache (except Close). Its panics are recovered
// and reported (see Options.OnListenerPanic). A listener that calls
// runtime.Goexit (t.FailNow, say) ends the goroutine it runs on, as Goexit
// does, but not before the other entries removed with that one have been
// notified; if it ran on the maintenance goroutine, a new one takes over.
//
// # Costs
//
// Get and Contains: one lock-free map lookup; a Get hit also records the
// access (a CAS and a store into a ring buffer). Neither allocates. While one
// goroutine uses the cache, one hit in 64 (a stripe's size) also applies the
// 64 buffered accesses under the maintenance lock; under contention a hit on
// an entry whose access is already buffered records nothing more. Writes: one
// map entry, and for an insertion (or, with expiry, a replacement) one node,
// O(1) amortised policy work for W-TinyLFU; for LRU, see below. A Set that
// replaces a value without expiry records its access as a hit does. With
// [Options.RecordStats], a miss also adds to a counter and a contended hit
// that records nothing draws a random number to count itself by sampling (one
// in 16 adds to a counter); without it, requests are not counted. Keys,
// Values, All and Backward copy the entries under the maintenance lock
// (O(n); LRU then sorts the copy by last use, O(n log n), without the lock)
// and iterate over the copy. Readers under contention never wait for the
// copy; a goroutine reading alone (exact mode) whose read buffer fills while
// the copy is taken waits for it, as it waits for any holder of the lock.
// Each cache owns one
// goroutine, parked while there is nothing to do; Close stops it, and a cache
// that becomes unreachable without Close stops it too.
//
// # Eviction order
//
// For LRU, [Cache.All] yields the least recently used entry first.
// For LFU, see [LFU].
//
// The LRU policy is exact but orders lazily: applying a hit only stamps the
// entry's node with the policy's clock (one write to the node, where moving
// it to the end of a linked list also writes both its neighbours: on a large
// cache, one cache miss instead of three), and the entry moves when it
// reaches the front of the order, once however many hits it had. An
// eviction takes the entry with the oldest stamp; on its way it moves the
// entries it finds hit since they were placed, to the back of the order when
// nothing was inserted since their last hit, otherwise into a binary heap
// (O(log n)). So a hit costs O(1) when it is applied and at most one move,
// O(log n), when the entry next reaches the front; a cache that mostly hits
// pays almost nothing for its order. A cache of at most 16,384 entries that
// evicts often (more than about once per 256 hits and insertions) switches
// to moving each hit entry to the end of the list at once, which costs less
// there than a heap operation per hit, and back when evictions become rare
// (at most about one per 1,024); the order is exact either way.
package concurrent
