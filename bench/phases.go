package bench

import "fmt"

// Phases replays keys through a new cache of contender c, as
// trace.Replay does (a Get, and a Set on a miss), and returns the hits in each of parts equal slices of the trace (the
// last len(keys) % parts requests are not replayed), to show where in a
// trace one policy gains or loses on another.
//
// A capacity below 1 is refused, as by Measure (the caches would take 0 for a
// default size or for no bound), and so are parts below 1 or above
// len(keys) (no request would be replayed).
func Phases(keys []uint64, capacity int, c Contender, parts int) ([]int, error) {
	switch {
	case capacity < 1:
		return nil, fmt.Errorf("bench: capacity %d: must be at least 1", capacity)
	case parts < 1 || parts > len(keys):
		return nil, fmt.Errorf("bench: parts %d: must be from 1 to the trace's %d accesses", parts, len(keys))
	}
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
