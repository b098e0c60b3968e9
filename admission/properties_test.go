package admission

import (
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestMaxCapacityAllocatesOn32Bit builds the largest sketch with a
// doorkeeper on a 32-bit platform (64 MiB of counters and a 128 MiB filter:
// GOARCH=386 go test runs it), counts and ages it: the sizes that
// TestSizesFitAtMaxCapacity computes are the ones allocated and indexed.
// On 64-bit platforms (8 + 16 GiB) it only checks the panic just above.
func TestMaxCapacityAllocatesOn32Bit(t *testing.T) {
	func() {
		defer func() {
			msg, _ := recover().(string)
			if !strings.HasPrefix(msg, "admission: capacity ") || !strings.Contains(msg, "above MaxCapacity") {
				t.Errorf("NewWithDoorkeeper(MaxCapacity+1): panic %q", msg)
			}
		}()
		NewWithDoorkeeper(MaxCapacity+1, 1)
	}()
	if bits.UintSize != 32 || testing.Short() {
		t.Skip("allocates 192 MiB: 32-bit platforms only")
	}
	s := NewWithDoorkeeper(MaxCapacity, 1)
	if len(s.table) != MaxCapacity || len(s.door.bits)*64 != 1<<30 {
		t.Fatalf("%d words, %d doorkeeper bits", len(s.table), len(s.door.bits)*64)
	}
	h := uint64(0xdeadbeef)
	for range 20 {
		s.Increment(h)
	}
	if f := s.Frequency(h); f != maxCounter {
		t.Fatalf("estimate %d after 20 increments, want 15", f)
	}
	s.Age()
	if f := s.Frequency(h); f != 7 {
		t.Fatalf("estimate %d after aging, want 7", f)
	}
}

// TestSameSeedSameSketch: two sketches with the same seed and the same
// calls hold the same counters, doorkeeper, sample count and epoch; another
// seed places the counters elsewhere.
func TestSameSeedSameSketch(t *testing.T) {
	run := func(seed uint64) *Sketch {
		r := rand.New(rand.NewPCG(7, 7))
		s := NewWithDoorkeeper(50, seed)
		for i := range 5000 {
			switch k := r.Uint64N(300); {
			case i%997 == 0:
				s.Resize(int(r.Uint64N(100)))
			case i%3 == 0:
				s.IncrementSeen(k)
			default:
				s.Increment(k)
			}
		}
		return s
	}
	a, b, c := run(11), run(11), run(12)
	if !slices.Equal(a.table, b.table) || !slices.Equal(a.door.bits, b.door.bits) ||
		a.additions != b.additions || a.doorEpoch != b.doorEpoch || a.capacity != b.capacity {
		t.Fatal("two runs with the same seed differ")
	}
	if slices.Equal(a.table, c.table) {
		t.Fatal("another seed gave the same counters")
	}
}

// TestNeverUndercountsNorExceeds15 checks the count-min property
// between agings against an exact count, with and without a doorkeeper and
// SetSkipSaturated, under a Zipf-like stream that saturates some counters
// and collides many keys in few blocks; and that no counter ever exceeds
// 15 (a carry into the neighbouring counter would show as a wrong count).
func TestNeverUndercountsNorExceeds15(t *testing.T) {
	for _, door := range []bool{false, true} {
		for _, skip := range []bool{false, true} {
			s := New(64, 3)
			if door {
				s = NewWithDoorkeeper(64, 3)
			}
			s.SetSkipSaturated(skip)
			r := rand.New(rand.NewPCG(1, 2))
			z := rand.NewZipf(r, 1.2, 1, 2000)
			exact := map[uint64]int{}
			for range 20000 {
				k := z.Uint64()
				epoch := s.DoorEpoch()
				s.Increment(k)
				if s.DoorEpoch() != epoch { // aged: start a new exact count
					clear(exact)
					continue
				}
				exact[k]++
				if f := s.Frequency(k); f < min(exact[k], maxCounter) {
					t.Fatalf("door %v skip %v: key %d estimated %d after %d increments", door, skip, k, f, exact[k])
				}
			}
			for _, w := range s.table {
				for i := range 16 {
					if c := w >> (4 * i) & 0xf; c > maxCounter {
						t.Fatalf("counter %d", c)
					}
				}
			}
		}
	}
}

// TestAgeHalvesSaturatedNeighbours: halving a word whose sixteen
// counters are all 15 gives sixteen 7s (no bit crosses into a neighbour),
// and one of alternating 15s and 0s gives alternating 7s and 0s.
func TestAgeHalvesSaturatedNeighbours(t *testing.T) {
	s := New(0, 0)
	s.table[0] = ^uint64(0)
	s.table[1] = 0x0f0f0f0f0f0f0f0f
	s.table[2] = 0xf0f0f0f0f0f0f0f0
	s.Age()
	if s.table[0] != 0x7777777777777777 || s.table[1] != 0x0707070707070707 || s.table[2] != 0x7070707070707070 {
		t.Fatalf("after aging: %#x %#x %#x", s.table[0], s.table[1], s.table[2])
	}
}

// TestResizeKeepsTheDoorkeeperOfTheSameSize pins Resize's doc: a new table
// loses every counter, but a doorkeeper whose size stays keeps its keys, so
// a key seen five times estimates 1 afterwards (0 once the doorkeeper is
// emptied by a change of its size).
func TestResizeKeepsTheDoorkeeperOfTheSameSize(t *testing.T) {
	const h = uint64(0x9e3779b97f4a7c15)
	s := NewWithDoorkeeper(8, 1)
	for range 5 {
		s.Increment(h)
	}
	words, doorBits := len(s.table), len(s.door.bits)
	s.Resize(9)
	if len(s.table) == words || len(s.door.bits) != doorBits {
		t.Fatalf("8 to 9: table %d to %d words, doorkeeper %d to %d words; want a new table and the same doorkeeper", words, len(s.table), doorBits, len(s.door.bits))
	}
	if f := s.Frequency(h); f != 1 {
		t.Fatalf("after a new table with the same doorkeeper: estimate %d, want 1", f)
	}
	s.Resize(1000)
	if f := s.Frequency(h); f != 0 {
		t.Fatalf("after a new table and a new doorkeeper: estimate %d, want 0", f)
	}
}
