// Package seedport is a Go port of the design of the Python library
// boto3-client-cache, the library clientcache re-imagines for Go. It exists
// only to be measured against: it is what a careful user would write by hand.
//
// The design ported, not its code:
//
//   - [LRU] is an ordered map (Python's OrderedDict: a hash map whose entries
//     are also linked in a list) under one lock. Get moves the entry to the
//     most recent end; Set appends and, when the cache is over its maximum,
//     drops the least recent entry.
//   - [LFU] is the O(1) LFU of Shah, Mitra and Matani, "An O(1) algorithm for
//     implementing the LFU cache eviction scheme" (2010): key → entry, and a
//     doubly linked list of frequency nodes in increasing order, each holding
//     its entries in the order they reached that frequency, so that ties are
//     broken by recency. The head node holds the minimum frequency. Set evicts
//     the head's oldest entry before it inserts when the cache is full.
//   - Every operation, reads included, holds the cache's one lock
//     (the original uses a threading.RLock).
//   - Set refuses a key that is present ([ErrExists]): no silent overwrite.
//   - [Session.Client], the high-level helper, looks the key up and, on a
//     miss, builds the value and stores it while holding the cache's lock, so
//     that one slow build blocks every other caller, hits on other keys
//     included. [Session.ClientUnlocked] is the variant that checks, builds
//     without the lock and then stores, the second writer of a racing pair
//     getting [ErrExists].
package seedport

import (
	"errors"
	"fmt"
)

// Errors, in the spirit of the original's small hierarchy.
var (
	// ErrExists is returned by Set for a key already present.
	ErrExists = errors.New("seedport: key already present")
	// ErrNotFound is returned by Pop and PopItem when there is nothing to
	// remove.
	ErrNotFound = errors.New("seedport: key not found")
)

// Cache is what both policies offer. Every method holds the cache's lock.
type Cache[K comparable, V any] interface {
	// Get returns the value of key and records the access.
	Get(key K) (V, bool)
	// Contains reports whether key is present, without recording an access.
	Contains(key K) bool
	// Set inserts key; it returns ErrExists if key is present.
	Set(key K, value V) error
	// Delete removes key and reports whether it was present.
	Delete(key K) bool
	// Pop removes key and returns its value, or ErrNotFound.
	Pop(key K) (V, error)
	// PopItem removes and returns the next victim, or ErrNotFound.
	PopItem() (K, V, error)
	// Len returns the number of entries.
	Len() int
	// MaxSize returns the bound.
	MaxSize() int
	// SetMaxSize changes the bound, evicting down to it at once.
	SetMaxSize(n int)
	// Keys returns the keys in eviction order, the next victim first.
	Keys() []K
	// Clear removes every entry.
	Clear()
}

// DefaultMaxSize is the original's default bound.
const DefaultMaxSize = 10

// New returns an empty cache of the named policy ("LRU" or "LFU") holding at
// most maxSize entries (the absolute value is taken, as in the original).
func New[K comparable, V any](policy string, maxSize int) (Cache[K, V], error) {
	switch policy {
	case "LRU":
		return NewLRU[K, V](maxSize), nil
	case "LFU":
		return NewLFU[K, V](maxSize), nil
	}
	return nil, fmt.Errorf("seedport: invalid eviction policy %q, valid options are LRU and LFU", policy)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
