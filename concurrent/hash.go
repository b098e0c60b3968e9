package concurrent

import "hash/maphash"

// hasher gives a key the 64-bit hash that feeds the LFU frequency sketch.
// Strings and integers are hashed by code of our own under the cache's seed,
// so that a fixed Options.Seed replays identically across processes; other
// key types use hash/maphash, whose seed is random per process (identical
// within a process, but not across runs).
type hasher[K comparable] struct {
	seed uint64
	ms   maphash.Seed
}

func newHasher[K comparable](seed uint64) hasher[K] {
	return hasher[K]{seed: seed, ms: maphash.MakeSeed()}
}

func (h hasher[K]) hash(k K) uint64 {
	switch v := any(k).(type) {
	case string:
		return hashString(v, h.seed)
	case int:
		return mix64(uint64(v) ^ h.seed)
	case int64:
		return mix64(uint64(v) ^ h.seed)
	case int32:
		return mix64(uint64(v) ^ h.seed)
	case uint:
		return mix64(uint64(v) ^ h.seed)
	case uint64:
		return mix64(v ^ h.seed)
	case uint32:
		return mix64(uint64(v) ^ h.seed)
	}
	return mix64(maphash.Comparable(h.ms, k) ^ h.seed)
}

// mix64 is the SplitMix64 finaliser (Steele, Lea, Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014): a bijection on 64 bits in
// which every input bit affects every output bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hashString folds s eight bytes at a time into a running state, each word
// through a multiply and rotate, and finalises with the length and mix64.
func hashString(s string, seed uint64) uint64 {
	const m = 0x9e3779b97f4a7c15 // 2^64 / golden ratio, odd
	h := seed ^ uint64(len(s))*m
	for len(s) >= 8 {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = (h ^ mix64(w)) * m
		h = h<<31 | h>>33
		s = s[8:]
	}
	var w uint64
	for i := 0; i < len(s); i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	return mix64(h ^ mix64(w^0xff))
}
