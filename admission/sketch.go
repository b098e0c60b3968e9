package admission

import (
	"fmt"
	"math/bits"
)

const (
	// blockWords is the number of 64-bit words in a block: 8 words are
	// 64 bytes, one cache line on the machines Go runs on.
	blockWords = 8
	// maxCounter is where a 4-bit counter saturates.
	maxCounter = 15
	// sampleFactor scales the capacity into the number of increments
	// between two halvings (the sample size W of the TinyLFU paper).
	sampleFactor = 10

	// resetMask keeps every counter bit but the highest: after a shift
	// right by one it drops the bit each counter received from its
	// neighbour.
	resetMask = 0x7777777777777777
	// oddMask keeps the lowest bit of every counter.
	oddMask = 0x1111111111111111
)

// MaxCapacity is the largest capacity a sketch can be sized for: 1<<30 on
// 64-bit platforms (a table of 8 GiB, and with a doorkeeper a filter of
// 16 GiB) and 1<<23 on 32-bit ones (64 MiB and 128 MiB), where the
// doorkeeper's bit count for a larger sample would not fit in an int. [New],
// [NewWithDoorkeeper] and [Sketch.Resize] panic above it.
const MaxCapacity = 1 << (23 + 7*(bits.UintSize/64))

// Sketch is a count-min sketch of 4-bit counters that estimates the recent
// frequency of keys, given as 64-bit hashes, up to 15.
//
// Each key maps to one 64-byte block and to four counters inside it, one in
// each pair of words of the block, so a key's counters never share a word and
// the four probes touch one cache line. [Sketch.Increment] adds one to each of
// the four counters that is below 15; [Sketch.Frequency] returns the smallest
// of them, which never undercounts (the count-min property) until aging
// halves the counters, or a [Sketch.Resize] to another table size replaces
// them (with a doorkeeper, also a Resize that empties the doorkeeper: each
// key it held estimates one less). After every sample of 10 x capacity increments the
// sketch ages: every counter is halved (rounding down) and so is the sample
// count, as in the TinyLFU paper, less the increments the rounding took off
// the counters, as in Caffeine (see [Sketch.Age]), so later samples are a
// little over 5 x capacity increments long. By default every increment
// counts toward the sample, even one that finds the key's four counters
// already at 15; after [Sketch.SetSkipSaturated](true) such an increment
// does not count, as in Caffeine's sketch, so hot keys no longer hasten
// aging.
//
// The table holds the next power of two at or above the capacity in 64-bit
// words (16 counters per expected entry, at least one block): 8 bytes per
// entry of capacity.
//
// A sketch made by [NewWithDoorkeeper] also has a doorkeeper (see
// [NewWithDoorkeeper]). The increments it absorbs, a key's first occurrence
// in a sample, do not reach the counters and do not count toward the sample:
// with a doorkeeper, a sample is 10 x capacity increments of the counters,
// which takes more calls to [Sketch.Increment] the more keys are seen once.
//
// A Sketch is not safe for concurrent use. The zero value is not usable; call
// [New] or [NewWithDoorkeeper].
type Sketch struct {
	table      []uint64
	blockMask  uint64 // number of blocks - 1 (a power of two - 1)
	seed       uint64
	additions  int // increments since the last halving (halved by it)
	sampleSize int // additions that trigger a halving
	capacity   int
	// skipSaturated: an increment that raises no counter does not count
	// toward the sample (see SetSkipSaturated).
	skipSaturated bool
	door          doorkeeper // empty unless made by NewWithDoorkeeper
	doorEpoch     uint64     // see DoorEpoch
}

// New returns a sketch sized for a cache of capacity entries whose hashes are
// mixed with seed. A capacity of 0 gives the smallest sketch (one block). It
// panics if capacity is negative or above [MaxCapacity].
func New(capacity int, seed uint64) *Sketch {
	s := &Sketch{seed: seed}
	s.Resize(capacity)
	return s
}

// NewWithDoorkeeper is like [New], with a doorkeeper in front of the
// counters: a small Bloom filter that absorbs the first occurrence of each
// key in a sample, so that keys seen once (most keys of most traces) do not
// take up counters and inflate the estimates of the keys they collide with.
// A key's estimate is then its counters plus one if the doorkeeper holds it
// (at most 15), and aging also empties the doorkeeper. The filter has 8 bits
// per increment of a sample (80 bits per entry of capacity), rounded up to
// a power of two: 10 to 20 bytes per entry of capacity, beside the
// counters' 8 (also rounded up to a power of two). It probes 3 bits.
//
// Measured on the project's traces, the doorkeeper raised W-TinyLFU's hit
// ratio on most of them (see the package concurrent's W-TinyLFU notes).
func NewWithDoorkeeper(capacity int, seed uint64) *Sketch {
	s := &Sketch{seed: seed, door: doorkeeper{on: true}}
	s.Resize(capacity)
	return s
}

// Resize sizes the sketch for a new capacity. When the size of the table
// changes, every counter is lost (a count-min sketch cannot be rehashed),
// though not the doorkeeper's keys if its size stays: a key it holds still
// estimates 1. The sample size always follows the capacity, and so does the
// doorkeeper's size:
// when that changes (with any change of the sample size that crosses a power
// of two of bits, even if the table keeps its size), the doorkeeper is
// emptied, so each key it held (every key counted in the current sample,
// not only those seen once) loses the one its estimate had from it, and
// its next occurrence is absorbed as a first one. If the sample in
// progress is at or above the new sample size, the sketch ages until it is
// below it. It panics if capacity is negative or above [MaxCapacity].
func (s *Sketch) Resize(capacity int) {
	if capacity < 0 {
		panic(fmt.Sprintf("admission: negative capacity %d", capacity))
	}
	if capacity > MaxCapacity {
		panic(fmt.Sprintf("admission: capacity %d above MaxCapacity (%d)", capacity, MaxCapacity))
	}
	words := max(ceilPow2(capacity), blockWords)
	if len(s.table) != words {
		s.table = make([]uint64, words)
		s.blockMask = uint64(words/blockWords) - 1
		s.additions = 0
	}
	s.capacity = capacity
	s.sampleSize = sampleFactor * max(capacity, 1)
	if s.door.on && s.door.resize(s.sampleSize) {
		s.doorEpoch++
	}
	// A smaller sample may already be over, several times over: age until
	// the sample in progress is below it, as the increments counted so far
	// would have had the sample been this size all along. Aging once left
	// it over for capacities that keep the one-block table (up to 8), and
	// the next Increment aged the sketch again.
	for s.additions >= s.sampleSize {
		s.Age()
	}
}

// Additions returns the number of increments counted in the current
// sample. When the sketch ages it drops to half of what is left once a
// quarter of the odd counters, what the halving's rounding takes off them,
// is taken off ((additions - odd/4) / 2, see [Sketch.Age]): to much less
// than half when most counted keys were seen once. [Sketch.Clear], and a [Sketch.Resize] that changes the table's
// size, reset it to 0.
func (s *Sketch) Additions() int { return s.additions }

// Capacity returns the capacity the sketch was last sized for.
func (s *Sketch) Capacity() int { return s.capacity }

// SampleSize returns the number of increments of the counters after which
// they are halved (10 x capacity, at least 10; with a doorkeeper, the
// increments it absorbs are not counted, and after SetSkipSaturated(true)
// neither are those that raise no counter).
func (s *Sketch) SampleSize() int { return s.sampleSize }

// SetSkipSaturated sets whether an increment that raises none of the key's
// counters, because all four are at 15 already, is left out of the sample's
// count (skip true, as Caffeine's and theine's sketches do) or counted like
// any other (false, the default). Counting them ages the sketch sooner the
// more often its hottest keys recur, which suits caches of a few hundred
// entries on shifting traces and not large caches on steady ones: package
// concurrent's W-TinyLFU skips them above 1,024 entries, which on a
// stationary Zipf stream (65,536 keys, θ 0.99, 16,384 entries) raised its
// hit ratio from 85.79% to 86.47% (see its notes). Clone and Resize keep
// the setting.
func (s *Sketch) SetSkipSaturated(skip bool) { s.skipSaturated = skip }

// SkipsSaturated reports the setting of [Sketch.SetSkipSaturated].
func (s *Sketch) SkipsSaturated() bool { return s.skipSaturated }

// Increment records one occurrence of the key whose hash is h, aging the
// sketch when the sample is complete. It does not allocate.
func (s *Sketch) Increment(h uint64) {
	m := s.mix(h)
	if s.door.on && !s.door.insert(m) {
		return // the first occurrence in this sample
	}
	s.count(m)
}

// IncrementSeen is [Sketch.Increment] for a key that Increment or
// IncrementSeen counted since [Sketch.DoorEpoch] last changed: the
// doorkeeper still holds such a key, so IncrementSeen goes straight to the
// counters, without the doorkeeper's three probes (three cache lines of a
// filter too large for the CPU's caches). The result is the same as
// Increment's. Called for any other key, it counts an occurrence that the
// doorkeeper should have absorbed. Without a doorkeeper it is Increment.
func (s *Sketch) IncrementSeen(h uint64) { s.count(s.mix(h)) }

// DoorEpoch returns a number that changes whenever the doorkeeper forgets
// the keys it holds: at every aging (see [Sketch.Age]), at [Sketch.Clear],
// and at a [Sketch.Resize] that changes its size. A key counted by
// [Sketch.Increment] or [Sketch.IncrementSeen] stays in the doorkeeper until
// the epoch changes, so a caller that remembers the epoch of a key's last
// count may count it again with IncrementSeen while the epoch is the same.
// Mind that an increment can end a sample, and the aging then empties the
// doorkeeper of the key just counted too: read the epoch before and after
// the increment, and remember it for the key only if it did not change. A
// sketch without a doorkeeper changes epochs at every aging and at Clear;
// having no doorkeeper to resize, it changes epochs at a Resize only if
// the Resize ages it.
func (s *Sketch) DoorEpoch() uint64 { return s.doorEpoch }

// count adds one occurrence of the mixed hash m to its counters, aging the
// sketch when the sample is complete.
func (s *Sketch) count(m uint64) {
	block := s.block(m)
	if s.skipSaturated {
		// (A path of its own: telling whether a counter rose costs the
		// other path about 4%.)
		raised := bump(block, 0, m) | bump(block, 1, m>>8) | bump(block, 2, m>>16) | bump(block, 3, m>>24)
		add := 1
		if raised == 0 {
			add = 0
		}
		s.additions += add
	} else {
		bump(block, 0, m)
		bump(block, 1, m>>8)
		bump(block, 2, m>>16)
		bump(block, 3, m>>24)
		s.additions++
	}
	if s.additions >= s.sampleSize {
		s.Age()
	}
}

// Frequency returns the estimated number of occurrences of the key whose hash
// is h, between 0 and 15. It does not allocate.
func (s *Sketch) Frequency(h uint64) int {
	m := s.mix(h)
	block := s.block(m)
	f := count(block, 0, m)
	f = min(f, count(block, 1, m>>8))
	f = min(f, count(block, 2, m>>16))
	f = min(f, count(block, 3, m>>24))
	if s.door.on && s.door.contains(m) {
		f = min(f+1, maxCounter)
	}
	return int(f)
}

// block returns the 64-byte block of the mixed hash m, chosen by its high
// 32 bits; the low 32 bits choose the counters, one byte each.
func (s *Sketch) block(m uint64) *[blockWords]uint64 {
	i := (m >> 32 & s.blockMask) * blockWords
	return (*[blockWords]uint64)(s.table[i : i+blockWords])
}

// The i-th counter (0..3) of a key lives in word pair i of its block: byte b
// of the mixed hash picks one of the two words (bit 0) and one of its sixteen
// 4-bit counters (bits 1-4). Separate pairs keep a key's counters apart.

// bump adds one to a counter that is not full, choosing the increment (0 or
// 1) without a branch (a conditional move), and returns what it added to the
// word (0 if the counter was full). In a client-sized cache the hot
// keys' counters fill up and age back down every sample, so a branch on
// "full" is mispredicted often: BenchmarkIncrementSmall went from 11.94 to
// 6.70 ns, and bench/'s BenchmarkSmall, LFU over 100 keys, from 52.35 to
// 47.56 ns a request. Where counters stay full (BenchmarkIncrement's 4,096
// keys) a branch that skips the store is quicker: 7.23 against 8.67 ns.
func bump(block *[blockWords]uint64, i int, b uint64) uint64 {
	w := &block[2*i+int(b&1)]
	shift := (b >> 1 & 15) << 2
	inc := uint64(1) << shift
	if *w>>shift&maxCounter == maxCounter {
		inc = 0
	}
	*w += inc
	return inc
}

func count(block *[blockWords]uint64, i int, b uint64) uint64 {
	return block[2*i+int(b&1)] >> ((b >> 1 & 15) << 2) & maxCounter
}

// Age halves every counter (rounding down) and the count of increments in
// the current sample, and empties the doorkeeper: the TinyLFU reset.
// Increment calls it by itself at the end of every sample.
//
// The count is first reduced by what the rounding took off the counters: an
// odd counter loses half a count, and an increment adds to four counters,
// so the counters now hold (additions - odd/4) / 2 increments' worth, where
// odd is the number of odd counters (Caffeine's FrequencySketch does the
// same). Without it the next sample ends early, the more so the more keys
// were seen once, and the counts age faster than the sample size says. On
// the project's traces the correction raised W-TinyLFU's hit ratio at 33 of
// 76 (trace, capacity) points and lowered it at 9, by 0.22 points at most
// (averaged over three seeds; see package concurrent's W-TinyLFU notes).
func (s *Sketch) Age() {
	odd := 0
	for i, w := range s.table {
		odd += bits.OnesCount64(w & oddMask)
		s.table[i] = w >> 1 & resetMask
	}
	s.additions = max(s.additions-odd/4, 0) >> 1
	clear(s.door.bits)
	s.doorEpoch++
}

// Clear forgets every count.
func (s *Sketch) Clear() {
	clear(s.table)
	clear(s.door.bits)
	s.additions = 0
	s.doorEpoch++
}

// Clone returns an independent copy of s in the same state.
func (s *Sketch) Clone() *Sketch {
	c := *s
	c.table = append([]uint64(nil), s.table...)
	c.door.bits = append([]uint64(nil), s.door.bits...)
	return &c
}

// mix folds the seed into h and finishes it with the 64-bit finaliser of
// MurmurHash3, so that every output bit depends on every input bit.
func (s *Sketch) mix(h uint64) uint64 {
	h ^= s.seed
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func ceilPow2(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}
