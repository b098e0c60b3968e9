package concurrent

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// lruRef is a textbook LRU list of keys, least recently used first.
type lruRef struct{ keys []int }

func (r *lruRef) touch(k int) {
	r.del(k)
	r.keys = append(r.keys, k)
}
func (r *lruRef) del(k int) {
	if i := slices.Index(r.keys, k); i >= 0 {
		r.keys = slices.Delete(r.keys, i, i+1)
	}
}

type lruRun struct {
	p     *lru[int, int]
	ref   lruRef
	nodes map[int]*node[int, int]
	free  []*node[int, int] // evicted and cleared nodes, reused by later adds
}

// TestLRUPolicyReusedAndClonedMatchesAList drives several LRU policies and
// textbook LRU lists with random operations: requests (a miss evicts down to
// the size), removals, replacements, evictions (of an empty policy too),
// clears, and clones that both the original and the copy go on using. Like
// the duel's shadow, adds reuse evicted and cleared nodes, overwritten whole.
// After every operation each policy's len, ascend and descend must be its
// list's, every victim its list's front, and its heap bounded.
func TestLRUPolicyReusedAndClonedMatchesAList(t *testing.T) {
	for seed := range uint64(120) {
		rng := rand.New(rand.NewPCG(seed, 11))
		size := 1 + rng.IntN(12)
		if seed%3 == 0 {
			size = 60 + rng.IntN(100)
		}
		runs := []*lruRun{{p: newLRU[int, int](), nodes: map[int]*node[int, int]{}}}
		for op := range 2000 {
			r := runs[rng.IntN(len(runs))]
			k := rng.IntN(3 * size)
			get := func() *node[int, int] {
				if len(r.free) > 0 && rng.IntN(2) == 0 {
					i := rng.IntN(len(r.free))
					n := r.free[i]
					r.free = slices.Delete(r.free, i, i+1)
					*n = node[int, int]{key: k, hash: 12345}
					return n
				}
				return &node[int, int]{key: k}
			}
			evict := func() {
				v := r.p.evict()
				if len(r.ref.keys) == 0 {
					if v != nil {
						t.Fatalf("seed %d op %d: evict on empty returned %d", seed, op, v.key)
					}
					return
				}
				if v == nil || v.key != r.ref.keys[0] {
					t.Fatalf("seed %d op %d: evict %v want %d", seed, op, v, r.ref.keys[0])
				}
				if v.linked() || r.nodes[v.key] != v {
					t.Fatalf("seed %d op %d: bad victim", seed, op)
				}
				r.ref.del(v.key)
				delete(r.nodes, v.key)
				r.free = append(r.free, v)
			}
			switch x := rng.IntN(100); {
			case x < 50:
				if n, ok := r.nodes[k]; ok {
					r.p.access(n)
				} else {
					n := get()
					r.p.add(n)
					r.nodes[k] = n
					for r.p.len() > size {
						evict()
					}
				}
				if _, ok := r.nodes[k]; ok {
					r.ref.touch(k)
				}
			case x < 72:
				if n, ok := r.nodes[k]; ok {
					r.p.remove(n)
					if n.linked() {
						t.Fatal("linked after remove")
					}
					r.ref.del(k)
					delete(r.nodes, k)
				}
			case x < 80:
				if old, ok := r.nodes[k]; ok {
					n := get()
					r.p.replace(old, n)
					r.nodes[k] = n
					r.ref.touch(k)
				}
			case x < 90:
				evict()
			case x < 91:
				r.p.clear()
				for _, n := range r.nodes {
					if n.linked() {
						t.Fatal("linked after clear")
					}
					r.free = append(r.free, n)
				}
				r.ref.keys = nil
				clear(r.nodes)
			case x < 93 && len(runs) < 4:
				c := &lruRun{nodes: map[int]*node[int, int]{}, ref: lruRef{slices.Clone(r.ref.keys)}}
				c.p = r.p.clone(func(x *node[int, int]) *node[int, int] {
					y := &node[int, int]{key: x.key}
					c.nodes[x.key] = y
					return y
				}).(*lru[int, int])
				runs = append(runs, c)
			}
			for _, r := range runs {
				if r.p.len() != len(r.ref.keys) {
					t.Fatalf("seed %d op %d: len %d want %d", seed, op, r.p.len(), len(r.ref.keys))
				}
				if got := lruKeys(r.p.ascend); !slices.Equal(got, r.ref.keys) {
					t.Fatalf("seed %d op %d: ascend %v want %v", seed, op, got, r.ref.keys)
				}
				back := lruKeys(r.p.descend)
				slices.Reverse(back)
				if !slices.Equal(back, r.ref.keys) {
					t.Fatalf("seed %d op %d: descend", seed, op)
				}
				if len(r.p.h) > 2*r.p.len()+33 {
					t.Fatalf("seed %d op %d: heap %d for %d", seed, op, len(r.p.h), r.p.len())
				}
			}
		}
	}
}
