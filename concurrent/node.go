package concurrent

import "sync/atomic"

// node is one cache entry. The map holds a pointer to it; the eviction policy
// links it into its lists. A node's key, value and hash never change after the
// node is published in the map: replacing a value publishes a new node, so a
// reader that loaded a node can use its fields without synchronisation.
type node[K comparable, V any] struct {
	key   K
	value V

	// hash is the key's 64-bit hash, computed before the node is published
	// when the policy needs one (the frequency sketch of LFU), zero otherwise.
	hash uint64

	// prev, next and queue belong to the policy and are guarded by
	// Cache.mu. queue is 0 while the node is not linked into the policy
	// (before its insertion is applied, and after it is evicted or removed);
	// each policy numbers its own lists from 1.
	prev, next *node[K, V]
	queue      uint8

	// retired is set by whoever removes the node from the map, inside the
	// map's per-key critical section, before any event about the removal is
	// queued. A node is retired exactly once; the policy never links a
	// retired node, which resolves the race between an insertion's event and
	// a removal's event arriving in either order.
	retired atomic.Bool

	// queued is set by a reader that puts the node in the read buffer while
	// the buffer is in contended mode, and cleared when the event is
	// applied, so that readers of a hot node do not queue it again meanwhile.
	queued atomic.Uint32

	// Expiry, used only when an expiry option is set (times are nanoseconds
	// on the cache's clock). born is when the value was written; accessed
	// is the last access the read path stored; tl links the node into the
	// cache's time-ordered lists (guarded by Cache.mu).
	born     int64
	accessed atomic.Int64
	tl       *timeLinks[K, V]
}

// linked reports whether the policy holds n. Caller holds Cache.mu.
func (n *node[K, V]) linked() bool { return n.queue != 0 }
