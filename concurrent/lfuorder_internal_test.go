package concurrent

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientcache/clientcache/internal/testclock"
)

// TestLFUOrderIsPopVictimsAfterMixedOperations drives LFU caches from one
// goroutine with every kind of operation (Set, Get, Touch, Delete, Resize
// down and up, Clear, expiry on a fake clock, sweeps that put small caches
// in LRU mode) and checks, every few operations, the documented eviction
// order: Keys and All list the entries in the order successive PopVictim
// calls remove them (on a clone, and now and then on the cache itself),
// Backward lists them in reverse, and Clear hands them to OnEvict in that
// order.
func TestLFUOrderIsPopVictimsAfterMixedOperations(t *testing.T) {
	ops := 6000
	if testing.Short() || raceEnabled {
		ops = 1500
	}
	for _, capacity := range []int{1, 2, 3, 8, 33, 100, 1025} {
		for _, expiry := range []bool{false, true} {
			for seed := uint64(1); seed <= 3; seed++ {
				t.Run(fmt.Sprintf("%d/%v/%d", capacity, expiry, seed), func(t *testing.T) {
					lruSeen := lfuOrderRun(t, capacity, expiry, seed, ops)
					if capacity == 33 && !expiry && seed == 1 && !lruSeen {
						t.Errorf("the sweeps never put the policy in LRU mode: the test does not cover it")
					}
				})
			}
		}
	}
}

func lfuOrderRun(t *testing.T, capacity int, expiry bool, seed uint64, ops int) (lruSeen bool) {
	rng := rand.New(rand.NewPCG(seed, 99))
	var cleared []int
	var clearing atomic.Bool // read by the listener, which expiry calls on the maintenance goroutine too
	o := Options[int, int]{
		MaxSize: capacity, Policy: LFU, Seed: seed,
		OnEvict: func(k, _ int, cause Cause) {
			if clearing.Load() && cause == Cleared {
				cleared = append(cleared, k)
			}
		},
	}
	var clock *testclock.Clock
	if expiry {
		clock = testclock.New()
		o.Clock = clock
		o.ExpireAfterAccess = 50 * time.Millisecond
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	keys := 3*capacity + 3
	sweep, dir := 0, 1
	lastUse := map[int]int{} // the op of each key's last use (hit, Touch or Set)
	// recency checks that the window and protected are each in order of
	// last use, the least recent first, and that in LRU mode, once the main
	// area has drained, the whole order is (the package doc's "exactly
	// LRU's once they are gone").
	recency := func(i int) {
		t.Helper()
		c.Sync()
		c.mu.Lock()
		defer c.mu.Unlock()
		p := c.pol.(*wtinylfu[int, int])
		for _, q := range []*list[int, int]{&p.window, &p.protected} {
			prev := -1
			for x := q.head; x != nil; x = x.next {
				if u := lastUse[x.key]; u < prev {
					t.Fatalf("op %d: queue %d not in order of last use at key %d (%d after %d)", i, q.id, x.key, u, prev)
				} else {
					prev = u
				}
			}
		}
		if p.lruMode && p.mainLen() == 0 && p.doomed.len() == 0 {
			lruSeen = true
		}
	}
	check := func(i int, destructive bool) {
		t.Helper()
		recency(i)
		want := slices.Collect(c.Keys())
		var all, back []int
		for k := range c.All() {
			all = append(all, k)
		}
		for k := range c.Backward() {
			back = append(back, k)
		}
		slices.Reverse(back)
		if !slices.Equal(all, want) || !slices.Equal(back, want) {
			t.Fatalf("op %d: Keys %v, All %v, Backward reversed %v", i, want, all, back)
		}
		target := c
		if !destructive {
			if target, err = c.Clone(); err != nil {
				t.Fatal(err)
			}
			defer target.Close()
		}
		var popped []int
		for {
			k, _, ok := target.PopVictim()
			if !ok {
				break
			}
			popped = append(popped, k)
		}
		if !slices.Equal(popped, want) {
			t.Fatalf("op %d (destructive %v): PopVictim order %v, Keys %v", i, destructive, popped, want)
		}
	}
	for i := range ops {
		if i%1000 < 500 {
			// A phase of sweeps up and down the keys, read or written on
			// a miss: recency wins, and a small cache turns to LRU mode.
			if _, ok := c.Get(sweep); !ok {
				_ = c.Set(sweep, i)
			}
			lastUse[sweep] = i
			if sweep += dir; sweep <= 0 || sweep >= keys-1 {
				dir = -dir
			}
			if i%50 == 0 {
				check(i, false)
			}
			continue
		}
		var k int
		if rng.IntN(2) == 0 {
			// A sweep up and down the keys: recency wins, LRU mode.
			k = sweep
			if sweep += dir; sweep <= 0 || sweep >= keys-1 {
				dir = -dir
			}
		} else {
			k = int(float64(keys) * rng.Float64() * rng.Float64())
		}
		switch p := rng.IntN(1000); {
		case p < 400:
			if _, ok := c.Get(k); ok {
				lastUse[k] = i
			}
		case p < 480:
			if _, ok := c.Touch(k); ok {
				lastUse[k] = i
			}
		case p < 800:
			_ = c.Set(k, i)
			lastUse[k] = i
		case p < 860:
			c.Delete(k)
		case p < 880:
			if expiry {
				clock.Advance(time.Duration(rng.IntN(30)) * time.Millisecond)
			}
		case p < 890:
			n := capacity
			switch rng.IntN(3) {
			case 0:
				n = max(1, capacity/(1+rng.IntN(4)))
			case 1:
				n = capacity + rng.IntN(capacity+1)
			}
			if err := c.Resize(n); err != nil {
				t.Fatal(err)
			}
		case p < 893:
			want := slices.Collect(c.Keys())
			cleared = nil
			clearing.Store(true)
			c.Clear()
			clearing.Store(false)
			if !slices.Equal(cleared, want) {
				t.Fatalf("op %d: Clear's order %v, Keys %v", i, cleared, want)
			}
		case p < 895:
			check(i, true)
		case p < 940:
			check(i, false)
		default:
			if _, ok := c.Get(k); ok {
				lastUse[k] = i
			}
			recency(i)
		}
	}
	return lruSeen
}
