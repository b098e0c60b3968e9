package concurrent

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestShadowIndexMatchesAMap runs random sets, gets and deletes against a Go
// map, up to four times the capacity the index was made for (it grows), with
// keys spread over the table, and with keys of three home slots only (the
// last, the first and the middle one), whose runs are long, wrap around the
// table's end and shift back on deletions.
func TestShadowIndexMatchesAMap(t *testing.T) {
	wrapped := false
	for _, capacity := range []int{1, 5, 100, 1000} {
		for _, spread := range []bool{false, true} {
			if !spread && capacity > 100 {
				continue // runs of thousands of keys: slow, and nothing new
			}
			r := rand.New(rand.NewPCG(uint64(capacity), 7))
			x := newShadowIndex[*node[uint64, struct{}]](capacity)
			initial := len(x.slots)
			want := map[uint64]*node[uint64, struct{}]{}
			key := func() uint64 {
				k := r.Uint64N(uint64(8*capacity + 16))
				if spread {
					return k * 0xbf58476d1ce4e5b9
				}
				// A hash whose home is slot i of n (the high word of
				// hash x n is i): with q = floor(i x 2^64 / n), the
				// hashes q+1 to q+2^64/n have home i; k picks one of
				// the first few.
				n := uint64(len(x.slots))
				i := [3]uint64{n - 1, 0, n / 2}[k%3]
				q, _ := bits.Div64(i, 0, n)
				return q + 1 + k
			}
			for op := range 100_000 {
				k := key()
				switch n := x.get(k); {
				case n != want[k]:
					t.Fatalf("capacity %d, op %d: get(%#x) = %p, want %p", capacity, op, k, n, want[k])
				case n == nil && len(want) < 4*capacity+8 || n != nil && r.IntN(4) == 0:
					// Insert, or replace the node.
					y := &node[uint64, struct{}]{key: k}
					x.set(k, y)
					want[k] = y
				case n != nil || r.IntN(2) == 0:
					// Delete k, or, at the test's limit, a present key to make room.
					if n == nil {
						for k = range want {
							break
						}
					}
					x.delete(k)
					delete(want, k)
				}
				if x.len != len(want) {
					t.Fatalf("capacity %d, op %d: len %d, want %d", capacity, op, x.len, len(want))
				}
				if s := x.slots[0]; s.v != nil && x.home(s.h) == len(x.slots)-1 {
					wrapped = true
				}
			}
			if len(x.slots) == initial {
				t.Fatalf("capacity %d: the index never grew: the test covers less than it should", capacity)
			}
			if len(x.slots)*3 < len(want)*4 {
				t.Fatalf("capacity %d: %d keys in %d slots", capacity, len(want), len(x.slots))
			}
			for k, n := range want {
				if got := x.get(k); got != n {
					t.Fatalf("capacity %d: at the end, get(%#x) = %p, want %p", capacity, k, got, n)
				}
			}
			if _, ok := want[^uint64(0)]; ok {
				t.Fatal("the test's keys include its absent key")
			}
			x.delete(^uint64(0)) // absent: no effect
			if x.len != len(want) {
				t.Fatalf("capacity %d: deleting an absent key changed len", capacity)
			}
		}
	}
	if !wrapped {
		t.Fatal("no run wrapped around the table's end: the test covers less than it should")
	}
}

// TestShadowIndexLoad checks that a new index is at most three-quarters full
// at its capacity, and no larger than that needs.
func TestShadowIndexLoad(t *testing.T) {
	for _, capacity := range []int{1, 6, 7, 100, 1001, 1025} {
		x := newShadowIndex[*node[uint64, struct{}]](capacity)
		if n := len(x.slots); n*3 < capacity*4 || n > max(8, capacity*4/3+1) {
			t.Fatalf("capacity %d: %d slots", capacity, n)
		}
	}
}

// BenchmarkShadowRequest runs a duel's shadow LRU (hashLRU.request: the
// index lookup, and on a miss an insertion and an eviction) over a stream of
// uniformly drawn keys: 100 keys in 100 entries (every request hits once the
// shadow is full), 150 in 100 and 1,500 in 1,000 (about one request in three
// misses). Beside it, in the same run, impl=nodes is the shadow it
// replaced: the engine's LRU policy over nodes found in a shadowIndex
// (lruShadow):
//
//	go test -run '^$' -bench ShadowRequest -count 6 ./concurrent/ | go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /impl -
//
// No GC runs here, so the nodes' pointer writes cost no write barrier; in a
// cache, whose writes allocate, they do (see hashLRU). (Until hashLRU, the
// benchmark compared the shadowIndex with a Go map: see shadowIndex.)
func BenchmarkShadowRequest(b *testing.B) {
	for _, c := range []struct{ max, keys int }{{100, 100}, {100, 150}, {1000, 1500}} {
		r := rand.New(rand.NewPCG(1, 2))
		keys := make([]uint64, 1<<16)
		for i := range keys {
			keys[i] = (r.Uint64N(uint64(c.keys)) + 1) * 0x9e3779b97f4a7c15
		}
		for _, impl := range []string{"hashLRU", "nodes"} {
			b.Run(fmt.Sprintf("max=%d/keys=%d/impl=%s", c.max, c.keys, impl), func(b *testing.B) {
				request := newLRUShadow(newLRU[uint64, struct{}](), c.max).request
				if impl == "hashLRU" {
					l := newHashLRU(c.max)
					request = l.request
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					request(keys[i&(len(keys)-1)])
					i++
				}
			})
		}
	}
}

// lruShadow is the engine's LRU policy in a shadow (nodes found in a
// shadowIndex): the duel's shadow LRU before hashLRU, kept as
// BenchmarkShadowRequest's baseline and to drive the policy in
// BenchmarkLRUModes. A hit restamps or moves the node, as the engine's drain
// does.
type lruShadow struct {
	shadow
	lru *lru[uint64, struct{}]
}

func newLRUShadow(p *lru[uint64, struct{}], max int) *lruShadow {
	return &lruShadow{shadow: newShadow(p, max), lru: p}
}

func (s *lruShadow) request(h uint64) bool {
	if n := s.m.get(h); n != nil {
		if s.lru.eager {
			s.lru.moveHit(n)
		} else {
			s.lru.restamp(n)
		}
		return true
	}
	s.insert(h)
	return false
}
