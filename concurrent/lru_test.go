package concurrent

import (
	clist "container/list"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLRUPolicyMatchesAList drives the lazily promoted LRU policy and a
// container/list LRU with the same random operations: requests (a hit
// restamps, a miss adds and evicts down to the size), removals, replacements,
// evictions within the size (PopVictim), clears and clones. Every eviction
// must take the list's front, and the iteration orders, the clone's included,
// must be the list's. It also checks that the run went through the paths
// that make the policy lazy: a node placed in the heap, a removed node left
// there, and the heap compacted.
func TestLRUPolicyMatchesAList(t *testing.T) {
	for _, size := range []int{1, 3, 50, 400} {
		rng := rand.New(rand.NewPCG(uint64(size), 7))
		p := newLRU[int, int]()
		ref := clist.New() // of int keys, front = least recently used
		elems := map[int]*clist.Element{}
		nodes := map[int]*node[int, int]{}
		var sawHeap, sawDead, sawCompact bool

		add := func(k int) {
			n := &node[int, int]{key: k}
			p.add(n)
			nodes[k] = n
			elems[k] = ref.PushBack(k)
		}
		gone := func(k int) {
			ref.Remove(elems[k])
			delete(elems, k)
			delete(nodes, k)
		}
		remove := func(k int) {
			n := nodes[k]
			dead := p.dead
			inHeap := n.queue == lruHeap
			p.remove(n)
			if n.linked() {
				t.Fatalf("size %d: removed node %d still linked", size, k)
			}
			sawDead = sawDead || inHeap
			if inHeap && p.dead != dead+1 && p.dead != 0 {
				t.Fatalf("size %d: %d removed nodes in the heap, then %d", size, dead, p.dead)
			}
			sawCompact = sawCompact || inHeap && dead > 0 && p.dead == 0
			gone(k)
		}
		evict := func() {
			v := p.evict()
			f := ref.Front()
			if f == nil {
				if v != nil {
					t.Fatalf("size %d: evict from an empty policy returned %d", size, v.key)
				}
				return
			}
			if v == nil || v.key != f.Value.(int) {
				t.Fatalf("size %d: evict returned %v, want key %d", size, v, f.Value.(int))
			}
			if v.linked() {
				t.Fatalf("size %d: evicted node %d still linked", size, v.key)
			}
			gone(v.key)
		}
		check := func(op int) {
			if p.len() != ref.Len() {
				t.Fatalf("size %d, op %d: len %d, want %d", size, op, p.len(), ref.Len())
			}
			var want []int
			for e := ref.Front(); e != nil; e = e.Next() {
				want = append(want, e.Value.(int))
			}
			if got := lruKeys(p.ascend); !slices.Equal(got, want) {
				t.Fatalf("size %d, op %d: ascend %v, want %v", size, op, got, want)
			}
			back := lruKeys(p.descend)
			slices.Reverse(back)
			if !slices.Equal(back, want) {
				t.Fatalf("size %d, op %d: descend reversed %v, want %v", size, op, back, want)
			}
		}

		for op := range 200_000 {
			k := rng.IntN(3 * size)
			switch r := rng.IntN(1000); {
			case r < 700: // a request
				if n, ok := nodes[k]; ok {
					p.access(n)
					ref.MoveToBack(elems[k])
				} else {
					add(k)
					for p.len() > size {
						evict()
					}
				}
			case r < 850:
				if _, ok := nodes[k]; ok {
					remove(k)
				}
			case r < 900:
				if old, ok := nodes[k]; ok {
					n := &node[int, int]{key: k}
					p.replace(old, n)
					nodes[k] = n
					ref.MoveToBack(elems[k])
				}
			case r < 950:
				evict()
			case r < 951:
				p.clear()
				for k := range nodes {
					if nodes[k].linked() {
						t.Fatalf("size %d: node %d linked after clear", size, k)
					}
				}
				ref.Init()
				clear(elems)
				clear(nodes)
			case r < 952: // hit every node, then evict: the hit nodes move into the heap
				for _, k := range rng.Perm(3 * size) {
					if n, ok := nodes[k]; ok {
						p.access(n)
						ref.MoveToBack(elems[k])
					}
				}
				evict()
			case r < 953: // remove most nodes at once: the heap is compacted
				for k := range nodes {
					if rng.IntN(4) != 0 {
						remove(k)
					}
				}
			case r < 955:
				check(op)
				c := p.clone(func(x *node[int, int]) *node[int, int] { return &node[int, int]{key: x.key} }).(*lru[int, int])
				if got, want := lruKeys(c.ascend), lruKeys(p.ascend); !slices.Equal(got, want) {
					t.Fatalf("size %d, op %d: clone's order %v, want %v", size, op, got, want)
				}
			}
			sawHeap = sawHeap || len(p.h) > 0
			if len(p.h) > 2*p.len()+33 {
				t.Fatalf("size %d, op %d: heap holds %d items for %d nodes", size, op, len(p.h), p.len())
			}
		}
		check(-1)
		for ref.Len() > 0 {
			evict()
		}
		if v := p.evict(); v != nil || p.len() != 0 {
			t.Fatalf("size %d: emptied policy still holds %d nodes", size, p.len())
		}
		if size >= 50 && !(sawHeap && sawDead && sawCompact) {
			t.Fatalf("size %d: heap used %v, removed node left in it %v, heap compacted %v: the lazy paths were not exercised", size, sawHeap, sawDead, sawCompact)
		}
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
