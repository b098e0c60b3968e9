package seedport

import "fmt"

// builder is the part of a cache that Session.Client needs: a lookup that,
// on a miss, builds and stores the value without releasing the lock.
type builder[K comparable, V any] interface {
	Cache[K, V]
	getOrBuild(key K, build func() (V, error)) (V, error)
}

// Session is the counterpart of the original's boto3 Session subclass: one
// cache per policy, and a Client helper that returns the cached value or
// builds it.
type Session[K comparable, V any] struct {
	lru *LRU[K, V]
	lfu *LFU[K, V]
}

// NewSession returns a session whose caches hold at most maxSize entries
// each.
func NewSession[K comparable, V any](maxSize int) *Session[K, V] {
	return &Session[K, V]{lru: NewLRU[K, V](maxSize), lfu: NewLFU[K, V](maxSize)}
}

// Cache returns the session's cache of the given policy ("LRU" or "LFU").
func (s *Session[K, V]) Cache(policy string) (Cache[K, V], error) {
	return s.pick(policy)
}

func (s *Session[K, V]) pick(policy string) (builder[K, V], error) {
	switch policy {
	case "", "LRU":
		return s.lru, nil
	case "LFU":
		return s.lfu, nil
	}
	return nil, fmt.Errorf("seedport: invalid eviction policy %q, valid options are LRU and LFU", policy)
}

// Client returns the value cached under key in the cache of the given policy,
// or builds it with build, stores it and returns it. The cache's lock is held
// from the lookup to the store: concurrent callers of the same key build it
// once, and every other caller of the cache, hits on other keys included,
// waits for the build.
func (s *Session[K, V]) Client(policy string, key K, build func() (V, error)) (V, error) {
	c, err := s.pick(policy)
	if err != nil {
		var zero V
		return zero, err
	}
	return c.getOrBuild(key, build)
}

// ClientUnlocked is Client with the build outside the lock: a membership test,
// the build, then Set, and finally a Get. Hits do not wait for a build, but
// concurrent callers that miss the same key each build it, and all but the
// first to store get ErrExists.
func (s *Session[K, V]) ClientUnlocked(policy string, key K, build func() (V, error)) (V, error) {
	c, err := s.pick(policy)
	if err != nil {
		var zero V
		return zero, err
	}
	if !c.Contains(key) {
		v, err := build()
		if err != nil {
			return v, err
		}
		if err := c.Set(key, v); err != nil {
			return v, err
		}
	}
	v, ok := c.Get(key)
	if !ok {
		return v, fmt.Errorf("%w: evicted before it was read", ErrNotFound)
	}
	return v, nil
}
