package concurrent

import "sync/atomic"

// entry is what the map holds for a key: the value, where a reader finds it
// without touching the node, and the node the policy orders. A reader's hit
// touches only the map and its own read-buffer stripe; node memory belongs to
// whoever holds Cache.mu.
type entry[K comparable, V any] struct {
	value V
	n     *node[K, V]
}

// node is the policy's handle on a key's stored value. Storing a value under
// an absent key (Add, Set, a load) publishes a new node; the map entry points
// to it until the key is removed, which retires it. A Set that replaces a
// live value keeps the node when the cache has no expiry (the replacement is
// recorded as an access, as a read is); with expiry, and for an expired value,
// the new value gets a new node and the old one is retired.
type node[K comparable, V any] struct {
	key K

	// hash is the key's 64-bit hash, computed before the node is published
	// when the policy needs one (the frequency sketch of LFU). The LRU
	// policy, which hashes nothing, keeps its stamp here instead (see lru),
	// so that its nodes are no larger than they would be without one.
	hash uint64

	// prev, next and queue belong to the policy and are guarded by
	// Cache.mu. queue is 0 while the node is not linked into the policy
	// (before its insertion is applied, and after it is evicted or removed);
	// each policy numbers its own lists from 1.
	prev, next *node[K, V]

	// tl holds the node's times and its links in the expiry lists; nil
	// unless an expiry option is set, so that caches without expiry do not
	// pay for them.
	tl *timeLinks[K, V]

	queue uint8

	// flags belong to the policy, guarded by Cache.mu: nodeDirty (LRU), or
	// nodeBlind and nodeReturning (LFU).
	flags uint8

	// doorMark belongs to the LFU policy, guarded by Cache.mu: the policy's
	// mark for the doorkeeper epoch in which the sketch last counted the
	// node's key, 0 for none (see wtinylfu.count).
	doorMark uint8

	// released is set, under Cache.mu, once the node's removal has been
	// applied (its removal or replacement event, or its removal from the map
	// under Cache.mu): the policy never links a released node. It resolves
	// the race between an insertion's event and a removal's event arriving
	// in either order. An insertion applied after the node was retired but
	// before its removal was applied still links it, as it would have been
	// had the events been applied as they happened: the removal's event,
	// queued behind it, unlinks it.
	released bool

	// retired is set by whoever removes the node from the map, inside the
	// map's per-key critical section, before any event about the removal is
	// queued. A node is retired exactly once.
	retired atomic.Bool
}

// The node's flags.
const (
	// nodeDirty (LRU): a hit restamped the node since it was placed (see
	// lru).
	nodeDirty = 1 << iota
	// nodeBlind (LFU): a blind tie admitted the node, and it has not been
	// hit since (see wtinylfu.isBlind).
	nodeBlind
	// nodeReturning (LFU): the node's key was missed soon after losing a
	// contest as a candidate (see wtinylfu.adapt). It is read, and
	// cleared, when the node leaves the window for a contest; a node the
	// window's shrink moves into the main area keeps it unread, and a hit
	// that moves the node back into the window (in LRU mode) clears it.
	nodeReturning
)

// setFlag sets or clears the flag f of n's flags. Caller holds Cache.mu.
func (n *node[K, V]) setFlag(f uint8, b bool) {
	if b {
		n.flags |= f
	} else {
		n.flags &^= f
	}
}

// linked reports whether the policy holds n. Caller holds Cache.mu.
func (n *node[K, V]) linked() bool { return n.queue != 0 }
