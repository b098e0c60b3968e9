package seedport

import "sync"

// lfuEntry is a cached entry, linked among the entries of its frequency node
// in the order they reached that frequency.
type lfuEntry[K comparable, V any] struct {
	key        K
	value      V
	node       *freqNode[K, V]
	prev, next *lfuEntry[K, V]
}

// freqNode holds the entries accessed exactly freq times, oldest first. The
// nodes form a doubly linked list in increasing order of freq; a node is
// unlinked as soon as it is empty.
type freqNode[K comparable, V any] struct {
	freq       uint64
	head, tail *lfuEntry[K, V]
	prev, next *freqNode[K, V]
}

func (n *freqNode[K, V]) empty() bool { return n.head == nil }

func (n *freqNode[K, V]) pushBack(e *lfuEntry[K, V]) {
	e.node, e.prev, e.next = n, n.tail, nil
	if n.tail == nil {
		n.head = e
	} else {
		n.tail.next = e
	}
	n.tail = e
}

func (n *freqNode[K, V]) remove(e *lfuEntry[K, V]) {
	if e.prev == nil {
		n.head = e.next
	} else {
		e.prev.next = e.next
	}
	if e.next == nil {
		n.tail = e.prev
	} else {
		e.next.prev = e.prev
	}
	e.prev, e.next, e.node = nil, nil, nil
}

// LFU is the O(1) least-frequently-used cache of the original library:
// every operation under one lock, ties broken by recency.
//
// Reference: K. Shah, A. Mitra, D. Matani, "An O(1) algorithm for
// implementing the LFU cache eviction scheme", 2010.
type LFU[K comparable, V any] struct {
	mu      sync.Mutex // guards everything below
	max     int
	entries map[K]*lfuEntry[K, V]
	// head is the node of the lowest frequency (the next victim is its
	// oldest entry), tail the node of the highest.
	head, tail *freqNode[K, V]
}

// NewLFU returns an empty LFU cache of at most |maxSize| entries.
func NewLFU[K comparable, V any](maxSize int) *LFU[K, V] {
	return &LFU[K, V]{max: abs(maxSize), entries: make(map[K]*lfuEntry[K, V])}
}

// insertAfter links n after ref, or at the head if ref is nil.
func (c *LFU[K, V]) insertAfter(ref, n *freqNode[K, V]) {
	var next *freqNode[K, V]
	if ref == nil {
		next = c.head
		c.head = n
	} else {
		next = ref.next
		ref.next = n
	}
	n.prev, n.next = ref, next
	if next == nil {
		c.tail = n
	} else {
		next.prev = n
	}
}

// prune unlinks n if it holds no entry.
func (c *LFU[K, V]) prune(n *freqNode[K, V]) {
	if !n.empty() {
		return
	}
	if n.prev == nil {
		c.head = n.next
	} else {
		n.prev.next = n.next
	}
	if n.next == nil {
		c.tail = n.prev
	} else {
		n.next.prev = n.prev
	}
	n.prev, n.next = nil, nil
}

// increment moves e to the node of the next frequency, creating it if needed.
func (c *LFU[K, V]) increment(e *lfuEntry[K, V]) {
	cur := e.node
	target := cur.next
	if target == nil || target.freq != cur.freq+1 {
		target = &freqNode[K, V]{freq: cur.freq + 1}
		c.insertAfter(cur, target)
	}
	cur.remove(e)
	target.pushBack(e)
	c.prune(cur)
}

func (c *LFU[K, V]) removeLocked(e *lfuEntry[K, V]) {
	n := e.node
	n.remove(e)
	c.prune(n)
	delete(c.entries, e.key)
}

// Get returns the value of key and raises its frequency.
func (c *LFU[K, V]) Get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.increment(e)
	return e.value, true
}

// Contains reports whether key is present without counting an access.
func (c *LFU[K, V]) Contains(key K) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.entries[key]
	return ok
}

// Set inserts key with frequency 1, first evicting the least frequently used
// entry (the oldest among equals) if the cache is full. It returns ErrExists
// if key is present. A cache of maximum 0 stores nothing.
func (c *LFU[K, V]) Set(key K, value V) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.setLocked(key, value)
}

func (c *LFU[K, V]) setLocked(key K, value V) error {
	if _, ok := c.entries[key]; ok {
		return ErrExists
	}
	if c.max == 0 {
		return nil
	}
	if len(c.entries) >= c.max {
		c.removeLocked(c.head.head)
	}
	n := c.head
	if n == nil || n.freq != 1 {
		n = &freqNode[K, V]{freq: 1}
		c.insertAfter(nil, n)
	}
	e := &lfuEntry[K, V]{key: key, value: value}
	n.pushBack(e)
	c.entries[key] = e
	return nil
}

// Delete removes key and reports whether it was present.
func (c *LFU[K, V]) Delete(key K) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if ok {
		c.removeLocked(e)
	}
	return ok
}

// Pop removes key and returns its value, or ErrNotFound.
func (c *LFU[K, V]) Pop(key K) (V, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		var zero V
		return zero, ErrNotFound
	}
	c.removeLocked(e)
	return e.value, nil
}

// PopItem removes and returns the least frequently used entry.
func (c *LFU[K, V]) PopItem() (K, V, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.head == nil {
		var (
			k K
			v V
		)
		return k, v, ErrNotFound
	}
	e := c.head.head
	c.removeLocked(e)
	return e.key, e.value, nil
}

// Len returns the number of entries.
func (c *LFU[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// MaxSize returns the bound.
func (c *LFU[K, V]) MaxSize() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.max
}

// SetMaxSize changes the bound to |n| and evicts the least frequently used
// entries down to it.
func (c *LFU[K, V]) SetMaxSize(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max = abs(n)
	for len(c.entries) > c.max {
		c.removeLocked(c.head.head)
	}
}

// Keys returns a copy of the keys in eviction order: increasing frequency,
// and within a frequency the order in which they reached it.
func (c *LFU[K, V]) Keys() []K {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]K, 0, len(c.entries))
	for n := c.head; n != nil; n = n.next {
		for e := n.head; e != nil; e = e.next {
			keys = append(keys, e.key)
		}
	}
	return keys
}

// Clear removes every entry.
func (c *LFU[K, V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.head, c.tail = nil, nil
}

// getOrBuild is Session.Client's body for LFU: the lock is held throughout.
func (c *LFU[K, V]) getOrBuild(key K, build func() (V, error)) (V, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.increment(e)
		return e.value, nil
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	if err := c.setLocked(key, v); err != nil {
		return v, err
	}
	return v, nil
}
