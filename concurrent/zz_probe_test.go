package concurrent_test

import (
	"testing"

	"github.com/clientcache/clientcache/concurrent"
)

func BenchmarkProbeGet(b *testing.B) {
	c := newFilledCache(b, concurrent.LRU)
	runParallelReads(b, func(k uint64) bool { _, ok := c.Get(k); return ok })
}
