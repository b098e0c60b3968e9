package concurrent

import (
	"fmt"
	"math/bits"

	"github.com/clientcache/clientcache/admission"
)

// Policy names an eviction policy.
type Policy uint8

const (
	// LRU evicts the least recently used entry. Used from one goroutine, the
	// order is exactly that of a textbook LRU list.
	LRU Policy = iota
	// LFU evicts by frequency, approximated with W-TinyLFU: a TinyLFU
	// frequency sketch guards a segmented LRU main area behind a small LRU
	// admission window whose size adapts to the workload. Until the cache's
	// first hit, a candidate seen as often as the victim (both once) wins
	// its contest, so that a full cache that has never hit keeps its newest
	// entries, as LRU does, but for a few (at most 5% over its first ten
	// fills): the sketch's noise (keys sharing counters, the doorkeeper's
	// false positives) estimates some keys asked for once at 2 or more, and
	// they win their contests, so over a longer stream of new keys without
	// a hit older entries build up, a large share of the cache after a hundred
	// fills; once the cache has hit, an entry admitted that way, until it
	// is hit, loses its place only to a candidate estimated at least two
	// requests ahead of it (after a loop's first wrap, it is asked for
	// again before the candidates) or to a returning candidate (below). In
	// a cache of at most 1,024 entries, a
	// candidate estimated only one request ahead of the victim wins while
	// such contests have paid (their candidates were asked for again
	// sooner than their victims, as they are not on a loop longer than the
	// cache; this costs 16 bytes of table per cache entry, and as much
	// again in the shadow W-TinyLFU below once it exists), and a
	// candidate that loses to the victim may still replace one of the three
	// probation entries behind it: the least frequent of those it is
	// estimated to be more than one request ahead of; and a candidate
	// requested again soon after losing such a contest wins its next one
	// unless the victim is estimated three or more requests ahead (as ARC
	// and 2Q admit a key found among the ghosts of their recent keys); in a
	// larger cache,
	// the victim is the least frequent of the first four probation entries
	// rather than the first, a request whose key's counters are all at
	// their maximum (15) does not hasten the sketch's aging, and after a
	// fill of which less than a tenth of the requests hit, the sketch ages
	// once (halving the fill's counts) as soon as the keys the first
	// contests turned away come back (candidates missed again soon after
	// losing: at least 2 in 1,000 requests within twice the cache's size
	// in requests), so that the fill's oldest keys do not keep out newer
	// ones that are in use, while a loop, whose keys do not come back
	// before its wrap, keeps them. A cache of at most
	// 1,024 entries also runs a shadow LRU of hashes beside it (and, from
	// its first switch to LRU order on, a shadow W-TinyLFU) and switches to
	// plain LRU order while the shadows show that LRU would hit more, as on
	// workloads that sweep back and forth; this costs one or two more
	// policy updates per request and, per cache entry, a 16-byte entry and 8
	// bytes of index for the shadow LRU, and a node and about 21 bytes of
	// index for the shadow W-TinyLFU once it exists.
	//
	// The eviction order ([Cache.All], [Cache.PopVictim]; a write over the
	// bound evicts the loser of the contest its entry starts, which need not
	// be the first entry) has four parts, each oldest first (the least
	// recently entered or hit there): the entries that lost an admission
	// contest at the window's exit, then the
	// main area's probation segment (entries not hit since they were
	// admitted, those demoted from protected, and a victim that turned away
	// more than 1.5 x MaxSize candidates in a row, which moves to the back
	// to let the entries behind it be contested; before the cache's first
	// hit, a victim moves there after turning one away, unless it is
	// frequent; in a cache of at most 1,024 entries, the entries a
	// shrinking window gives up go to its front, in their order), then its
	// protected
	// segment (entries hit while in probation), and last the window, whose
	// newest entry is the last of all. While the policy runs as an LRU, the
	// window takes the whole cache, a hit moves the entry to its back (a
	// contest's loser stays where it is), and the main area's entries are
	// evicted first: the order is exactly LRU's once they are gone.
	LFU
)

// MaxLFUSize is the largest bound of an LFU cache: the most [Options.MaxSize]
// and [Cache.Resize] accept with Policy LFU (New and Resize return an
// [*OptionError] above it). W-TinyLFU allocates its tables when the cache is
// created or resized, sized from the bound, not from the entries held: the
// frequency sketch (8 bytes per entry of the bound), its doorkeeper (10,
// rounded up to 16 by its power-of-two size) and the table of recent
// contest losers (4; 8 up to 1,024 entries). MaxLFUSize is 1<<26 on 64-bit platforms, 1.75 GiB
// before a single entry is stored, which is already more than any client
// cache needs, and 1<<22 on 32-bit ones (112 MiB), where the address space is
// 4 GiB and a sketch above [admission.MaxCapacity] (1<<23 there) cannot be
// sized; much larger bounds could not be allocated at all. LRU allocates
// nothing per entry of its bound and has no such limit.
const MaxLFUSize = 1 << (22 + 4*(bits.UintSize/64))

// The sketch must accept every bound an LFU cache accepts (a compile-time
// check: the array length is negative otherwise).
var _ [admission.MaxCapacity - MaxLFUSize]struct{}

// String returns "LRU" or "LFU", and "Policy(n)" for any other value n (the
// value an *OptionError for Options.Policy prints).
func (p Policy) String() string {
	switch p {
	case LRU:
		return "LRU"
	case LFU:
		return "LFU"
	}
	return fmt.Sprintf("Policy(%d)", uint8(p))
}

// policy is the seam between the engine and an eviction algorithm. Every method
// runs under Cache.mu on whichever goroutine holds it; implementations need no
// synchronisation of their own and must not block.
//
// The engine applies events in the order they happened (exactly, for a cache
// used from one goroutine) and guarantees the preconditions below; it decides
// *when* to evict (while the map holds more than the maximum), the policy
// decides *whom*.
type policy[K comparable, V any] interface {
	// add links a new, unlinked node (possibly retired since: its removal's
	// event, still to come, unlinks it). It counts as a miss for policies
	// that adapt to the hit rate. A node given to remove is never added
	// again (LRU may still hold an item for it); one returned by evict may
	// be, reset, as the duel's shadow W-TinyLFU does.
	add(n *node[K, V])
	// access records a hit on a linked node.
	access(n *node[K, V])
	// replace puts the new, unlinked node n in place of the linked node old
	// (same key, new value) and records an access to it: what access(old)
	// would do, with n in old's place. The engine calls it for caches with
	// expiry; without, a replacement keeps its node and is an access.
	replace(old, n *node[K, V])
	// remove unlinks a linked node (deleted or replaced by the user).
	remove(n *node[K, V])
	// evict unlinks and returns the node the policy gives up next, or nil if
	// it holds none. It must return a node even when the policy is within its
	// maximum (PopVictim, a shrinking Resize).
	evict() *node[K, V]
	// ascend yields linked nodes in eviction order, the next victim first;
	// descend in the reverse order. Neither may modify the policy.
	ascend(yield func(*node[K, V]) bool)
	descend(yield func(*node[K, V]) bool)
	// setMax tells the policy the cache's new maximum size. It must not evict:
	// the engine calls evict until the cache fits.
	setMax(max int)
	// len is the number of linked nodes.
	len() int
	// clear unlinks every node and resets what the policy learned.
	clear()
	// unlinkAll unlinks every node of a policy that is not used again (the
	// cache is closing). It must not allocate: unlike clear, it need not
	// leave the policy ready for new nodes (an LFU policy's tables, sized
	// from the bound, are about 1.75 GiB at MaxLFUSize), and it must keep
	// no node reachable.
	unlinkAll()
	// clone returns an independent copy of the policy, in the same state,
	// in which each linked node x is replaced by the unlinked node mapped(x).
	clone(mapped func(*node[K, V]) *node[K, V]) policy[K, V]
}

// newPolicy builds the policy named by p for a cache of max entries.
func newPolicy[K comparable, V any](p Policy, max int, seed uint64) (policy[K, V], error) {
	switch p {
	case LRU:
		return newLRU[K, V](), nil
	case LFU:
		return newWTinyLFU[K, V](max, seed), nil
	}
	return nil, &OptionError{Param: "Options.Policy", Value: p, Reason: "must be LRU or LFU"}
}
