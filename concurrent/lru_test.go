package concurrent

import (
	"fmt"
	"math"
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

// lruRun is one policy under test beside its reference list.
type lruRun struct {
	p     *lru[int, int]
	ref   lruRef
	nodes map[int]*node[int, int]
	free  []*node[int, int] // evicted and cleared nodes, reused by later adds
}

// TestLRUPolicyMatchesAList drives LRU policies and textbook LRU lists with
// the same random operations: requests (a hit restamps, a miss adds and
// evicts down to the size), removals, replacements, evictions within the
// size (PopVictim; of an empty policy too), clears, clones that both the
// original and the copy go on using, sweeps that hit every node and then
// evict (the hit nodes move into the heap), and removals of most nodes at
// once (the heap is compacted). Like the duel's shadow, adds reuse evicted
// and cleared nodes, overwritten whole. After every operation each policy's
// len, ascend and descend must be its list's, every victim its list's front,
// and its heap bounded; and the runs must have gone through the paths that
// make the policy lazy: a node placed in the heap, a removed node left
// there, and the heap compacted. In half the runs the policy decides its
// mode every 8 to 71 insertions and hits instead of 1,024, and the
// operations alternate every 200 between the mix above and hits only (a
// window without evictions), so that it switches to eager mode and back
// (which the test requires too).
func TestLRUPolicyMatchesAList(t *testing.T) {
	var sawHeap, sawDead, sawCompact, sawEager, sawLazyAgain bool
	seeds := uint64(120)
	if testing.Short() || raceEnabled {
		seeds = 30
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(seed, 11))
		size := 1 + rng.IntN(12)
		if seed%3 == 0 {
			size = 60 + rng.IntN(100)
		}
		runs := []*lruRun{{p: newLRU[int, int](), nodes: map[int]*node[int, int]{}}}
		switching := seed%2 == 1
		if switching {
			runs[0].p.window = 8 + rng.Uint64N(64)
		}
		for op := range 2000 {
			r := runs[rng.IntN(len(runs))]
			k := rng.IntN(3 * size)
			wasEager := r.p.eager
			hitsOnly := switching && op/200%2 == 1
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
			remove := func(k int) {
				n := r.nodes[k]
				dead, inHeap := r.p.dead, n.queue == lruHeap
				r.p.remove(n)
				if n.linked() {
					t.Fatalf("seed %d op %d: node %d linked after remove", seed, op, k)
				}
				if inHeap && r.p.dead != dead+1 && r.p.dead != 0 {
					t.Fatalf("seed %d op %d: %d removed nodes in the heap, then %d", seed, op, dead, r.p.dead)
				}
				sawDead = sawDead || inHeap
				sawCompact = sawCompact || inHeap && dead > 0 && r.p.dead == 0
				r.ref.del(k)
				delete(r.nodes, k)
			}
			x := rng.IntN(1000)
			if hitsOnly {
				if len(r.ref.keys) == 0 {
					continue
				}
				k, x = r.ref.keys[rng.IntN(len(r.ref.keys))], 0
			}
			switch {
			case x < 500:
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
			case x < 720:
				if _, ok := r.nodes[k]; ok {
					remove(k)
				}
			case x < 800:
				if old, ok := r.nodes[k]; ok {
					n := get()
					r.p.replace(old, n)
					r.nodes[k] = n
					r.ref.touch(k)
				}
			case x < 900:
				evict()
			case x < 910:
				r.p.clear()
				for _, n := range r.nodes {
					if n.linked() {
						t.Fatalf("seed %d op %d: node linked after clear", seed, op)
					}
					r.free = append(r.free, n)
				}
				r.ref.keys = nil
				clear(r.nodes)
			case x < 930 && len(runs) < 4:
				c := &lruRun{nodes: map[int]*node[int, int]{}, ref: lruRef{slices.Clone(r.ref.keys)}}
				c.p = r.p.clone(func(x *node[int, int]) *node[int, int] {
					y := &node[int, int]{key: x.key}
					c.nodes[x.key] = y
					return y
				}).(*lru[int, int])
				runs = append(runs, c)
			case x < 940:
				for _, k := range rng.Perm(3 * size) {
					if n, ok := r.nodes[k]; ok {
						r.p.access(n)
						r.ref.touch(k)
					}
				}
				evict()
			case x < 945:
				for k := range r.nodes {
					if rng.IntN(4) != 0 {
						remove(k)
					}
				}
			}
			sawHeap = sawHeap || len(r.p.h) > 0
			sawEager = sawEager || r.p.eager
			sawLazyAgain = sawLazyAgain || wasEager && !r.p.eager
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
					t.Fatalf("seed %d op %d: descend reversed %v want %v", seed, op, back, r.ref.keys)
				}
				if len(r.p.h) > 2*r.p.len()+33 {
					t.Fatalf("seed %d op %d: heap %d for %d", seed, op, len(r.p.h), r.p.len())
				}
			}
		}
	}
	if !(sawHeap && sawDead && sawCompact) {
		t.Fatalf("heap used %v, removed node left in it %v, heap compacted %v: the lazy paths were not exercised", sawHeap, sawDead, sawCompact)
	}
	if !(sawEager && sawLazyAgain) {
		t.Fatalf("eager mode %v, back to lazy %v: the switches were not exercised", sawEager, sawLazyAgain)
	}
}

// TestLRUPolicyCompactsItsHeap fills the heap (every node hit, then one
// inserted: an eviction moves each hit node into the heap), removes most of
// it, and checks that the removed nodes' items are dropped and that the
// order survives.
func TestLRUPolicyCompactsItsHeap(t *testing.T) {
	p := newLRU[int, int]()
	var nodes []*node[int, int]
	for k := range 200 {
		n := &node[int, int]{key: k}
		p.add(n)
		nodes = append(nodes, n)
	}
	for _, n := range slices.Backward(nodes) { // hit in reverse: 199 is now the oldest
		p.access(n)
	}
	p.add(&node[int, int]{key: 200})
	if v := p.evict(); v == nil || v.key != 199 {
		t.Fatalf("evict returned %v, want key 199", v)
	}
	if len(p.h) != 199 || p.q.len() != 1 {
		t.Fatalf("heap %d items, list %d nodes; want 199 and 1", len(p.h), p.q.len())
	}
	for k := 0; k < 150; k++ {
		p.remove(nodes[k])
	}
	if p.dead >= 100 || len(p.h) >= 150 {
		t.Fatalf("after removing 150 of 199 heap nodes: %d items, %d removed: not compacted", len(p.h), p.dead)
	}
	want := []int{}
	for k := 198; k >= 150; k-- {
		want = append(want, k)
	}
	want = append(want, 200)
	if got := lruKeys(p.ascend); !slices.Equal(got, want) {
		t.Fatalf("order after compaction %v, want %v", got, want)
	}
	for _, k := range want {
		if v := p.evict(); v == nil || v.key != k {
			t.Fatalf("evict returned %v, want key %d", v, k)
		}
	}
	if p.len() != 0 || p.evict() != nil {
		t.Fatalf("policy not empty: %d", p.len())
	}
}

func lruKeys(each func(func(*node[int, int]) bool)) []int {
	var ks []int
	each(func(n *node[int, int]) bool {
		ks = append(ks, n.key)
		return true
	})
	return ks
}

// BenchmarkLRUModes runs an LRU policy (through lruShadow: an index lookup,
// and on a miss an insertion and an eviction) over a hot set of
// three-quarters of its entries, drawn uniformly, with a fresh key (a miss,
// and an eviction) mixed in at the given rate per mille, in lazy mode only,
// in eager mode only, and choosing as shipped: where the eager mode's
// thresholds come from.
//
//	go test -run '^$' -bench LRUModes -count 6 ./concurrent/ | go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /mode -
func BenchmarkLRUModes(b *testing.B) {
	for _, size := range []int{100, 1000, 10000} {
		for _, permille := range []int{0, 1, 10, 30, 100} {
			for _, mode := range []string{"lazy", "eager", "adaptive"} {
				b.Run(fmt.Sprintf("max=%d/miss=%d‰/mode=%s", size, permille, mode), func(b *testing.B) {
					p := newLRU[uint64, struct{}]()
					switch mode {
					case "lazy":
						p.window = math.MaxUint64 // never decides
					case "eager":
						p.toEager()
						p.window = math.MaxUint64
					}
					s := newLRUShadow(p, size)
					r := rand.New(rand.NewPCG(3, 4))
					keys := make([]uint64, 1<<18)
					fresh := uint64(1 << 40)
					for i := range keys {
						if r.IntN(1000) < permille {
							fresh++
							keys[i] = fresh * 0x9e3779b97f4a7c15
							continue
						}
						keys[i] = (r.Uint64N(uint64(size*3/4)) + 1) * 0x9e3779b97f4a7c15
					}
					for _, k := range keys {
						s.request(k)
					}
					i := 0
					for b.Loop() {
						s.request(keys[i&(len(keys)-1)])
						i++
					}
				})
			}
		}
	}
}
