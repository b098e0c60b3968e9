package trace

// Cache is what [Replay] drives: a cache of keys used the way a client cache
// is used, a lookup followed on a miss by an insertion.
type Cache interface {
	// Get looks key up and reports a hit.
	Get(key uint64) bool
	// Set inserts key after a miss.
	Set(key uint64)
}

// Replay requests every key of keys in order from c, from the calling
// goroutine, calling Set after each miss, and returns the number of hits.
func Replay(keys []uint64, c Cache) int {
	hits := 0
	for _, k := range keys {
		if c.Get(k) {
			hits++
		} else {
			c.Set(k)
		}
	}
	return hits
}

// Percent returns 100 * hits / accesses, 0 for no accesses.
func Percent(hits, accesses int) float64 {
	if accesses == 0 {
		return 0
	}
	return 100 * float64(hits) / float64(accesses)
}
