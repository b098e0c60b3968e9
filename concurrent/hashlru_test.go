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
// alike, and after each the held hashes must be the slice, in its order. A
// clone taken halfway must go on alike and stay independent of the
// original.
func TestHashLRUMatchesAList(t *testing.T) {
	for _, size := range []int{0, 1, 2, 7, 100, 1024} {
		for _, keys := range []int{size/2 + 1, size + 1, 3*size + 5} {
			t.Run(fmt.Sprintf("max=%d/keys=%d", size, keys), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(size), uint64(keys)))
				l := newHashLRU(size)
				var want []uint64
				var clone hashLRU
				var cloneWant []uint64
				steps := 20 * (size + 10)
				for step := range steps {
					h := (r.Uint64N(uint64(keys)) + 1) * 0x9e3779b97f4a7c15
					hit := l.request(h)
					i := slices.Index(want, h)
					if hit != (i >= 0) {
						t.Fatalf("step %d: request(%#x) hit %v, want %v", step, h, hit, i >= 0)
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
					if got := hashesOf(&l); !slices.Equal(got, want) || l.len() != len(want) {
						t.Fatalf("step %d: held %v (len %d), want %v", step, got, l.len(), want)
					}
					if step == steps/2 {
						clone, cloneWant = l.clone(), slices.Clone(want)
					}
				}
				if got := hashesOf(&clone); !slices.Equal(got, cloneWant) {
					t.Fatalf("the clone changed with the original: %v, want %v", got, cloneWant)
				}
			})
		}
	}
}

func hashesOf(l *hashLRU) []uint64 {
	var out []uint64
	l.ascend(func(h uint64) bool {
		out = append(out, h)
		return true
	})
	return out
}

func TestHashLRUAllocatesNothing(t *testing.T) {
	l := newHashLRU(100)
	i := uint64(0)
	if n := testing.AllocsPerRun(10_000, func() { i++; l.request(i % 150 * 0x9e3779b97f4a7c15) }); n != 0 {
		t.Fatalf("%v allocations per request", n)
	}
}
