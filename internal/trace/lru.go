package trace

import (
	"container/list"
	"fmt"
)

// LRU is a textbook least-recently-used cache of keys, the reference that
// the library's LRU policy must match access for access: a map and a
// [container/list] whose front is the most recent key.
type LRU struct {
	capacity int
	order    *list.List // of uint64, front = most recently used
	where    map[uint64]*list.Element
}

// NewLRU returns an empty LRU holding at most capacity keys (none if 0). It
// panics if capacity is negative.
func NewLRU(capacity int) *LRU {
	if capacity < 0 {
		panic(fmt.Sprintf("trace: NewLRU: capacity %d is negative", capacity))
	}
	return &LRU{capacity: capacity, order: list.New(), where: map[uint64]*list.Element{}}
}

// Access requests key and reports whether it was cached. On a miss the key is
// inserted and, if the cache then holds more than its capacity, the least
// recently used key is dropped.
func (c *LRU) Access(key uint64) bool {
	if e, ok := c.where[key]; ok {
		c.order.MoveToFront(e)
		return true
	}
	c.where[key] = c.order.PushFront(key)
	if c.order.Len() > c.capacity {
		delete(c.where, c.order.Remove(c.order.Back()).(uint64))
	}
	return false
}

// Keys returns the cached keys, least recently used first (the eviction
// order).
func (c *LRU) Keys() []uint64 {
	out := make([]uint64, 0, c.order.Len())
	for e := c.order.Back(); e != nil; e = e.Prev() {
		out = append(out, e.Value.(uint64))
	}
	return out
}

// LRUHits returns the hits of a textbook LRU of capacity entries on keys. It
// panics if capacity is negative.
func LRUHits(keys []uint64, capacity int) int {
	if capacity < 0 {
		panic(fmt.Sprintf("trace: LRUHits: capacity %d is negative", capacity))
	}
	c := NewLRU(capacity)
	hits := 0
	for _, k := range keys {
		if c.Access(k) {
			hits++
		}
	}
	return hits
}
