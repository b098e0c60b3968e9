package admission

import "math/bits"

// doorkeeper is a Bloom filter of the keys seen once in the current sample:
// a power of two of bits, three probes derived from the sketch's mixed hash
// (so it is seeded too).
//
// The probes spread over the whole filter, in three cache lines, and a CPU
// profile of an LFU cache's hits at 65,536 entries puts about a quarter of
// a hit's time in insert. A blocked filter, with a key's three probes in
// one cache line (a patch measured and not kept), was no faster: 10
// alternating runs each of concurrent/'s BenchmarkGetSerial
// impl=clientcache-LFU from test binaries with and without it gave 246.0
// against 249.3 ns (benchstat p=0.796); the three loads are independent,
// so their misses overlap. It had 3.12% false positives at 8 bits per key,
// against 3.04% with spread probes, and over the 76 rows of bench/'s hit
// ratio table (TestSimAblations, seeds 1-3) it lost 1.82 points in all,
// 0.92 of them at P3 with 100,000 entries.
//
// What helped instead is not probing at all when the answer is known: a key
// counted earlier in the same doorkeeper epoch is in the filter, and
// [Sketch.IncrementSeen] counts it without the probes. The LFU policy marks
// each node with the epoch of its key's last count and uses it for every
// request after a key's first in a sample: 12 alternating runs each of
// BenchmarkGetSerial impl=clientcache-LFU (65,536 entries, Zipf keys) from
// test binaries without and with it gave 84.85 against 78.49 ns at -cpu 1
// (-7.5%, p=0.014), 84.96 against 79.12 at -cpu 2 (-6.9%, p=0.000); and
// BenchmarkIncrement here 13.2 ns with the doorkeeper, 8.0 with
// IncrementSeen, 8.1 without a doorkeeper.
type doorkeeper struct {
	on    bool
	bits  []uint64
	shift uint // 64 - log2(number of bits): a probe is the top bits of a product
}

// resize sizes the filter for n insertions (8 bits each), emptying it if its
// size changes; it reports whether it did.
func (d *doorkeeper) resize(n int) bool {
	nbits := doorBits(n)
	if len(d.bits)*64 == nbits {
		return false
	}
	d.bits = make([]uint64, nbits/64)
	d.shift = uint(64 - bits.TrailingZeros(uint(nbits)))
	return true
}

// doorBits is the filter's size in bits for n insertions: 8 bits each,
// rounded up to a power of two, at least 64. For the sample of a sketch of
// MaxCapacity it still fits in an int.
func doorBits(n int) int { return max(ceilPow2(8*n), 64) }

// probe returns the i-th bit position of the mixed hash m. The multipliers
// are odd constants; the top bits of each product are well mixed.
func (d *doorkeeper) probe(m uint64, i int) uint64 {
	switch i {
	case 0:
		return (m * 0x9e3779b97f4a7c15) >> d.shift
	case 1:
		return (m * 0xc2b2ae3d27d4eb4f) >> d.shift
	}
	return (m * 0x165667b19e3779f9) >> d.shift
}

// insert adds m and reports whether it was already present.
func (d *doorkeeper) insert(m uint64) bool {
	present := true
	for i := range 3 {
		b := d.probe(m, i)
		w, bit := &d.bits[b/64], uint64(1)<<(b%64)
		if *w&bit == 0 {
			present = false
			*w |= bit
		}
	}
	return present
}

func (d *doorkeeper) contains(m uint64) bool {
	for i := range 3 {
		b := d.probe(m, i)
		if d.bits[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}
