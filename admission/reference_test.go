package admission

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// refSketch is an obviously-correct reference of Sketch: every counter in
// an []int, the doorkeeper as a set of bit positions, the sample count and
// epoch kept by the rules the docs state.
type refSketch struct {
	s         *Sketch // for the layout only (mix, blockMask, probes)
	cells     []int
	door      map[uint64]bool
	on        bool
	skip      bool
	additions int
	sample    int
	capacity  int
	epoch     uint64
}

func newRef(s *Sketch) *refSketch {
	r := &refSketch{s: s, on: s.door.on, skip: s.skipSaturated, door: map[uint64]bool{}}
	r.cells = make([]int, len(s.table)*16)
	r.capacity = s.capacity
	r.sample = 10 * max(s.capacity, 1)
	r.epoch = s.doorEpoch
	return r
}

func (r *refSketch) probes(h uint64) [3]uint64 {
	m := r.s.mix(h)
	return [3]uint64{r.s.door.probe(m, 0), r.s.door.probe(m, 1), r.s.door.probe(m, 2)}
}

func (r *refSketch) held(h uint64) bool {
	for _, b := range r.probes(h) {
		if !r.door[b] {
			return false
		}
	}
	return true
}

func (r *refSketch) age() {
	odd := 0
	for i, c := range r.cells {
		odd += c & 1
		r.cells[i] = c / 2
	}
	r.additions = max(r.additions-odd/4, 0) / 2
	r.door = map[uint64]bool{}
	r.epoch++
}

func (r *refSketch) count(h uint64) {
	raised := false
	for _, x := range counterIndexes(r.s, h) {
		if r.cells[x] < 15 {
			r.cells[x]++
			raised = true
		}
	}
	if raised || !r.skip {
		r.additions++
	}
	if r.additions >= r.sample {
		r.age()
	}
}

func (r *refSketch) increment(h uint64) {
	if r.on {
		present := r.held(h)
		for _, b := range r.probes(h) {
			r.door[b] = true
		}
		if !present {
			return
		}
	}
	r.count(h)
}

func (r *refSketch) frequency(h uint64) int {
	f := 15
	for _, x := range counterIndexes(r.s, h) {
		f = min(f, r.cells[x])
	}
	if r.on && r.held(h) {
		f = min(f+1, 15)
	}
	return f
}

func (r *refSketch) same(t *testing.T, s *Sketch, what string) {
	t.Helper()
	if !slices.Equal(counters(s), r.cells) {
		t.Fatalf("%s: counters differ from the reference", what)
	}
	if s.additions != r.additions || s.doorEpoch != r.epoch || s.sampleSize != r.sample || s.capacity != r.capacity {
		t.Fatalf("%s: additions %d/%d epoch %d/%d sample %d/%d capacity %d/%d (sketch/reference)", what,
			s.additions, r.additions, s.doorEpoch, r.epoch, s.sampleSize, r.sample, s.capacity, r.capacity)
	}
	if r.on {
		n := 0
		for w, word := range s.door.bits {
			for b := range 64 {
				set := word>>b&1 == 1
				if set != r.door[uint64(w*64+b)] {
					t.Fatalf("%s: doorkeeper bit %d: %v, reference %v", what, w*64+b, set, !set)
				}
				if set {
					n++
				}
			}
		}
		if n != len(r.door) {
			t.Fatalf("%s: doorkeeper bits %d, reference %d", what, n, len(r.door))
		}
	}
}

// TestSketchMatchesReferenceModel drives Sketch and the reference with the
// same random operations (Increment, IncrementSeen of held keys, Frequency,
// Age, Clear, Resize across the edge capacities) and compares the whole
// state after each.
func TestSketchMatchesReferenceModel(t *testing.T) {
	caps := []int{0, 1, 2, 3, 7, 8, 9, 12, 13, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 128, 129}
	steps := 4000
	if testing.Short() {
		steps = 500
	}
	for _, door := range []bool{false, true} {
		for _, skip := range []bool{false, true} {
			for seed := range uint64(4) {
				rng := rand.New(rand.NewPCG(seed, 99))
				c := caps[rng.IntN(len(caps))]
				s := New(c, seed*0x1234567)
				if door {
					s = NewWithDoorkeeper(c, seed*0x1234567)
				}
				s.SetSkipSaturated(skip)
				r := newRef(s)
				keys := uint64(5 + rng.IntN(300))
				for step := range steps {
					h := hashOf(rng.Uint64N(keys))
					switch op := rng.IntN(1000); {
					case op < 600:
						s.Increment(h)
						r.increment(h)
					case op < 750:
						if !door || r.held(h) {
							s.IncrementSeen(h)
							r.count(h)
						}
					case op < 990:
						if got, want := s.Frequency(h), r.frequency(h); got != want {
							t.Fatalf("door %v skip %v step %d: frequency %d, reference %d", door, skip, step, got, want)
						}
					case op < 993:
						s.Age()
						r.age()
					case op < 995:
						s.Clear()
						clear(r.cells)
						r.door = map[uint64]bool{}
						r.additions = 0
						r.epoch++
					default:
						nc := caps[rng.IntN(len(caps))]
						oldWords, oldBits := len(s.table), len(s.door.bits)
						s.Resize(nc)
						r.capacity, r.sample = nc, 10*max(nc, 1)
						if len(s.table) != max(ceilPow2(nc), 8) {
							t.Fatalf("Resize(%d): %d words", nc, len(s.table))
						}
						if len(s.table) != oldWords {
							r.cells = make([]int, len(s.table)*16)
							r.additions = 0
						}
						if door {
							if want := max(ceilPow2(80*max(nc, 1)), 64) / 64; len(s.door.bits) != want {
								t.Fatalf("Resize(%d): %d doorkeeper words, want %d", nc, len(s.door.bits), want)
							}
							if len(s.door.bits) != oldBits {
								r.door = map[uint64]bool{}
								r.epoch++
							}
						}
						for r.additions >= r.sample {
							r.age()
						}
					}
					r.same(t, s, "step")
				}
			}
		}
	}
}

// TestCloneAndClearKeepWhatTheyShould: a clone evolves like the original under
// the same operations and shares nothing with it; Clear keeps capacity,
// sample size, setting and doorkeeper size.
func TestCloneAndClearKeepWhatTheyShould(t *testing.T) {
	for _, door := range []bool{false, true} {
		s := New(40, 3)
		if door {
			s = NewWithDoorkeeper(40, 3)
		}
		s.SetSkipSaturated(true)
		for k := range uint64(300) {
			s.Increment(hashOf(k % 37))
		}
		c := s.Clone()
		if !sameSketch(s, c) || c.doorEpoch != s.doorEpoch || c.seed != s.seed || !c.skipSaturated || c.capacity != s.capacity {
			t.Fatal("clone differs")
		}
		for k := range uint64(1000) {
			s.Increment(hashOf(k))
			c.Increment(hashOf(k))
		}
		if !sameSketch(s, c) || c.doorEpoch != s.doorEpoch {
			t.Fatal("clone evolved differently")
		}
		snap := s.Clone()
		c.Increment(hashOf(5000))
		c.Age()
		c.Resize(4000)
		if !sameSketch(s, snap) || s.doorEpoch != snap.doorEpoch || s.capacity != 40 {
			t.Fatal("the clone's changes reached the original")
		}
		bits := len(s.door.bits)
		s.Clear()
		if s.capacity != 40 || s.sampleSize != 400 || !s.skipSaturated || len(s.door.bits) != bits || s.additions != 0 {
			t.Fatal("Clear changed the sizing")
		}
		for _, x := range counters(s) {
			if x != 0 {
				t.Fatal("Clear kept a counter")
			}
		}
		for _, w := range s.door.bits {
			if w != 0 {
				t.Fatal("Clear kept a doorkeeper bit")
			}
		}
	}
}

// TestSeedDecidesCollisions: the same seed gives the same collisions, other
// seeds different ones, at a one-block table where collisions abound.
func TestSeedDecidesCollisions(t *testing.T) {
	pairs := func(seed uint64) map[[2]uint64]bool {
		s := New(0, seed)
		out := map[[2]uint64]bool{}
		for a := range uint64(200) {
			ia := counterIndexes(s, hashOf(a))
			for b := a + 1; b < 200; b++ {
				if counterIndexes(s, hashOf(b))[0] == ia[0] {
					out[[2]uint64{a, b}] = true
				}
			}
		}
		return out
	}
	a, a2, b := pairs(1), pairs(1), pairs(2)
	if len(a) == 0 || len(a) != len(a2) {
		t.Fatal("same seed, different collisions")
	}
	for p := range a {
		if !a2[p] {
			t.Fatal("same seed, different collisions")
		}
	}
	common := 0
	for p := range a {
		if b[p] {
			common++
		}
	}
	// Independent placement: about 1/32 of a's pairs collide under b too.
	if common > len(a)/8 {
		t.Fatalf("%d of %d colliding pairs still collide under another seed", common, len(a))
	}
}

// TestAdditionsOnAgingDropsBelowHalf pins Additions' doc: it said the count
// "drops (by half)" when the sketch ages, but aging first takes off a
// quarter of the odd counters, so after a sample of keys seen once it drops
// to about nothing.
func TestAdditionsOnAgingDropsBelowHalf(t *testing.T) {
	s := New(1024, 3)
	for k := range uint64(100) {
		s.Increment(hashOf(k))
	}
	before, odd := s.Additions(), oddCounters(s)
	s.Age()
	if got := s.Additions(); got != aged(before, odd) || got >= before/4 {
		t.Fatalf("Additions %d after aging %d increments of distinct keys (%d odd counters); want %d, far below half", got, before, odd, aged(before, odd))
	}
	s.Increment(hashOf(1))
	s.Resize(5000) // a new table
	if s.Additions() != 0 {
		t.Fatalf("Additions %d after a Resize to a new table, want 0", s.Additions())
	}
}

// TestResizeEmptyingTheDoorkeeperCostsEveryHeldKeyOne pins Resize's doc: it
// said each key "seen once" loses the doorkeeper's one when a Resize
// empties the doorkeeper; every key it held does, and the next occurrence
// of each is absorbed again as a first one.
func TestResizeEmptyingTheDoorkeeperCostsEveryHeldKeyOne(t *testing.T) {
	s := NewWithDoorkeeper(12, 0)
	h := hashOf(2)
	for range 4 {
		s.Increment(h)
	}
	if f := s.Frequency(h); f != 4 {
		t.Fatalf("seen 4 times: estimate %d", f)
	}
	words, adds := len(s.table), s.Additions()
	s.Resize(13) // the same table, a filter twice the size
	if len(s.table) != words {
		t.Fatal("the table changed: the test checks nothing")
	}
	if f := s.Frequency(h); f != 3 {
		t.Fatalf("seen 4 times, then the doorkeeper emptied: estimate %d, want 3", f)
	}
	s.Increment(h)
	if f := s.Frequency(h); f != 4 || s.Additions() != adds {
		t.Fatalf("the next occurrence: estimate %d (want 4), additions %d (want %d: absorbed)", f, s.Additions(), adds)
	}
}
