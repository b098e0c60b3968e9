package concurrent_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clientcache/clientcache/concurrent"
)

// After Clone, the same operations on the original and on the clone give
// the same results, evictions and order ("both caches evict in the same
// order"), for LRU and LFU at sizes around the policy's thresholds. Fewer
// seeds under -race.
func TestCloneBehavesAlike(t *testing.T) {
	seeds := uint64(6)
	if concurrent.RaceEnabled {
		seeds = 1
	}
	for _, pol := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		for _, capacity := range []int{1, 2, 3, 7, 100, 1024, 1025} {
			for seed := uint64(1); seed <= seeds; seed++ {
				t.Run(fmt.Sprintf("%v/%d/%d", pol, capacity, seed), func(t *testing.T) {
					var log []string
					c, err := concurrent.New(concurrent.Options[int, int]{MaxSize: capacity, Policy: pol, Seed: seed,
						OnEvict: func(k, v int, cause concurrent.Cause) { log = append(log, fmt.Sprintf("%d=%d %v", k, v, cause)) }})
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					rng := rand.New(rand.NewPCG(seed, 3))
					run := func(c *concurrent.Cache[int, int], rng *rand.Rand, n int) []string {
						log = nil
						for i := range n {
							ks := 3*capacity + 5
							k := int(float64(ks) * rng.Float64() * rng.Float64())
							if (i/2000)%2 == 1 {
								k = i % (capacity + capacity/3 + 2)
							}
							switch p := rng.IntN(100); {
							case p < 50:
								_, ok := c.Get(k)
								log = append(log, fmt.Sprintf("get %d %v", k, ok))
							case p < 85:
								_ = c.Set(k, i)
							case p < 90:
								c.Delete(k)
							case p < 92:
								k, _, ok := c.PopVictim()
								log = append(log, fmt.Sprintf("victim %d %v", k, ok))
							default:
								_, _ = c.Touch(k)
							}
						}
						log = append(log, fmt.Sprint(slices.Collect(c.Keys())))
						return log
					}
					run(c, rng, 3000+rng.IntN(3000))
					d, err := c.Clone()
					if err != nil {
						t.Fatal(err)
					}
					defer d.Close()
					s1, s2 := rng.Uint64(), rng.Uint64()
					a := slices.Clone(run(c, rand.New(rand.NewPCG(s1, s2)), 8000))
					b := slices.Clone(run(d, rand.New(rand.NewPCG(s1, s2)), 8000))
					for i := range min(len(a), len(b)) {
						if a[i] != b[i] {
							t.Fatalf("after Clone, event %d: original %q, clone %q", i, a[i], b[i])
						}
					}
					if len(a) != len(b) {
						t.Fatalf("lengths differ")
					}
				})
			}
		}
	}
}
