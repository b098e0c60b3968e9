package concurrent

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// checkListLinks fails t unless l's links, queue ids, length and tail
// agree.
func checkListLinks[K comparable, V any](t *testing.T, l *list[K, V]) {
	t.Helper()
	n := 0
	var prev *node[K, V]
	for x := l.head; x != nil; x = x.next {
		if x.queue != l.id || x.prev != prev {
			t.Fatalf("list %d: node queue %d, prev link broken", l.id, x.queue)
		}
		prev = x
		n++
	}
	if n != l.n || l.tail != prev {
		t.Fatalf("list %d: counted %d, n %d", l.id, n, l.n)
	}
}

// checkWTinyLFU fails t unless p's structure holds: its queues' links, its
// length (size, unless p is a shadow), an empty losers' queue, the window
// and protected within their shares, and the duel's shadows within theirs.
func checkWTinyLFU[K comparable, V any](t *testing.T, p *wtinylfu[K, V], size int, shadow bool) {
	t.Helper()
	for _, q := range p.order() {
		checkListLinks(t, q)
	}
	if !shadow && p.len() != size {
		t.Fatalf("policy len %d, cache Len %d", p.len(), size)
	}
	if p.len() > p.max {
		t.Fatalf("policy holds %d > max %d", p.len(), p.max)
	}
	if p.doomed.len() != 0 {
		t.Fatalf("doomed holds %d after the op", p.doomed.len())
	}
	if p.window.len() > p.windowMax || p.protected.len() > p.protectedMax {
		t.Fatalf("window %d/%d protected %d/%d (lru %v)", p.window.len(), p.windowMax, p.protected.len(), p.protectedMax, p.lruMode)
	}
	if p.windowMax < 1 || p.protectedMax < 0 || p.windowMax+p.protectedMax > p.max {
		t.Fatalf("shares window %d protected %d max %d", p.windowMax, p.protectedMax, p.max)
	}
	if d := p.duel; d != nil {
		if d.lru.len() > d.lru.max {
			t.Fatalf("shadow LRU %d > %d", d.lru.len(), d.lru.max)
		}
		if s := d.tlfu; s.p != nil {
			sp := s.p.(*wtinylfu[uint64, struct{}])
			checkWTinyLFU(t, sp, 0, true)
			if s.m.len != sp.len() {
				t.Fatalf("shadow index %d, shadow policy %d", s.m.len, sp.len())
			}
		}
	}
}

// TestLFUInvariantsHoldAfterEveryOperation checks the W-TinyLFU policy's
// structure (checkWTinyLFU) after every operation of random sequences
// (skewed, looping and sweeping keys; resizes across the 1,024-entry line
// where the policy changes its ways, clones and clears), at sizes around
// the policy's thresholds. Fewer seeds and operations under -race.
func TestLFUInvariantsHoldAfterEveryOperation(t *testing.T) {
	seeds, ops := uint64(8), 30000
	if raceEnabled {
		seeds, ops = 1, 5000
	}
	for _, capacity := range []int{1, 2, 3, 5, 100, 1024, 1025} {
		for seed := uint64(1); seed <= seeds; seed++ {
			t.Run(fmt.Sprintf("%d/%d", capacity, seed), func(t *testing.T) {
				c, err := New(Options[int, int]{MaxSize: capacity, Policy: LFU, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				defer func() { c.Close() }()
				rng := rand.New(rand.NewPCG(seed, 5))
				for i := range ops {
					max := c.MaxSize()
					var k int
					switch (i / 2500) % 4 {
					case 0:
						k = int(float64(3*max+3) * rng.Float64() * rng.Float64())
					case 1:
						k = i % (max + max/4 + 2)
					case 2:
						w := max + 2
						j := i % (2 * w)
						if j >= w {
							j = 2*w - 1 - j
						}
						k = j
					default:
						k = rng.IntN(10*max + 10)
					}
					switch p := rng.IntN(1000); {
					case p < 500:
						c.Get(k)
					case p < 850:
						_ = c.Set(k, i)
					case p < 900:
						c.Delete(k)
					case p < 920:
						c.PopVictim()
					case p < 925:
						sizes := []int{1, 2, 3, capacity, 1023, 1024, 1025, capacity + 1, max - 1}
						n := sizes[rng.IntN(len(sizes))]
						if n < 1 {
							n = 1
						}
						if err := c.Resize(n); err != nil {
							t.Fatal(err)
						}
					case p < 927:
						d, err := c.Clone()
						if err != nil {
							t.Fatal(err)
						}
						c.Close()
						c = d
					case p < 928:
						c.Clear()
					default:
						c.Touch(k)
					}
					c.Sync()
					c.mu.Lock()
					func() {
						defer c.mu.Unlock()
						checkWTinyLFU(t, c.pol.(*wtinylfu[int, int]), c.Len(), false)
					}()
					if t.Failed() {
						t.Fatalf("op %d", i)
					}
				}
			})
		}
	}
}
