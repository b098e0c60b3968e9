package concurrent

import (
	"sync"
	"testing"
	"time"
)

// Under contention some hits are counted by sampling; the estimate must stay
// close to the truth. With n sampled hits the relative standard deviation is
// about 4/sqrt(n): at 200,000 hits, 10% is eight of them. Each Get follows a
// Touch of its key, which records an access as a hit does and takes it back:
// the estimate must count the Gets alone.
func TestHitCountUnderContentionIsAccurate(t *testing.T) {
	c := newFull64(t)
	const goroutines, per = 8, 25_000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				k := (g + i) % 8 // a few hot keys
				_, touched := c.Touch(k)
				if _, ok := c.Get(k); !ok || !touched {
					t.Error("miss")
				}
			}
		}()
	}
	wg.Wait()
	if !c.rb.contended() {
		t.Skip("the goroutines never contended on this run; nothing sampled")
	}
	got, want := float64(c.Stats().Hits), float64(goroutines*per)
	if got < 0.9*want || got > 1.1*want {
		t.Fatalf("Hits = %.0f, true hits %.0f (and as many touches)", got, want)
	}
	t.Logf("Hits estimate %.0f for %.0f true hits (%+.2f%%)", got, want, 100*(got-want)/want)
}

// While the read buffer is saturated (a contended reader found its stripe
// full and asked for a drain), reads are dropped after one load but still
// counted, by sampling, as hits and as dropped reads; the drain clears the
// state, and reads are recorded again.
func TestSaturatedReadsAreCountedUntilTheDrain(t *testing.T) {
	c := newFull64(t)
	saturateLocked(t, c)
	const n = 200_000
	before := c.Stats()
	for i := range n {
		c.Get(i % 64)
	}
	c.mu.Unlock()
	st := c.Stats()
	hits, dropped := float64(st.Hits-before.Hits), float64(st.DroppedReads-before.DroppedReads)
	// 1 in 16 counted: 12,500 samples, a relative deviation near 1%.
	if hits < 0.9*n || hits > 1.1*n || dropped < 0.9*n || dropped > 1.1*n {
		t.Fatalf("saturated: Hits grew by %.0f and DroppedReads by %.0f for %d reads", hits, dropped, n)
	}
	c.Sync()
	if c.rb.saturated.Load() {
		t.Fatal("the read buffer is still saturated after Sync")
	}
	// Reads are recorded again: key 0's read moves it off the front of the
	// LRU order.
	first := func() int {
		for k := range c.Keys() {
			return k
		}
		return -1
	}
	k := first()
	c.Get(k)
	c.Sync()
	if first() == k {
		t.Fatalf("a read of %d after the drain was not applied", k)
	}
}

// saturateLocked puts c, holding keys 0..63, in contended mode and reads
// from it until a Get finds its stripe full and saturates the read buffer.
// It holds c.mu from the start, so that the maintenance goroutine (which may
// still be woken by a signal the writes left after their Sync) cannot drain
// the stripe being filled, nor run the drain the saturation asks for, until
// the caller unlocks it. The stripe is the one Get picks, whichever that is:
// the stripe of a goroutine follows its stack's address, which a call from
// here need not share with a call from Get.
func saturateLocked(t *testing.T, c *Cache[int, int]) {
	t.Helper()
	c.mu.Lock()
	c.rb.grow() // contended mode, as after a failed CAS
	for i := 0; !c.rb.saturated.Load(); i++ {
		if i == 1<<16 {
			c.mu.Unlock()
			t.Fatalf("the read buffer did not saturate after %d contended Gets", i)
		}
		c.Get(i % 64)
	}
}

// Without Options.RecordStats a cache counts no request, in exact mode or
// contended, saturated or not: its readers touch no counter (every stripe's
// counters stay 0, which Stats would not show, as it reports 0 anyway), and
// Stats reports 0 hits, misses and dropped reads, while still counting
// removals. The reads are still applied to the policy.
func TestWithoutRecordStatsNoRequestIsCounted(t *testing.T) {
	c := newFull64With(t, Options[int, int]{MaxSize: 64})
	stripesUntouched := func(when string) {
		t.Helper()
		c.rb.each(func(s *stripe[int, int]) {
			if d, k, m, u := s.dropped.Load(), s.skipped.Load(), s.misses.Load(), s.touched.Load(); d+k+m+u != 0 {
				t.Fatalf("%s: a stripe counted %d dropped, %d skipped, %d misses, %d touches", when, d, k, m, u)
			}
		})
	}
	// Exact mode: hits, a miss, a touch; the read moves key 0 off the front.
	c.Get(0)
	c.Get(1000)
	c.Touch(1)
	c.Sync()
	for k := range c.Keys() {
		if k == 0 {
			t.Fatal("the read of key 0 was not applied")
		}
		break
	}
	stripesUntouched("exact mode")
	// Contended, saturated, then drained and recorded again.
	saturateLocked(t, c)
	for i := range 10_000 {
		c.Get(i % 64)
		c.Get(-1 - i%64)
		c.Touch(i % 64)
	}
	c.mu.Unlock()
	c.Sync()
	for i := range 10_000 {
		c.Get(i % 64)
	}
	stripesUntouched("contended mode")
	if err := c.Set(64, 64); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if st.Hits != 0 || st.Misses != 0 || st.DroppedReads != 0 || st.HitRatio() != 0 {
		t.Fatalf("Stats without RecordStats: %d hits, %d misses, %d dropped reads, ratio %v; want all 0",
			st.Hits, st.Misses, st.DroppedReads, st.HitRatio())
	}
	if st.Removed(Size) != 1 || st.Len != 64 {
		t.Fatalf("Stats without RecordStats: %d evictions for size, len %d; want 1 and 64", st.Removed(Size), st.Len)
	}
}

// newFull64 returns a cache of 64 entries holding keys 0..63, synced, closed
// when the test ends.
func newFull64(t *testing.T) *Cache[int, int] {
	t.Helper()
	return newFull64With(t, Options[int, int]{MaxSize: 64, RecordStats: true})
}

// newFull64With is newFull64 with options o (MaxSize at least 64).
func newFull64With(t *testing.T, o Options[int, int]) *Cache[int, int] {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	for i := range 64 {
		if err := c.Set(i, i); err != nil {
			t.Fatal(err)
		}
	}
	c.Sync()
	return c
}

// Get's saturated path (a contended hit dropped after one load) is taken
// only by caches without expiry: with it, a saturated Get still finds an
// expired entry absent and still renews an entry's access time.
func TestSaturatedGetStillExpires(t *testing.T) {
	clock := NewFakeClock()
	c := newFull64With(t, Options[int, int]{MaxSize: 64, ExpireAfterWrite: time.Hour, ExpireAfterAccess: time.Minute, Clock: clock})
	saturateLocked(t, c)
	// Key 1 is read every 40 seconds: its access time is renewed each
	// time, so it outlives the minute. The others are not.
	for range 3 {
		clock.Advance(40 * time.Second)
		if _, ok := c.Get(1); !ok {
			c.mu.Unlock()
			t.Fatal("a saturated Get did not renew key 1's access time: it expired while read every 40s")
		}
	}
	_, ok := c.Get(2)
	c.mu.Unlock()
	if ok {
		t.Fatal("a saturated Get returned key 2, idle for 2 minutes with ExpireAfterAccess 1 minute")
	}
}

// Stats documents its counters as monotonic over the cache's life, and
// Touch as counting neither a hit nor a miss. Under contention a Touch whose
// access is not queued (its node already waits in the stripe, or the stripe
// is full, or the buffer is saturated) was counted as a hit only by sampling
// (1 in 16, scaled by 16), but taken back from Hits exactly: 15 times in 16
// a Touch lowered Hits by one, and 1 time in 16 raised it by 15, although no
// Get ran at all.
func TestTouchUnderContentionNeverChangesHits(t *testing.T) {
	c := newFull64(t)
	c.rb.grow() // contended mode, as after a failed CAS between two readers
	// Queues key 0's node in this goroutine's stripe.
	if _, ok := c.Get(0); !ok {
		t.Fatal("miss")
	}
	check := func(phase string, want uint64) {
		t.Helper()
		for i := range 256 {
			if _, ok := c.Touch(i % 4); !ok {
				t.Fatal("Touch missed")
			}
			if h := c.Stats().Hits; h != want {
				t.Fatalf("%s: Touch %d changed Stats.Hits from %d to %d (no Get ran; Touch counts no hit, and Hits is monotonic)", phase, i, want, h)
			}
		}
	}
	check("contended", c.Stats().Hits)
	c.Sync()
	saturateLocked(t, c) // Gets until a stripe is full, holding c.mu
	defer c.mu.Unlock()
	check("saturated", c.Stats().Hits)
}

// A Touch that is the first reader to find its stripe full in contended mode
// drops its access (dropRead) and, sampled, counts it as a dropped read, but
// never as a hit: Touch counts no request, and Hits is monotonic. Counted
// with the dropped hits, it raised Hits by 16 now and then although no Get
// ran. The buffer's saturated flag is cleared before each Touch, so that
// each one finds the stripe full (rather than dropping after one load).
func TestTouchFindingItsStripeFullCountsNoHit(t *testing.T) {
	c := newFull64(t)
	saturateLocked(t, c) // contended mode, this goroutine's stripe full; holds c.mu
	defer c.mu.Unlock()
	want := c.Stats().Hits
	dropped := c.Stats().DroppedReads
	for i := range 512 {
		c.rb.saturated.Store(false)
		if _, ok := c.Touch(i % 64); !ok {
			t.Fatal("Touch missed")
		}
		if h := c.Stats().Hits; h != want {
			t.Fatalf("Touch %d changed Stats.Hits from %d to %d (no Get ran; Touch counts no hit)", i, want, h)
		}
	}
	if c.Stats().DroppedReads == dropped {
		t.Fatal("no Touch was counted in DroppedReads, although each was dropped at a full stripe")
	}
}
