package admission

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// hashOf spreads small test keys over 64 bits, as the engine's key hash does.
func hashOf(k uint64) uint64 {
	k += 0x9e3779b97f4a7c15
	k = (k ^ k>>30) * 0xbf58476d1ce4e5b9
	k = (k ^ k>>27) * 0x94d049bb133111eb
	return k ^ k>>31
}

// counters returns every 4-bit counter of the table, in table order.
func counters(s *Sketch) []int {
	out := make([]int, 0, len(s.table)*16)
	for _, w := range s.table {
		for i := range 16 {
			out = append(out, int(w>>(4*i)&15))
		}
	}
	return out
}

// counterIndexes returns the positions (in counters order) of the four
// counters of hash h: the reference model of the layout.
func counterIndexes(s *Sketch, h uint64) [4]int {
	m := s.mix(h)
	block := int(m >> 32 & s.blockMask)
	var idx [4]int
	for i := range 4 {
		b := m >> (8 * i)
		word := block*blockWords + 2*i + int(b&1)
		idx[i] = word*16 + int(b>>1&15)
	}
	return idx
}

func TestFourCountersInOneBlockInDistinctWords(t *testing.T) {
	s := New(1024, 7)
	for k := range uint64(10_000) {
		idx := counterIndexes(s, hashOf(k))
		block := idx[0] / (16 * blockWords)
		words := map[int]bool{}
		for _, x := range idx {
			if x/(16*blockWords) != block {
				t.Fatalf("key %d: counters %v span blocks", k, idx)
			}
			words[x/16] = true
		}
		if len(words) != 4 {
			t.Fatalf("key %d: counters %v share a word", k, idx)
		}
	}
}

func TestNeverUndercountsBeforeAging(t *testing.T) {
	const capacity = 512
	rng := rand.New(rand.NewPCG(1, 2))
	for _, keys := range []uint64{100, 1000, 20_000} {
		s := New(capacity, rng.Uint64())
		exact := map[uint64]int{}
		// Stay just below one sample: no halving may happen.
		for range s.SampleSize() - 1 {
			k := rng.Uint64N(keys)
			if rng.IntN(2) == 0 {
				k = rng.Uint64N(keys/10 + 1) // a hot subset
			}
			s.Increment(hashOf(k))
			exact[k]++
		}
		for k, n := range exact {
			if got := s.Frequency(hashOf(k)); got < min(n, maxCounter) {
				t.Fatalf("keys=%d: key %d seen %d times, estimate %d", keys, k, n, got)
			}
		}
	}
}

func TestCountersMatchSaturatingModel(t *testing.T) {
	// One block (capacity 0) and many keys: heavy collisions, saturation
	// everywhere. Each counter must equal a model that adds one and stops
	// at 15: no counter exceeds 15 and none carries into its neighbour.
	s := New(0, 3)
	s.sampleSize = math.MaxInt // no aging in this test
	model := make([]int, len(s.table)*16)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		h := hashOf(rng.Uint64N(300))
		s.Increment(h)
		for _, x := range counterIndexes(s, h) {
			model[x] = min(model[x]+1, maxCounter)
		}
	}
	got := counters(s)
	saturated := 0
	for i := range model {
		if got[i] != model[i] {
			t.Fatalf("counter %d = %d, model %d", i, got[i], model[i])
		}
		if got[i] == maxCounter {
			saturated++
		}
	}
	if saturated == 0 {
		t.Fatal("test did not reach saturation")
	}
	if f := s.Frequency(hashOf(0)); f != maxCounter {
		t.Fatalf("hot key in a saturated sketch: frequency %d, want 15", f)
	}
}

func TestAgeHalvesEveryCounter(t *testing.T) {
	s := New(64, 5)
	s.sampleSize = math.MaxInt
	rng := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		s.Increment(hashOf(rng.Uint64N(200)))
	}
	before := counters(s)
	adds, odd := s.additions, oddCounters(s)
	if odd == 0 {
		t.Fatal("no odd counter before aging: the test checks nothing of the correction")
	}
	s.Age()
	after := counters(s)
	for i := range before {
		if after[i] != before[i]/2 {
			t.Fatalf("counter %d: %d halved to %d", i, before[i], after[i])
		}
	}
	if want := aged(adds, odd); s.additions != want {
		t.Fatalf("additions %d after halving %d with %d odd counters, want %d", s.additions, adds, odd, want)
	}
}

// aged is the sample count after aging, as the model computes it: additions
// less a quarter of the odd counters (what the halving's rounding took off),
// halved.
func aged(additions, odd int) int { return (additions - odd/4) / 2 }

// oddAfterIncrement returns the number of odd counters s would hold after
// an increment of h, before any aging it triggers (on a copy of s whose
// sample never ends).
func oddAfterIncrement(s *Sketch, h uint64) int {
	probe := s.Clone()
	probe.sampleSize = math.MaxInt
	probe.Increment(h)
	return oddCounters(probe)
}

// oddCounters returns the number of odd counters in s.
func oddCounters(s *Sketch) int {
	odd := 0
	for _, c := range counters(s) {
		odd += c & 1
	}
	return odd
}

// TestAgeCountsWhatTheCountersHold: after aging, the sample count equals the
// counters' total over four (an increment adds to four counters), whatever
// the rounding took off; halving the count alone would overstate it.
func TestAgeCountsWhatTheCountersHold(t *testing.T) {
	s := New(1024, 3)
	s.sampleSize = math.MaxInt
	for k := range uint64(5000) { // mostly distinct keys: mostly counters of one
		s.Increment(hashOf(k))
	}
	total := func() int {
		n := 0
		for _, c := range counters(s) {
			n += c
		}
		return n
	}
	if total() != 4*s.additions {
		t.Fatalf("before aging: counters hold %d, additions %d (collisions saturated a counter?)", total(), s.additions)
	}
	adds, odd := s.additions, oddCounters(s)
	s.Age()
	// The integer divisions may round the two apart by one.
	got, held := s.additions, total()/4
	if got != aged(adds, odd) || got < held-1 || got > held+1 {
		t.Fatalf("after aging: additions %d (was %d, %d odd counters), counters hold %d increments' worth", got, adds, odd, held)
	}
	if halved := adds / 2; halved <= held+1 {
		t.Fatalf("halving alone gives %d, no more than the counters hold (%d): the test checks nothing of the correction", halved, held)
	}
}

func TestAgesAfterTenTimesCapacity(t *testing.T) {
	const capacity = 16
	s := New(capacity, 9)
	if s.SampleSize() != 10*capacity {
		t.Fatalf("sample size %d, want %d", s.SampleSize(), 10*capacity)
	}
	hot := hashOf(1)
	for range 8 {
		s.Increment(hot)
	}
	// Fill the sample with other keys, stopping one short of it.
	for k := uint64(100); s.additions < s.SampleSize()-1; k++ {
		s.Increment(hashOf(k))
	}
	before := s.Frequency(hot)
	if before < 8 {
		t.Fatalf("hot key estimate %d before aging, want >= 8", before)
	}
	odd := oddAfterIncrement(s, hashOf(99))
	s.Increment(hashOf(99)) // completes the sample
	if want := aged(s.SampleSize(), odd); s.additions != want {
		t.Fatalf("additions %d after aging, want %d", s.additions, want)
	}
	if after := s.Frequency(hot); after != before/2 {
		t.Fatalf("hot key estimate %d after aging, want %d", after, before/2)
	}
}

func TestSkipSaturated(t *testing.T) {
	for _, skip := range []bool{false, true} {
		s := New(64, 5)
		if s.SkipsSaturated() {
			t.Fatal("a new sketch skips saturated increments; the default is to count them")
		}
		s.SetSkipSaturated(skip)
		hot := hashOf(1)
		for i := 1; i <= 40; i++ {
			s.Increment(hot)
			want := i // every increment counts
			if skip {
				want = min(i, maxCounter) // only the 15 that raised a counter
			}
			if s.Additions() != want {
				t.Fatalf("skip %v: after %d increments of one key, additions %d, want %d", skip, i, s.Additions(), want)
			}
		}
		if f := s.Frequency(hot); f != maxCounter {
			t.Fatalf("skip %v: frequency %d, want 15", skip, f)
		}
		// The setting survives Clone and Resize.
		if c := s.Clone(); c.SkipsSaturated() != skip {
			t.Fatalf("skip %v: the clone's setting is %v", skip, c.SkipsSaturated())
		}
		s.Resize(1000)
		if s.SkipsSaturated() != skip {
			t.Fatalf("skip %v: after Resize the setting is %v", skip, s.SkipsSaturated())
		}
	}
}

func TestSkipSaturatedStillAges(t *testing.T) {
	// A sample is 10 x capacity increments that raised a counter: a hot key
	// past 15 does not end it, other keys do.
	const capacity = 16
	s := New(capacity, 9)
	s.SetSkipSaturated(true)
	hot := hashOf(1)
	for range 1000 {
		s.Increment(hot)
	}
	if s.DoorEpoch() != 0 || s.Frequency(hot) != maxCounter {
		t.Fatalf("1,000 increments of one key aged the sketch (epoch %d, frequency %d)", s.DoorEpoch(), s.Frequency(hot))
	}
	for k := uint64(100); s.DoorEpoch() == 0; k++ {
		if k > 100+100*capacity {
			t.Fatal("the sketch never aged")
		}
		s.Increment(hashOf(k))
	}
	if f := s.Frequency(hot); f != maxCounter/2 {
		t.Fatalf("hot key estimate %d after aging, want %d", f, maxCounter/2)
	}
}

func TestSeedMovesCounters(t *testing.T) {
	a, b := New(4096, 1), New(4096, 2)
	same := 0
	for k := range uint64(1000) {
		if counterIndexes(a, hashOf(k)) == counterIndexes(b, hashOf(k)) {
			same++
		}
	}
	if same > 10 {
		t.Fatalf("%d of 1000 keys keep their counters under another seed", same)
	}
}

func TestSizing(t *testing.T) {
	for _, tc := range []struct{ capacity, words int }{
		{0, 8}, {1, 8}, {8, 8}, {9, 16}, {1000, 1024}, {1024, 1024}, {1025, 2048},
	} {
		s := New(tc.capacity, 0)
		if len(s.table) != tc.words {
			t.Errorf("New(%d): %d words, want %d", tc.capacity, len(s.table), tc.words)
		}
		if s.Capacity() != tc.capacity {
			t.Errorf("New(%d).Capacity() = %d", tc.capacity, s.Capacity())
		}
	}
}

func TestResize(t *testing.T) {
	s := New(100, 1)
	h := hashOf(42)
	for range 5 {
		s.Increment(h)
	}
	s.Resize(120) // same table size: counts survive
	if f := s.Frequency(h); f < 5 {
		t.Fatalf("estimate %d after a resize within the table, want >= 5", f)
	}
	if s.SampleSize() != 1200 {
		t.Fatalf("sample size %d, want 1200", s.SampleSize())
	}
	s.Resize(5000)
	if len(s.table) != 8192 || s.Frequency(h) != 0 {
		t.Fatalf("after growing: %d words, estimate %d", len(s.table), s.Frequency(h))
	}
	s.Increment(h)
	s.Resize(10)
	if len(s.table) != 16 || s.Frequency(h) != 0 || s.SampleSize() != 100 {
		t.Fatalf("after shrinking: %d words, estimate %d, sample %d", len(s.table), s.Frequency(h), s.SampleSize())
	}
}

func TestResizeToSmallerSampleAges(t *testing.T) {
	s := New(1000, 1) // 1024 words, sample 10,000
	h := hashOf(1)
	for range 6 {
		s.Increment(h)
	}
	for k := uint64(10); s.additions < 6000; k++ {
		s.Increment(hashOf(k))
	}
	before, odd := s.Frequency(h), oddCounters(s)
	s.Resize(513) // still 1024 words, sample 5,130: the sample is over
	if want := (6000 - odd/4) / 2; s.additions != want || s.Frequency(h) != before/2 {
		t.Fatalf("additions %d (want %d), estimate %d (want %d)", s.additions, want, s.Frequency(h), before/2)
	}
}

// TestResizeToASampleLongOverAgesUntilBelowIt: a Resize whose new sample
// the one in progress exceeds more than twice aged once, and left the
// sample over: the next Increment halved every counter again (capacities up
// to 8 keep the one-block table, so nothing else bounds the shrink; found
// by a review helper). Resize now ages until the sample is below the new
// size.
func TestResizeToASampleLongOverAgesUntilBelowIt(t *testing.T) {
	s := New(8, 1) // one block, sample 80
	if s.SampleSize() != 80 {
		// The loop below would never end: fail instead of hanging.
		t.Fatalf("SampleSize() = %d, want 80", s.SampleSize())
	}
	for k := uint64(0); s.Additions() < 79; k++ {
		s.Increment(hashOf(k))
	}
	s.Resize(0) // the same table, sample 10
	if s.Additions() >= s.SampleSize() {
		t.Fatalf("after Resize(0): Additions() = %d, SampleSize() = %d: the sample is still over", s.Additions(), s.SampleSize())
	}
	before := s.DoorEpoch()
	s.Increment(hashOf(1000))
	if s.DoorEpoch() != before {
		t.Error("the first Increment after Resize aged the sketch again")
	}
}

func TestNegativeCapacityPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New(-1) did not panic")
		}
	}()
	New(-1, 0)
}

func TestCapacityAboveMaxPanics(t *testing.T) {
	for _, f := range []func(){
		func() { New(MaxCapacity+1, 0) },
		func() { NewWithDoorkeeper(MaxCapacity+1, 0) },
		func() { New(10, 0).Resize(MaxCapacity + 1) },
	} {
		func() {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, "MaxCapacity") {
					t.Errorf("capacity MaxCapacity+1: panic %v, want one naming MaxCapacity", r)
				}
			}()
			f()
		}()
	}
}

// TestSizesFitAtMaxCapacity checks the sizes computed for the largest
// capacity without allocating them: on a 32-bit platform the doorkeeper's
// bit count is the first to overflow an int (GOARCH=386 go test runs it
// there).
func TestSizesFitAtMaxCapacity(t *testing.T) {
	for _, capacity := range []int{0, 1, 1000, 1 << 20, MaxCapacity} {
		if words := ceilPow2(capacity); words < capacity || words&(words-1) != 0 {
			t.Errorf("capacity %d: table of %d words", capacity, words)
		}
		sample := sampleFactor * max(capacity, 1)
		if sample < capacity {
			t.Errorf("capacity %d: sample size %d overflowed", capacity, sample)
		}
		b := doorBits(sample)
		if b&(b-1) != 0 || uint64(b) < 8*uint64(sample) || uint64(b) > max(16*uint64(sample), 64) {
			t.Errorf("capacity %d: %d doorkeeper bits for a sample of %d", capacity, b, sample)
		}
	}
}

func TestCloneIsIndependent(t *testing.T) {
	s := New(64, 11)
	h := hashOf(1)
	s.Increment(h)
	c := s.Clone()
	c.Increment(h)
	if s.Frequency(h) != 1 || c.Frequency(h) != 2 {
		t.Fatalf("original %d, clone %d", s.Frequency(h), c.Frequency(h))
	}
	if c.seed != s.seed || c.additions != s.additions+1 {
		t.Fatal("clone lost state")
	}
}

func TestClear(t *testing.T) {
	s := New(64, 11)
	s.Increment(hashOf(1))
	s.Clear()
	if s.Frequency(hashOf(1)) != 0 || s.additions != 0 {
		t.Fatal("Clear kept counts")
	}
}

func TestZeroAllocs(t *testing.T) {
	for _, s := range []*Sketch{New(1<<12, 1), NewWithDoorkeeper(1<<12, 1)} {
		h := hashOf(7)
		if n := testing.AllocsPerRun(1000, func() { s.Increment(h); s.IncrementSeen(h); _ = s.Frequency(h) }); n != 0 {
			t.Fatalf("%v allocations per Increment+IncrementSeen+Frequency", n)
		}
	}
}

// FuzzSketch runs a sequence of operations decoded from the input against a
// model of exact counts that saturate at 15 and halve when the sketch ages:
// the estimate must never fall below the model and never exceed 15. The
// first byte chooses the capacity, the seed and whether the sketch has a
// doorkeeper; the model then keeps each key's first occurrence of a sample
// apart, as the doorkeeper does (a false positive of the filter only makes
// the sketch count more, so the model stays a lower bound). A second sketch,
// a mirror, gets the same operations, but counts with IncrementSeen each
// key it counted since the doorkeeper epoch last changed: it must stay
// identical to the first, counters, doorkeeper and count of additions.
// Bit 0x20 of the first byte sizes the sketch for several blocks (16 to
// 240 entries), and bit 0x10 adds a fifth operation, Resize, to a capacity
// its key byte chooses likewise (bit 0x40: several blocks): the model then
// loses its counts if the table changes size, its doorkeeper marks if the
// doorkeeper is emptied, and ages as often as Resize ages the sketch.
//
// The model above is a lower bound, which no overcount can break: a second
// model holds every counter of the table, placed by counterIndexes, and
// raised only by the increments the doorkeeper lets through; a third holds
// the doorkeeper's set bits (placed by its probes), which each increment
// sets and each aging, Clear and Resize to another filter size empties; and
// the count of additions is modelled with or without a doorkeeper, so the
// model, not the sketch, says when a sample ends. After an increment the
// key's four counters must equal their model; after every aging, Clear and
// Resize, and at the end, all counters must; after every operation the
// doorkeeper, the count of additions and the epoch's moves must; and every
// estimate must be the smallest of the key's four model counters, plus one
// if the model doorkeeper holds the key. (The target once took the
// doorkeeper and the moment of aging from the sketch itself: an Age or a
// Clear that kept the doorkeeper's bits, or an absorbed first occurrence
// counted toward the sample, passed it.)
func FuzzSketch(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{2, 0, 1, 0, 1, 0, 1, 1, 1})
	f.Add([]byte{1, 0, 7, 0, 7, 0, 7, 1, 7, 2, 0, 1, 7, 3, 0, 1, 7})
	f.Add([]byte{0x81, 0, 7, 0, 7, 1, 7, 0, 7, 1, 7, 2, 0, 1, 7})
	// Capacity 7 (one block, samples of 70), one key incremented past 15,
	// saturated increments skipped.
	f.Add([]byte{0x47, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 1, 3})
	// Several blocks (capacity 16 + 32 x 3 = 112), then Resize to one
	// block, and back to several, with a doorkeeper.
	f.Add([]byte{0xb3, 0, 1, 0, 9, 0, 1, 1, 1, 4, 0x05, 0, 1, 1, 1, 4, 0x47, 0, 1, 1, 1})
	f.Add([]byte{0x33, 0, 1, 0, 9, 0, 1, 4, 0x41, 1, 1, 2, 0, 4, 0x02, 1, 9})
	// Capacity 7 (samples of 70), 40 increments, then Resize to 0
	// (samples of 10): the sketch must age until the sample in progress
	// is below 10, three times.
	grow := []byte{0x17}
	for k := range byte(40) {
		grow = append(grow, 0, k)
	}
	f.Add(append(grow, 4, 0, 1, 3))
	// With a doorkeeper: a key seen once, Clear, the key again (a first
	// occurrence: absorbed, not counted).
	f.Add([]byte{0x81, 0, 1, 3, 0, 0, 1, 1, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) == 0 {
			return
		}
		door := ops[0]&0x80 != 0
		skip := ops[0]&0x40 != 0
		resizes := ops[0]&0x10 != 0
		capacity := func(b byte, many bool) int {
			if many {
				return 16 + 32*int(b%8)
			}
			return int(b % 8)
		}
		s := New(capacity(ops[0], ops[0]&0x20 != 0), uint64(ops[0]))
		if door {
			s = NewWithDoorkeeper(capacity(ops[0], ops[0]&0x20 != 0), uint64(ops[0]))
		}
		s.SetSkipSaturated(skip)
		type entry struct {
			n    int  // counted by the counters
			seen bool // absorbed by the doorkeeper
		}
		model := map[uint64]entry{}
		mirror := s.Clone()
		seen := epochCounter{}
		estimate := func(e entry) int {
			if e.seen {
				return min(e.n+1, maxCounter)
			}
			return e.n
		}
		age := func() {
			for k, e := range model {
				model[k] = entry{n: e.n / 2}
			}
		}
		adds := 0
		cells := make([]int, len(s.table)*16) // the model of the counters
		doorBitsSet := map[uint64]bool{}      // the model of the doorkeeper: its set bits
		probes := func(h uint64) [3]uint64 {
			m := s.mix(h)
			return [3]uint64{s.door.probe(m, 0), s.door.probe(m, 1), s.door.probe(m, 2)}
		}
		held := func(h uint64) bool { // by the model
			for _, b := range probes(h) {
				if !doorBitsSet[b] {
					return false
				}
			}
			return true
		}
		oddCells := func() int {
			odd := 0
			for _, c := range cells {
				odd += c & 1
			}
			return odd
		}
		// ageModels ages every model as Age documents: counters halved,
		// the count less a quarter of the odd counters then halved, the
		// doorkeeper emptied.
		ageModels := func() {
			odd := oddCells()
			for x := range cells {
				cells[x] /= 2
			}
			age()
			adds = aged(adds, odd)
			clear(doorBitsSet)
		}
		for i := 1; i+1 < len(ops); i += 2 {
			k := uint64(ops[i+1] % 64)
			op := ops[i] % 4
			if resizes {
				op = ops[i] % 5
			}
			checkAll := op > 1 // Age, Clear and Resize touch every counter
			switch op {
			case 0:
				h := hashOf(k)
				idx := counterIndexes(s, h)
				reaches := !door || held(h) // not absorbed by the doorkeeper
				raised := false
				for _, x := range idx {
					raised = raised || cells[x] < maxCounter
				}
				counted := reaches && (!skip || raised) // toward the sample
				epoch := s.DoorEpoch()
				s.Increment(h)
				seen.count(mirror, k)
				if door {
					for _, b := range probes(h) {
						doorBitsSet[b] = true
					}
				}
				if reaches {
					for _, x := range idx {
						cells[x] = min(cells[x]+1, maxCounter)
					}
				}
				e := model[k]
				if door && !e.seen {
					e.seen = true
				} else {
					e.n = min(e.n+1, maxCounter)
				}
				model[k] = e
				ages := false
				if counted {
					adds++
					ages = adds >= s.SampleSize()
				}
				if ages {
					ageModels()
					checkAll = true
				}
				if aged := s.DoorEpoch() != epoch; aged != ages {
					t.Fatalf("op %d: key %d: the increment aged the sketch: %v, the model: %v", i, k, aged, ages)
				}
				for _, x := range idx {
					if got := int(s.table[x/16] >> (4 * (x % 16)) & maxCounter); got != cells[x] {
						t.Fatalf("op %d: key %d counter %d, model %d", i, k, got, cells[x])
					}
				}
			case 1:
				got := s.Frequency(hashOf(k))
				if want := estimate(model[k]); got < want || got > maxCounter {
					t.Fatalf("op %d: key %d estimate %d, model %d", i, k, got, want)
				}
				want := maxCounter
				for _, x := range counterIndexes(s, hashOf(k)) {
					want = min(want, cells[x])
				}
				if door && held(hashOf(k)) {
					want = min(want+1, maxCounter)
				}
				if got != want {
					t.Fatalf("op %d: key %d estimate %d, the smallest of its model counters (plus the doorkeeper's one) %d", i, k, got, want)
				}
			case 2:
				epoch := s.DoorEpoch()
				s.Age()
				mirror.Age()
				ageModels()
				if s.DoorEpoch() == epoch {
					t.Fatalf("op %d: Age left the epoch", i)
				}
			case 3:
				epoch := s.DoorEpoch()
				s.Clear()
				mirror.Clear()
				clear(model)
				clear(cells)
				clear(doorBitsSet)
				adds = 0
				if s.DoorEpoch() == epoch {
					t.Fatalf("op %d: Clear left the epoch", i)
				}
			case 4:
				c := capacity(ops[i+1], ops[i+1]&0x40 != 0)
				sample := sampleFactor * max(c, 1)
				sized := max(ceilPow2(c), blockWords) == len(s.table)
				newDoor := door && max(ceilPow2(8*sample), 64) != len(s.door.bits)*64
				epoch := s.DoorEpoch()
				s.Resize(c)
				mirror.Resize(c)
				if !sized { // every count is lost; the doorkeeper may keep its keys
					for k, e := range model {
						model[k] = entry{seen: e.seen}
					}
					adds = 0
					cells = make([]int, len(s.table)*16)
				}
				wantEpoch := epoch
				if newDoor { // the doorkeeper is emptied
					for k, e := range model {
						model[k] = entry{n: e.n}
					}
					clear(doorBitsSet)
					wantEpoch++
				}
				for adds >= sample { // ages until the sample is below the new size
					ageModels()
					wantEpoch++
				}
				if s.DoorEpoch() != wantEpoch {
					t.Fatalf("op %d: Resize(%d) moved the epoch by %d, the model by %d", i, c, s.DoorEpoch()-epoch, wantEpoch-epoch)
				}
			}
			if checkAll && !sameCounters(s, cells) {
				t.Fatalf("op %d: the counters differ from their model", i)
			}
			if door && !sameDoor(s, doorBitsSet) {
				t.Fatalf("op %d: the doorkeeper differs from its model", i)
			}
			if !sameSketch(s, mirror) {
				t.Fatalf("op %d: the sketch counting with IncrementSeen differs from the one counting with Increment", i)
			}
			if s.additions != adds {
				t.Fatalf("op %d: sketch counted %d additions, model %d", i, s.additions, adds)
			}
		}
		if !sameCounters(s, cells) {
			t.Fatalf("end: the counters differ from their model")
		}
		for k, e := range model {
			if got := s.Frequency(hashOf(k)); got < estimate(e) {
				t.Fatalf("end: key %d estimate %d, model %d", k, got, estimate(e))
			}
		}
	})
}

// sameDoor reports whether the doorkeeper's set bits of s are exactly set.
func sameDoor(s *Sketch, set map[uint64]bool) bool {
	n := 0
	for w, word := range s.door.bits {
		for ; word != 0; word &= word - 1 {
			if !set[uint64(w*64+bits.TrailingZeros64(word))] {
				return false
			}
			n++
		}
	}
	return n == len(set)
}

// sameCounters reports whether the counters of s are cells, in counters
// order, without building that slice (FuzzSketch calls it after every
// aging, Clear and Resize).
func sameCounters(s *Sketch, cells []int) bool {
	if len(cells) != len(s.table)*16 {
		return false
	}
	for w, word := range s.table {
		for i := range 16 {
			if int(word>>(4*i)&maxCounter) != cells[w*16+i] {
				return false
			}
		}
	}
	return true
}

// epochCounter counts keys into a sketch as a caller of IncrementSeen
// does: with IncrementSeen for a key it counted since the sketch's
// DoorEpoch last changed, with Increment otherwise. It maps each key to the
// epoch of its last count, plus one (0: never counted).
type epochCounter map[uint64]uint64

// count counts key k into s, and reports whether it used IncrementSeen and
// whether the count ended the sample (changed the epoch).
func (c epochCounter) count(s *Sketch, k uint64) (usedSeen, ended bool) {
	epoch := s.DoorEpoch()
	if usedSeen = c[k] == epoch+1; usedSeen {
		s.IncrementSeen(hashOf(k))
	} else {
		s.Increment(hashOf(k))
	}
	if ended = s.DoorEpoch() != epoch; !ended {
		c[k] = epoch + 1
	}
	return usedSeen, ended
}

// sameSketch reports whether a and b hold the same counters, doorkeeper bits
// and count of additions.
func sameSketch(a, b *Sketch) bool {
	return a.additions == b.additions && slices.Equal(a.table, b.table) && slices.Equal(a.door.bits, b.door.bits)
}

// TestIncrementSeenMatchesIncrement counts a random stream into two sketches
// with a doorkeeper: one with Increment only, the other with IncrementSeen
// for each key it counted since DoorEpoch last changed (and Increment
// otherwise), resizing both now and then. They must stay identical; and the
// stream must have aged the sketches and used IncrementSeen, or the test
// proves nothing.
func TestIncrementSeenMatchesIncrement(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a, b := NewWithDoorkeeper(64, 9), NewWithDoorkeeper(64, 9)
	counter := epochCounter{}
	seen, epochs := 0, 0
	for step := range 100_000 {
		if step%20_000 == 19_999 {
			c := 32 + rng.IntN(200)
			a.Resize(c)
			b.Resize(c)
		}
		k := rng.Uint64N(300)
		if rng.IntN(4) == 0 {
			k = rng.Uint64N(8) // hot keys, counted many times in a sample
		}
		a.Increment(hashOf(k))
		usedSeen, ended := counter.count(b, k)
		if usedSeen {
			seen++
		}
		if ended {
			epochs++
		}
		if !sameSketch(a, b) {
			t.Fatalf("step %d (key %d): the sketches differ", step, k)
		}
	}
	if seen < 10_000 || epochs < 20 {
		t.Fatalf("%d IncrementSeen calls and %d agings during an increment in 100,000 steps: the stream does not exercise them", seen, epochs)
	}
}

func TestDoorEpoch(t *testing.T) {
	s := NewWithDoorkeeper(64, 1)
	e := s.DoorEpoch()
	step := func(what string, f func(), changes bool) {
		t.Helper()
		before := s.DoorEpoch()
		f()
		if changed := s.DoorEpoch() != before; changed != changes {
			t.Fatalf("%s: epoch changed %v, want %v", what, changed, changes)
		}
	}
	step("Increment within the sample", func() { s.Increment(hashOf(1)); s.Increment(hashOf(1)) }, false)
	step("IncrementSeen within the sample", func() { s.IncrementSeen(hashOf(1)) }, false)
	step("Frequency", func() { s.Frequency(hashOf(1)) }, false)
	step("Age", s.Age, true)
	step("Clear", s.Clear, true)
	step("Resize to the same size", func() { s.Resize(64) }, false)
	step("Resize that changes the doorkeeper's size", func() { s.Resize(1024) }, true)
	step("the increment that ends a sample", func() {
		for s.Additions() < s.SampleSize()-1 {
			s.IncrementSeen(hashOf(2))
		}
		s.IncrementSeen(hashOf(2))
	}, true)
	if s.DoorEpoch() == e {
		t.Fatal("epoch never moved")
	}
}

func TestDoorkeeperAbsorbsFirstOccurrence(t *testing.T) {
	s := NewWithDoorkeeper(64, 3)
	h := hashOf(1)
	s.Increment(h)
	if s.Frequency(h) != 1 || s.Additions() != 0 {
		t.Fatalf("after one increment: estimate %d, additions %d; want 1, 0", s.Frequency(h), s.Additions())
	}
	for _, c := range counters(s) {
		if c != 0 {
			t.Fatal("the first occurrence reached the counters")
		}
	}
	s.Increment(h)
	if s.Frequency(h) != 2 || s.Additions() != 1 {
		t.Fatalf("after two increments: estimate %d, additions %d; want 2, 1", s.Frequency(h), s.Additions())
	}
	for range 40 {
		s.Increment(h)
	}
	if s.Frequency(h) != maxCounter {
		t.Fatalf("saturated estimate %d, want 15", s.Frequency(h))
	}
	s.Age()
	if s.Frequency(h) != 7 {
		t.Fatalf("after aging: estimate %d, want 7 (counters halved, doorkeeper emptied)", s.Frequency(h))
	}
	c := s.Clone()
	c.Increment(hashOf(2))
	if s.Frequency(hashOf(2)) != 0 || c.Frequency(hashOf(2)) != 1 {
		t.Fatal("clone shares the doorkeeper")
	}
	s.Clear()
	if s.Frequency(h) != 0 {
		t.Fatal("Clear kept the doorkeeper or counters")
	}
}

func TestDoorkeeperNeverUndercounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	s := NewWithDoorkeeper(1000, rng.Uint64())
	exact := map[uint64]int{}
	for s.Additions() < s.SampleSize()-1 && len(exact) < 15_000 {
		k := rng.Uint64N(5000)
		s.Increment(hashOf(k))
		exact[k]++
	}
	for k, n := range exact {
		if got := s.Frequency(hashOf(k)); got < min(n, maxCounter) {
			t.Fatalf("key %d seen %d times, estimate %d", k, n, got)
		}
	}
}

func TestDoorkeeperSizing(t *testing.T) {
	for _, tc := range []struct{ capacity, bits int }{{0, 128}, {1, 128}, {100, 8192}, {1000, 131072}} {
		s := NewWithDoorkeeper(tc.capacity, 0)
		if got := len(s.door.bits) * 64; got != tc.bits {
			t.Errorf("capacity %d: %d doorkeeper bits, want %d", tc.capacity, got, tc.bits)
		}
	}
	s := NewWithDoorkeeper(100, 0)
	s.Increment(hashOf(1))
	s.Resize(102) // same filter size: kept
	if s.Frequency(hashOf(1)) != 1 {
		t.Fatal("a resize within the same size emptied the doorkeeper")
	}
	// 12 -> 13 keeps the table (16 words) but doubles the filter (1,024 ->
	// 2,048 bits): the counters keep their counts, the doorkeeper is
	// emptied, as Resize documents.
	s = NewWithDoorkeeper(12, 0)
	once, twice := hashOf(1), hashOf(2)
	s.Increment(once)
	s.Increment(twice)
	s.Increment(twice)
	words := len(s.table)
	s.Resize(13)
	if len(s.table) != words || len(s.door.bits)*64 != 2048 {
		t.Fatalf("Resize(13): %d table words (want %d), %d filter bits (want 2048)", len(s.table), words, len(s.door.bits)*64)
	}
	if got := s.Frequency(once); got != 0 {
		t.Errorf("key seen once: estimate %d after the filter grew, want 0 (the doorkeeper is emptied)", got)
	}
	if got := s.Frequency(twice); got != 1 {
		t.Errorf("key seen twice: estimate %d after the filter grew, want 1 (its counter kept, its doorkeeper bit gone)", got)
	}
}

var sink int

func benchHashes() []uint64 {
	hs := make([]uint64, 1<<12)
	for i := range hs {
		hs[i] = hashOf(uint64(i))
	}
	return hs
}

func benchSketches() []struct {
	name string
	s    *Sketch
} {
	return []struct {
		name string
		s    *Sketch
	}{{"plain", New(1<<16, 1)}, {"doorkeeper", NewWithDoorkeeper(1<<16, 1)}}
}

func BenchmarkIncrement(b *testing.B) {
	hs := benchHashes()
	for _, bs := range benchSketches() {
		b.Run(bs.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				bs.s.Increment(hs[i&(len(hs)-1)])
				i++
			}
		})
	}
	// IncrementSeen, for keys the doorkeeper holds: the counters alone (the
	// doorkeeper forgets them at each aging, which this loop does not wait
	// for: it measures the cost, not the counts).
	s := NewWithDoorkeeper(1<<16, 1)
	for _, h := range hs {
		s.Increment(h)
	}
	b.Run("doorkeeper-seen", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s.IncrementSeen(hs[i&(len(hs)-1)])
			i++
		}
	})
}

// BenchmarkIncrementSmall counts a Zipf stream (exponent 1.01) over 150 keys
// in the sketch of a 100-entry cache, as the LFU policy of a client-sized
// cache counts a key its doorkeeper holds (IncrementSeen): the sample ends
// every 1,000 increments, so the hot keys' counters fill up and age back
// down, and whether a counter is full changes from one increment to the
// next. In BenchmarkIncrement the 4,096 keys of a sketch for 65,536 entries
// fill their counters and keep them full.
func BenchmarkIncrementSmall(b *testing.B) {
	z := rand.NewZipf(rand.New(rand.NewPCG(5, 6)), 1.01, 1, 149)
	hs := make([]uint64, 1<<16)
	for i := range hs {
		hs[i] = hashOf(z.Uint64())
	}
	s := NewWithDoorkeeper(100, 1)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.IncrementSeen(hs[i&(len(hs)-1)])
		i++
	}
}

func BenchmarkFrequency(b *testing.B) {
	hs := benchHashes()
	for _, bs := range benchSketches() {
		for _, h := range hs {
			bs.s.Increment(h)
			bs.s.Increment(h)
		}
		b.Run(bs.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				sink += bs.s.Frequency(hs[i&(len(hs)-1)])
				i++
			}
		})
	}
}

// BenchmarkIncrementLarge counts a Zipf stream (exponent 1.01) over 65,536
// keys in the sketch of a 16,384-entry cache, as the LFU policy of a large
// cache counts it (Increment), with saturated increments counted toward the
// sample and skipped (SetSkipSaturated, as the policy does above 1,024
// entries): the hot keys' counters sit at 15 while the others' do not, so
// whether an increment raises a counter changes from one to the next.
func BenchmarkIncrementLarge(b *testing.B) {
	z := rand.NewZipf(rand.New(rand.NewPCG(5, 6)), 1.01, 1, 1<<16-1)
	hs := make([]uint64, 1<<20)
	for i := range hs {
		hs[i] = hashOf(z.Uint64())
	}
	for _, skip := range []bool{false, true} {
		name := "count-saturated"
		if skip {
			name = "skip-saturated"
		}
		b.Run(name, func(b *testing.B) {
			s := NewWithDoorkeeper(1<<14, 1)
			s.SetSkipSaturated(skip)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s.Increment(hs[i&(len(hs)-1)])
				i++
			}
		})
	}
}

// TestDoorEpochOnResize: DoorEpoch's doc once said "A sketch
// without a doorkeeper changes epochs at the same points" as one with a
// doorkeeper, but Resize(12 -> 13), which changes the doorkeeper's size
// (1,024 -> 2,048 bits) without aging, changes the epoch only of the sketch
// that has a doorkeeper. The doc now says a sketch without one changes
// epochs at a Resize only if the Resize ages it; this pins both halves.
func TestDoorEpochOnResize(t *testing.T) {
	plain, door := New(12, 1), NewWithDoorkeeper(12, 1)
	p0, d0 := plain.DoorEpoch(), door.DoorEpoch()
	plain.Resize(13)
	door.Resize(13)
	if plain.DoorEpoch() != p0 || door.DoorEpoch() == d0 {
		t.Fatalf("Resize(12 -> 13) without aging: epoch changed %v without a doorkeeper (doc: false), %v with one (doc: true)",
			plain.DoorEpoch() != p0, door.DoorEpoch() != d0)
	}
	// A Resize that ages changes the epoch of both.
	for k := uint64(0); plain.Additions() < 100; k++ {
		plain.Increment(hashOf(k))
	}
	p1 := plain.DoorEpoch()
	plain.Resize(9) // the same table (16 words), sample 90: aged
	if plain.DoorEpoch() == p1 {
		t.Fatal("a Resize that aged a sketch without a doorkeeper left its epoch")
	}
}

// setCounter sets counter x (in counters order) of s to v.
func setCounter(s *Sketch, x, v int) {
	w, shift := &s.table[x/16], uint(x%16)*4
	*w = *w&^(15<<shift) | uint64(v)<<shift
}

// TestFrequencyIsTheSmallestOfFourCounters: Frequency returns the smallest
// of the key's four counters, whichever of them it is.
func TestFrequencyIsTheSmallestOfFourCounters(t *testing.T) {
	s := New(64, 5)
	h := hashOf(1)
	idx := counterIndexes(s, h)
	for low := range 4 {
		for i, x := range idx {
			setCounter(s, x, 9+i) // 9 to 12
		}
		setCounter(s, idx[low], 2)
		if f := s.Frequency(h); f != 2 {
			t.Fatalf("counter %d of 4 is the smallest (2), the others 9 to 12: frequency %d", low, f)
		}
	}
}

// TestSkipSaturatedCountsARaiseOfAnyCounter: with SetSkipSaturated(true),
// only an increment that raises none of the four counters is left out of
// the sample; one that raises any one of them, the last included, counts.
func TestSkipSaturatedCountsARaiseOfAnyCounter(t *testing.T) {
	h := hashOf(1)
	for open := range 4 {
		s := New(64, 5)
		s.SetSkipSaturated(true)
		idx := counterIndexes(s, h)
		for _, x := range idx {
			setCounter(s, x, maxCounter)
		}
		setCounter(s, idx[open], maxCounter-1)
		s.Increment(h)
		if s.Additions() != 1 {
			t.Fatalf("counter %d of 4 below 15: the increment that raised it counted %d additions, want 1", open, s.Additions())
		}
		s.Increment(h)
		if s.Additions() != 1 {
			t.Fatalf("all four counters at 15: the increment counted (additions %d, want 1)", s.Additions())
		}
	}
}

// TestClearEmptiesTheDoorkeeper: Clear forgets every count, the one a key
// seen once holds in the doorkeeper too, and the next occurrence is a
// first one again.
func TestClearEmptiesTheDoorkeeper(t *testing.T) {
	s := NewWithDoorkeeper(64, 11)
	h := hashOf(1)
	s.Increment(h)
	if s.Frequency(h) != 1 {
		t.Fatalf("seen once: estimate %d, want 1", s.Frequency(h))
	}
	s.Clear()
	if f := s.Frequency(h); f != 0 {
		t.Fatalf("after Clear: estimate %d, want 0", f)
	}
	s.Increment(h)
	if s.Additions() != 0 || s.Frequency(h) != 1 {
		t.Fatalf("first occurrence after Clear: additions %d (want 0), estimate %d (want 1)", s.Additions(), s.Frequency(h))
	}
}

// TestResizeToTheSampleInProgressAges: a Resize whose new sample size
// equals the increments counted so far ages the sketch ("at or above the
// new sample size").
func TestResizeToTheSampleInProgressAges(t *testing.T) {
	s := New(8, 1) // one block, sample 80
	for k := uint64(0); s.Additions() < 20; k++ {
		s.Increment(hashOf(k))
	}
	epoch := s.DoorEpoch()
	s.Resize(2) // the same table, sample 20
	if s.Additions() >= s.SampleSize() || s.DoorEpoch() == epoch {
		t.Fatalf("after Resize(2) with 20 additions: Additions() = %d, SampleSize() = %d, aged %v", s.Additions(), s.SampleSize(), s.DoorEpoch() != epoch)
	}
}

// TestMaxCapacityValue: MaxCapacity is 1<<30 on 64-bit platforms and 1<<23
// on 32-bit ones, as documented.
func TestMaxCapacityValue(t *testing.T) {
	want := 1 << 30
	if bits.UintSize == 32 {
		want = 1 << 23
	}
	if MaxCapacity != want {
		t.Fatalf("MaxCapacity = %d on a %d-bit platform, want %d", MaxCapacity, bits.UintSize, want)
	}
}

// TestIncrementSeenSkipsTheDoorkeeper: IncrementSeen goes straight to the
// counters: called for a key the doorkeeper does not hold, it counts the
// occurrence the doorkeeper should have absorbed.
func TestIncrementSeenSkipsTheDoorkeeper(t *testing.T) {
	s := NewWithDoorkeeper(64, 3)
	h := hashOf(1)
	s.IncrementSeen(h)
	if s.Additions() != 1 || s.Frequency(h) != 1 {
		t.Fatalf("IncrementSeen of a new key: additions %d, estimate %d; want 1, 1 (counted, not absorbed)", s.Additions(), s.Frequency(h))
	}
	s.Increment(h) // now the doorkeeper absorbs it
	if s.Additions() != 1 || s.Frequency(h) != 2 {
		t.Fatalf("then Increment: additions %d, estimate %d; want 1, 2", s.Additions(), s.Frequency(h))
	}
}

// TestDoorkeeperHoldsAKeyOnlyWithAllThreeBits: the doorkeeper probes three
// bits; a key two of whose bits are set (by other keys) is not held.
func TestDoorkeeperHoldsAKeyOnlyWithAllThreeBits(t *testing.T) {
	s := NewWithDoorkeeper(1000, 3)
	h := hashOf(1)
	m := s.mix(h)
	var probes [3]uint64
	for i := range probes {
		probes[i] = s.door.probe(m, i)
	}
	if probes[0] == probes[1] || probes[1] == probes[2] || probes[0] == probes[2] {
		t.Fatalf("probes %v collide: pick another key", probes)
	}
	for unset := range 3 {
		clear(s.door.bits)
		for i, b := range probes {
			if i != unset {
				s.door.bits[b/64] |= 1 << (b % 64)
			}
		}
		if f := s.Frequency(h); f != 0 {
			t.Fatalf("bit %d of 3 unset: estimate %d, want 0", unset, f)
		}
	}
	s.door.bits[probes[0]/64] |= 1 << (probes[0] % 64)
	s.door.bits[probes[1]/64] |= 1 << (probes[1] % 64)
	s.door.bits[probes[2]/64] |= 1 << (probes[2] % 64)
	if f := s.Frequency(h); f != 1 {
		t.Fatalf("all three bits set: estimate %d, want 1", f)
	}
}

// TestDoorkeeperFalsePositives: filled with a whole sample of distinct keys
// (8 bits each, three probes over the whole filter), the doorkeeper holds
// about 3% of keys it never saw (doorkeeper.go: 3.04%).
func TestDoorkeeperFalsePositives(t *testing.T) {
	s := NewWithDoorkeeper(1638, 7) // sample 16,380: 131,040 bits, 131,072 with rounding
	if got := len(s.door.bits) * 64; got != 131072 {
		t.Fatalf("%d filter bits, want 131072", got)
	}
	for k := range uint64(s.SampleSize()) {
		s.Increment(hashOf(k))
	}
	const tries = 100_000
	held := 0
	for k := uint64(1 << 40); k < 1<<40+tries; k++ {
		if s.Frequency(hashOf(k)) > 0 {
			held++
		}
	}
	if rate := float64(held) / tries; rate < 0.02 || rate > 0.04 {
		t.Fatalf("false positive rate %.2f%%, want about 3%% (8 bits per key, 3 probes)", 100*rate)
	}
}

// TestClearChangesTheEpochWithoutADoorkeeper: "A sketch without a
// doorkeeper changes epochs at every aging and at Clear."
func TestClearChangesTheEpochWithoutADoorkeeper(t *testing.T) {
	s := New(64, 1)
	before := s.DoorEpoch()
	s.Clear()
	if s.DoorEpoch() == before {
		t.Fatal("Clear of a sketch without a doorkeeper left its epoch")
	}
}

// TestNegativeCapacityPanicNamesCapacity: the panic for a negative
// capacity names the parameter and the value.
func TestNegativeCapacityPanicNamesCapacity(t *testing.T) {
	for _, f := range []func(){
		func() { New(-3, 0) },
		func() { NewWithDoorkeeper(-3, 0) },
		func() { New(10, 0).Resize(-3) },
	} {
		func() {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, "capacity") || !strings.Contains(msg, "-3") {
					t.Errorf("capacity -3: panic %v, want one naming capacity and -3", r)
				}
			}()
			f()
		}()
	}
}

// TestMixAvalanches: the seed is mixed into a key's hash with MurmurHash3's
// finaliser, in which every output bit depends on every input bit: flipping
// one input bit flips each output bit about half the time.
func TestMixAvalanches(t *testing.T) {
	s := New(0, 0x1234)
	rng := rand.New(rand.NewPCG(9, 10))
	const n = 4000
	var flips [64][64]int
	for range n {
		h := rng.Uint64()
		m := s.mix(h)
		for i := range 64 {
			d := m ^ s.mix(h^1<<i)
			for j := range 64 {
				flips[i][j] += int(d >> j & 1)
			}
		}
	}
	for i := range 64 {
		for j := range 64 {
			if p := float64(flips[i][j]) / n; p < 0.4 || p > 0.6 {
				t.Fatalf("input bit %d flips output bit %d with probability %.3f, want about 0.5", i, j, p)
			}
		}
	}
}
