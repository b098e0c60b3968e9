package concurrent

import "time"

// Stats is a point-in-time view of a cache's counters. Counters are
// monotonic over the cache's life; each is exact once the operations that
// changed it have returned, with one exception: see Hits.
// (Removed(Discarded) is counted by the load's goroutine before its waiters,
// the GetOrLoad calls, receive the value.)
type Stats struct {
	// Hits and Misses count Get calls that found and did not find the key
	// (a GetOrLoad given a loader counts as one Get: a miss even if it then
	// returns a loaded value; Touch counts neither). They, and DroppedReads,
	// are counted only if [Options.RecordStats] is set, and stay 0
	// otherwise.
	//
	// Hits are exact while one goroutine at a time uses the cache. Once
	// goroutines contend for its read buffer, hits whose access is not
	// queued (already waiting in the buffer, or dropped) are counted by
	// sampling (1 in 16, scaled by 16): an unbiased estimate within a
	// fraction of a percent over many hits, at a tenth of the cost of
	// counting each. A Stats that runs while a Touch (or a Set that
	// replaces a value in place) is recording its access may count one hit
	// fewer for each such call in flight, as if it were taken back before
	// it was counted; Hits never goes back, and the next Stats after those
	// calls have returned is exact again.
	Hits, Misses uint64
	// DroppedReads counts hits (and touches, and the accesses of Sets that
	// replaced a value) whose access was not applied to the policy because,
	// under contention, the reader's stripe of the read buffer was full
	// (counted by sampling, like Hits). It stays 0 for a cache used from one
	// goroutine.
	DroppedReads uint64
	// ListenerPanics counts panics recovered from OnEvict.
	ListenerPanics uint64
	// Len and MaxSize are the size and bound when Stats was called.
	Len, MaxSize int

	// Loads and LoadErrors count loader calls of GetOrLoad that returned a
	// value and that failed (error, panic); LoadTime is their total duration.
	Loads, LoadErrors uint64
	LoadTime          time.Duration

	removals [numCauses]uint64
}

// Removed returns how many entries left the cache for the given cause, and
// for [Discarded] how many loaded values the cache did not keep (never
// stored).
func (s Stats) Removed(cause Cause) uint64 {
	if int(cause) >= len(s.removals) {
		return 0
	}
	return s.removals[cause]
}

// Evictions returns the entries the cache removed on its own (Size and
// Expired).
func (s Stats) Evictions() uint64 { return s.removals[Size] + s.removals[Expired] }

// HitRatio returns Hits / (Hits + Misses), or 0 before the first Get
// (always 0 without [Options.RecordStats]).
func (s Stats) HitRatio() float64 {
	if s.Hits+s.Misses == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Hits+s.Misses)
}

// Stats returns the cache's counters. It takes no lock.
func (c *Cache[K, V]) Stats() Stats {
	if c == nil { // a zero Cache reports an empty one; a nil one is no cache (see Cache)
		c.mustBeUsable("Stats")
	}
	s := Stats{
		Len: c.Len(), MaxSize: c.MaxSize(), ListenerPanics: c.listenerPanics.Load(),
		Loads: c.loadsDone.Load(), LoadErrors: c.loadErrors.Load(), LoadTime: time.Duration(c.loadNanos.Load()),
	}
	if c.stats {
		s.Hits, s.Misses, s.DroppedReads = c.rb.counts()
		// counts may count fewer hits than were counted while a touch is
		// between its two steps, never more: the most reported so far keeps
		// Hits monotonic, and is never more than the count either.
		for {
			seen := c.hitsSeen.Load()
			if s.Hits <= seen {
				s.Hits = seen
				break
			}
			if c.hitsSeen.CompareAndSwap(seen, s.Hits) {
				break
			}
		}
	}
	for i := range s.removals {
		s.removals[i] = c.removals[i].Load()
	}
	return s
}
