package bench

// Phases replays keys through a new cache of contender c, as
// trace.Replay does (a Get, and a Set on a miss), and returns the hits in each of parts equal slices of the trace (the
// last len(keys) % parts requests are not replayed), to show where in a
// trace one policy gains or loses on another.
func Phases(keys []uint64, capacity int, c Contender, parts int) ([]int, error) {
	cache, err := c.New(capacity)
	if err != nil {
		return nil, err
	}
	defer cache.Close()
	hits := make([]int, parts)
	per := len(keys) / parts
	for i, k := range keys[:per*parts] {
		if cache.Get(k) {
			hits[i/per]++
		} else {
			cache.Set(k)
		}
	}
	return hits, nil
}
