package concurrent

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestHashLRUMatchesAList runs random requests through a hashLRU and a
// slice kept in LRU order (least recent first), at sizes 0 to 1,024, over
// key ranges below, at and above the size: every request must hit or miss
// alike, and after each the held hashes must be the slice, in its order,
// and the index must find each of them (checkHashIndex). A
// clone taken halfway must be unchanged by the original's later requests,
// and must then go on alike on requests of its own.
func TestHashLRUMatchesAList(t *testing.T) {
	sizes := []int{0, 1, 2, 7, 100, 1024}
	if testing.Short() || raceEnabled {
		sizes = sizes[:5] // 1,024 entries compare a list of 1,024 hashes a request
	}
	for _, size := range sizes {
		for _, keys := range []int{size/2 + 1, size + 1, 3*size + 5} {
			t.Run(fmt.Sprintf("max=%d/keys=%d", size, keys), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(size), uint64(keys)))
				// request runs one random request through l and its model.
				request := func(what string, step int, l *hashLRU, want []uint64) []uint64 {
					t.Helper()
					h := (r.Uint64N(uint64(keys)) + 1) * 0x9e3779b97f4a7c15
					hit := l.request(h)
					i := slices.Index(want, h)
					if hit != (i >= 0) {
						t.Fatalf("%s, step %d: request(%#x) hit %v, want %v", what, step, h, hit, i >= 0)
					}
					if i >= 0 {
						want = slices.Delete(want, i, i+1)
					}
					if size > 0 {
						want = append(want, h)
						if len(want) > size {
							want = want[1:]
						}
					}
					if got := hashesOf(l); !slices.Equal(got, want) || l.len() != len(want) {
						t.Fatalf("%s, step %d: held %v (len %d), want %v", what, step, got, l.len(), want)
					}
					if err := checkHashIndex(l); err != nil {
						t.Fatalf("%s, step %d: %v", what, step, err)
					}
					return want
				}
				l := newHashLRU(size)
				var want, cloneWant []uint64
				var clone hashLRU
				steps := 20 * (size + 10)
				for step := range steps {
					want = request("original", step, &l, want)
					if step == steps/2 {
						clone, cloneWant = l.clone(), slices.Clone(want)
					}
				}
				if got := hashesOf(&clone); !slices.Equal(got, cloneWant) {
					t.Fatalf("the clone changed with the original: %v, want %v", got, cloneWant)
				}
				for step := range steps / 2 {
					cloneWant = request("clone", step, &clone, cloneWant)
				}
			})
		}
	}
}

// checkHashIndex reports an error unless l's index holds exactly its
// entries' numbers, each found from its hash's home slot without crossing
// an empty slot.
func checkHashIndex(l *hashLRU) error {
	used := 0
	for _, i := range l.slots {
		if i != 0 {
			used++
		}
	}
	if used != l.len() {
		return fmt.Errorf("%d index slots in use for %d entries", used, l.len())
	}
	for i := int32(1); int(i) <= l.len(); i++ {
		if s := l.find(l.ents[i].h); l.slots[s] != i {
			return fmt.Errorf("entry %d (hash %#x): the index finds slot %d, holding %d", i, l.ents[i].h, s, l.slots[s])
		}
	}
	return nil
}

func hashesOf(l *hashLRU) []uint64 {
	var out []uint64
	for i := l.ents[0].next; i != 0; i = l.ents[i].next {
		out = append(out, l.ents[i].h)
	}
	return out
}

func TestHashLRUAllocatesNothing(t *testing.T) {
	l := newHashLRU(100)
	i := uint64(0)
	if n := testing.AllocsPerRun(10_000, func() { i++; l.request(i % 150 * 0x9e3779b97f4a7c15) }); n != 0 {
		t.Fatalf("%v allocations per request", n)
	}
}
