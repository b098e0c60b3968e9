package seedport

import "sync"

// lruEntry is an element of the ordered map: a node of the recency list.
type lruEntry[K comparable, V any] struct {
	key        K
	value      V
	prev, next *lruEntry[K, V]
}

// LRU is an ordered map under one lock: the counterpart of the original's
// OrderedDict guarded by an RLock.
type LRU[K comparable, V any] struct {
	mu      sync.Mutex // guards everything below
	max     int
	entries map[K]*lruEntry[K, V]
	// root is the sentinel of the circular recency list: root.next is the
	// least recently used entry, root.prev the most recent.
	root lruEntry[K, V]
}

// NewLRU returns an empty LRU cache of at most |maxSize| entries.
func NewLRU[K comparable, V any](maxSize int) *LRU[K, V] {
	c := &LRU[K, V]{max: abs(maxSize), entries: make(map[K]*lruEntry[K, V])}
	c.root.prev, c.root.next = &c.root, &c.root
	return c
}

func (c *LRU[K, V]) unlink(e *lruEntry[K, V]) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *LRU[K, V]) pushBack(e *lruEntry[K, V]) {
	last := c.root.prev
	e.prev, e.next = last, &c.root
	last.next, c.root.prev = e, e
}

// Get returns the value of key and moves it to the most recent end.
func (c *LRU[K, V]) Get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.unlink(e)
	c.pushBack(e)
	return e.value, true
}

// Contains reports whether key is present without moving it.
func (c *LRU[K, V]) Contains(key K) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.entries[key]
	return ok
}

// Set inserts key as the most recent entry and drops the least recent one if
// the cache is then over its maximum. It returns ErrExists if key is present.
func (c *LRU[K, V]) Set(key K, value V) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.setLocked(key, value)
}

func (c *LRU[K, V]) setLocked(key K, value V) error {
	if _, ok := c.entries[key]; ok {
		return ErrExists
	}
	e := &lruEntry[K, V]{key: key, value: value}
	c.entries[key] = e
	c.pushBack(e)
	if len(c.entries) > c.max {
		c.removeLocked(c.root.next)
	}
	return nil
}

func (c *LRU[K, V]) removeLocked(e *lruEntry[K, V]) {
	c.unlink(e)
	delete(c.entries, e.key)
}

// Delete removes key and reports whether it was present.
func (c *LRU[K, V]) Delete(key K) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if ok {
		c.removeLocked(e)
	}
	return ok
}

// Pop removes key and returns its value, or ErrNotFound.
func (c *LRU[K, V]) Pop(key K) (V, error) {
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

// PopItem removes and returns the least recently used entry.
func (c *LRU[K, V]) PopItem() (K, V, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) == 0 {
		var (
			k K
			v V
		)
		return k, v, ErrNotFound
	}
	e := c.root.next
	c.removeLocked(e)
	return e.key, e.value, nil
}

// Len returns the number of entries.
func (c *LRU[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// MaxSize returns the bound.
func (c *LRU[K, V]) MaxSize() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.max
}

// SetMaxSize changes the bound to |n| and drops the least recent entries down
// to it.
func (c *LRU[K, V]) SetMaxSize(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max = abs(n)
	for len(c.entries) > c.max {
		c.removeLocked(c.root.next)
	}
}

// Keys returns a copy of the keys, least recently used first.
func (c *LRU[K, V]) Keys() []K {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]K, 0, len(c.entries))
	for e := c.root.next; e != &c.root; e = e.next {
		keys = append(keys, e.key)
	}
	return keys
}

// Clear removes every entry.
func (c *LRU[K, V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.root.prev, c.root.next = &c.root, &c.root
}

// getOrBuild is Session.Client's body for LRU: the lock is held throughout.
func (c *LRU[K, V]) getOrBuild(key K, build func() (V, error)) (V, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.unlink(e)
		c.pushBack(e)
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
