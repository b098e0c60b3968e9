package concurrent_test

import (
	"testing"
	"time"

	"github.com/clientcache/clientcache/concurrent"
)

// Stats.Evictions counts removals by the cache's own decision: by size and
// by expiry. An entry that expired and was removed by Sync counts.
func TestStatsEvictionsCountExpiredEntries(t *testing.T) {
	clock := concurrent.NewFakeClock()
	c := newCache(t, concurrent.Options[string, int]{MaxSize: 2, ExpireAfterWrite: time.Minute, Clock: clock})
	fill(t, c, "a", "b")
	clock.Advance(time.Minute)
	c.Sync() // removes a and b as Expired
	fill(t, c, "c", "d", "e")
	c.Sync() // c is evicted by size
	st := c.Stats()
	if st.Removed(concurrent.Expired) != 2 || st.Removed(concurrent.Size) != 1 {
		t.Fatalf("Removed(Expired) = %d, Removed(Size) = %d; want 2 and 1", st.Removed(concurrent.Expired), st.Removed(concurrent.Size))
	}
	if got := st.Evictions(); got != 3 {
		t.Fatalf("Evictions() = %d; want 3 (2 expired + 1 by size)", got)
	}
}
