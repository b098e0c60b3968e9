package concurrent

import (
	"math/rand/v2"
	"testing"

	"github.com/puzpuzpuz/xsync/v4"
)

// The read-path floor: what any exact LRU must pay per hit, measured beside
// a bare map load, with the engine's buffering, atomics and maintenance taken
// away. A single-goroutine cache that is exactly LRU (concurrent/doc.go) must
// at least find the entry and move its node to the most-recent end of the
// order; "map+moveToBack" does exactly that and nothing else (no lock, no
// read buffer: it is correct only from one goroutine). If it already costs
// more than 1.5 times the bare load, no exact-LRU read path can cost less.
//
//	go test -run '^$' -bench ReadFloor -count 6 ./concurrent/ | benchstat -col /impl -
func BenchmarkReadFloor(b *testing.B) {
	keys := BenchZipfKeys()
	mask := uint64(len(keys) - 1)
	b.Run("impl=xsync.Map", func(b *testing.B) {
		m := xsync.NewMap[uint64, uint64](xsync.WithPresize(BenchEntries))
		for i := range uint64(BenchEntries) {
			m.Store(BenchKey(i), i)
		}
		i := uint64(0)
		for b.Loop() {
			if _, ok := m.Load(keys[i&mask]); !ok {
				b.Fatal("miss")
			}
			i++
		}
	})
	// The engine's map: the value beside the node pointer.
	filled := func() (*xsync.Map[uint64, entry[uint64, uint64]], *list[uint64, uint64]) {
		m := xsync.NewMap[uint64, entry[uint64, uint64]](xsync.WithPresize(BenchEntries))
		l := newList[uint64, uint64](1)
		for i := range uint64(BenchEntries) {
			n := &node[uint64, uint64]{key: BenchKey(i)}
			l.pushBack(n)
			m.Store(n.key, entry[uint64, uint64]{value: i, n: n})
		}
		return m, &l
	}
	b.Run("impl=entry-map", func(b *testing.B) {
		m, _ := filled()
		i := uint64(0)
		for b.Loop() {
			if _, ok := m.Load(keys[i&mask]); !ok {
				b.Fatal("miss")
			}
			i++
		}
	})
	b.Run("impl=entry-map+moveToBack", func(b *testing.B) {
		m, l := filled()
		i := uint64(0)
		for b.Loop() {
			e, ok := m.Load(keys[i&mask])
			if !ok {
				b.Fatal("miss")
			}
			l.moveToBack(e.n)
			i++
		}
	})
}

// The benchmarks' key stream: a scrambled Zipf stream (s = 1.01) over
// BenchEntries keys, in the style of Caffeine's get/put benchmark: a few keys
// are hot, but hot keys are spread over the key space rather than clustered
// at small integers. Exported for the external test package's benchmarks.
const (
	BenchEntries = 1 << 16
	benchStream  = 1 << 20 // a power of two, so readers index with a mask
)

var benchZipfKeys = func() []uint64 {
	rng := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(rng, 1.01, 1, BenchEntries-1)
	keys := make([]uint64, benchStream)
	for i := range keys {
		keys[i] = BenchKey(z.Uint64())
	}
	return keys
}()

// BenchZipfKeys returns the stream (shared; callers must not modify it).
func BenchZipfKeys() []uint64 { return benchZipfKeys }

// BenchKey maps 0..BenchEntries-1 to well-spread keys (a bijection on uint64).
func BenchKey(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return x
}
