package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The small-cache workload: a client-sized cache (SmallCapacity entries)
// used from one goroutine the way a client cache is used, a Get and on a
// miss a Set, over a stream of keys drawn from a scrambled Zipf distribution
// (θ = ZipfTheta) over as many distinct keys as entries (every request but
// the first of each key hits: a client cache that holds all its clients), or
// over half as many again (about one request in ten misses and evicts). Most
// client caches hold tens to hundreds of entries; this is where a policy's
// own work per request shows, because nothing is sampled away.
const (
	SmallCapacity = 100
	smallStream   = 1 << 16
)

// SmallKeys are the numbers of distinct keys of the small-cache streams.
var SmallKeys = []int{100, 150}

// smallKeys returns the small-cache key stream over n distinct keys, from a
// fixed seed.
func smallKeys(n int) []uint64 {
	z := NewZipf(n, ZipfTheta, rand.New(rand.NewPCG(5, 6)))
	keys := make([]uint64, smallStream)
	for i := range keys {
		keys[i] = Scramble(z.Next())
	}
	return keys
}

// BenchmarkSmall runs the small-cache workload on every contender of the
// report (AllContenders): the bounded ones as a bounded cache is used (otter,
// theine and ristretto with their Sync after each Set, which keeps them
// within the bound), and otter, theine and ristretto once more as their users
// call them ("-unbounded": no Sync, so they may hold more than their maximum
// and hit more). Besides ns/op and allocs/op it reports the hit percentage
// and the most entries each held after a Set ("peak").
//
//	go test -run '^$' -bench '^BenchmarkSmall$' -benchmem -count 6 .
func BenchmarkSmall(b *testing.B) {
	for _, n := range SmallKeys {
		keys := smallKeys(n)
		for _, c := range AllContenders {
			b.Run(fmt.Sprintf("keys=%d/cache=%s", n, c.Name), func(b *testing.B) {
				cache, err := c.New(SmallCapacity)
				if err != nil {
					b.Fatal(err)
				}
				defer cache.Close()
				hits, i := 0, 0
				b.ReportAllocs()
				for b.Loop() {
					k := keys[i&(smallStream-1)]
					i++
					if cache.Get(k) {
						hits++
					} else {
						cache.Set(k)
					}
				}
				b.ReportMetric(100*float64(hits)/float64(i), "hit%")
				b.ReportMetric(float64(cache.Peak()), "peak")
			})
		}
	}
}
