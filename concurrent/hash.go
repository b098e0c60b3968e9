package concurrent

import "hash/maphash"

// hasher gives a key the 64-bit hash that feeds the LFU frequency sketch,
// under the cache's seed (Options.Seed, or one drawn at random).
//
// Keys whose type is exactly string, int, int32, int64, uint, uint32 or
// uint64 are hashed by code of our own, so the same seed gives the same
// hashes in every process. Keys of any other type are hashed with
// hash/maphash under processSeed, and the cache's seed is mixed into the
// result: the same seed gives the same hashes for every cache of the process
// (a cache and its clone, two caches built alike), but not from one process
// to the next.
type hasher[K comparable] struct {
	seed uint64
}

// processSeed is the hash/maphash seed of every cache in the process. A seed
// per cache would make caches with the same Options.Seed hash non-string,
// non-integer keys differently, and so evict differently.
var processSeed = maphash.MakeSeed()

func newHasher[K comparable](seed uint64) hasher[K] {
	return hasher[K]{seed: seed}
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
	return mix64(maphash.Comparable(processSeed, k) ^ h.seed)
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
// mixed with the seed, through a multiply and rotate, and finalises with the
// length and mix64.
func hashString(s string, seed uint64) uint64 {
	const m = 0x9e3779b97f4a7c15 // 2^64 / golden ratio, odd
	h := seed ^ uint64(len(s))*m
	for len(s) >= 8 {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		// The seed goes into each word's mix: were it only in h's start,
		// a difference in bit 63 of one word's mix, which the multiply
		// keeps and the rotate moves to bit 30, would cancel one there in
		// the next word's, and crafted strings would collide under every
		// seed.
		h = (h ^ mix64(w^seed)) * m
		h = h<<31 | h>>33
		s = s[8:]
	}
	var w uint64
	for i := 0; i < len(s); i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	return mix64(h ^ mix64(w^0xff))
}
