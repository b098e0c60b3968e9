package concurrent_test

import (
	"testing"

	"github.com/clientcache/clientcache/concurrent"
)

// MaxLFUSize is the largest bound of an LFU cache, itself included:
// Resize to it is allowed (MaxLFUSize+1 is refused:
// TestResizeOfLFUAboveMaxLFUSizeIsAnError).
func TestResizeOfLFUToExactlyMaxLFUSizeIsAllowed(t *testing.T) {
	c := newCache(t, concurrent.Options[string, int]{MaxSize: 2, Policy: concurrent.LFU})
	if err := c.Resize(concurrent.MaxLFUSize); err != nil {
		t.Fatalf("Resize(MaxLFUSize) = %v; want nil", err)
	}
	if got := c.MaxSize(); got != concurrent.MaxLFUSize {
		t.Fatalf("MaxSize() = %d; want %d", got, concurrent.MaxLFUSize)
	}
}

// New accepts an LFU bound of exactly MaxLFUSize.
func TestNewAcceptsAnLFUBoundOfExactlyMaxLFUSize(t *testing.T) {
	c := newCache(t, concurrent.Options[string, int]{MaxSize: concurrent.MaxLFUSize, Policy: concurrent.LFU})
	if got := c.MaxSize(); got != concurrent.MaxLFUSize {
		t.Fatalf("MaxSize() = %d; want %d", got, concurrent.MaxLFUSize)
	}
}
