package concurrent_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/puzpuzpuz/xsync/v4"

	"github.com/clientcache/clientcache/concurrent"
)

// The key stream (a scrambled Zipf stream over 65,536 keys) is shared with
// the package's internal read-floor benchmark (floor_test.go).
const (
	benchEntries = concurrent.BenchEntries
	benchStream  = 1 << 20
)

var benchKeys = concurrent.BenchZipfKeys()

func scramble(x uint64) uint64 { return concurrent.BenchKey(x) }

// start gives each RunParallel goroutine its own offset into the stream.
var start atomic.Uint64

func newFilledCache(b *testing.B, policy concurrent.Policy) *concurrent.Cache[uint64, uint64] {
	return newFilledCacheWith(b, concurrent.Options[uint64, uint64]{Policy: policy})
}

// newFilledCacheWith is newFilledCache with options o (MaxSize and Seed are
// set here).
func newFilledCacheWith(b *testing.B, o concurrent.Options[uint64, uint64]) *concurrent.Cache[uint64, uint64] {
	o.MaxSize, o.Seed = benchEntries, 1
	c, err := concurrent.New(o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	for i := range uint64(benchEntries) {
		if err := c.Set(scramble(i), i); err != nil {
			b.Fatal(err)
		}
	}
	c.Sync()
	return c
}

// BenchmarkGet measures hits (every key is present) against a bare xsync.Map
// load of the same keys: the ceiling for a lock-free read. The caches count
// no requests, as by default; "+stats" is the same with Options.RecordStats.
func BenchmarkGet(b *testing.B) {
	b.Run("impl=xsync.Map", func(b *testing.B) {
		m := newFilledMap()
		runParallelReads(b, func(k uint64) bool { _, ok := m.Load(k); return ok })
	})
	for _, p := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		b.Run("impl=clientcache-"+p.String(), func(b *testing.B) {
			c := newFilledCache(b, p)
			runParallelReads(b, func(k uint64) bool { _, ok := c.Get(k); return ok })
		})
		b.Run("impl=clientcache-"+p.String()+"+stats", func(b *testing.B) {
			c := newFilledCacheWith(b, concurrent.Options[uint64, uint64]{Policy: p, RecordStats: true})
			runParallelReads(b, func(k uint64) bool { _, ok := c.Get(k); return ok })
		})
	}
}

func runParallelReads(b *testing.B, get func(uint64) bool) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := start.Add(1<<14) & (benchStream - 1)
		for pb.Next() {
			if !get(benchKeys[i&(benchStream-1)]) {
				panic("miss in a hit benchmark")
			}
			i++
		}
	})
}

// BenchmarkMixed is 90% reads and 10% writes (Set of a present key from the
// stream, so the size stays at the bound and writes replace), from every
// goroutine and ("serial") from one, with b.Loop. The bare xsync.Map beside
// it (Load and Store, no policy, no bound) is the ceiling. "+expiry" sets
// ExpireAfterAccess (an hour: nothing expires), so that the maintenance
// goroutine also keeps the access-time order of every read it applies:
// approximate under contention, exact from one goroutine, where the read
// buffer keeps events in program order.
func BenchmarkMixed(b *testing.B) {
	// Each makes its filled map or cache, and returns how to write and read it.
	type impl struct {
		name string
		make func(b *testing.B) (set func(k, v uint64), get func(k uint64))
	}
	impls := []impl{{"xsync.Map", func(*testing.B) (func(k, v uint64), func(k uint64)) {
		m := newFilledMap()
		return func(k, v uint64) { m.Store(k, v) }, func(k uint64) { m.Load(k) }
	}}}
	for _, p := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		for _, expiry := range []time.Duration{0, time.Hour} {
			name := "clientcache-" + p.String()
			if expiry > 0 {
				name += "+expiry"
			}
			impls = append(impls, impl{name, func(b *testing.B) (func(k, v uint64), func(k uint64)) {
				c := newFilledCacheWith(b, concurrent.Options[uint64, uint64]{Policy: p, ExpireAfterAccess: expiry})
				return func(k, v uint64) { _ = c.Set(k, v) }, func(k uint64) { c.Get(k) }
			}})
		}
	}
	for _, im := range impls {
		b.Run("impl="+im.name+"/reads=90", func(b *testing.B) {
			set, get := im.make(b)
			runParallelMixed(b, set, get)
		})
	}
	for _, im := range impls {
		b.Run("impl="+im.name+"/reads=90/serial", func(b *testing.B) {
			set, get := im.make(b)
			b.ReportAllocs()
			var i uint64
			for b.Loop() {
				mixedRequest(i, set, get)
				i++
			}
		})
	}
}

// mixedRequest makes request i of the mixed workload: a write one time in
// ten, else a read.
func mixedRequest(i uint64, set func(k, v uint64), get func(k uint64)) {
	k := benchKeys[i&(benchStream-1)]
	if i%10 == 0 {
		set(k, i)
	} else {
		get(k)
	}
}

func runParallelMixed(b *testing.B, set func(k, v uint64), get func(k uint64)) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := start.Add(1<<14) & (benchStream - 1)
		for pb.Next() {
			mixedRequest(i, set, get)
			i++
		}
	})
}

// newFilledMap is the bare map holding the keys newFilledCache holds.
func newFilledMap() *xsync.Map[uint64, uint64] {
	m := xsync.NewMap[uint64, uint64](xsync.WithPresize(benchEntries))
	for i := range uint64(benchEntries) {
		m.Store(scramble(i), i)
	}
	return m
}

// BenchmarkGetSerial is one goroutine reading, with b.Loop: the exact mode
// (one read stripe, every access applied), beside a bare xsync.Map load.
func BenchmarkGetSerial(b *testing.B) {
	b.Run("impl=xsync.Map", func(b *testing.B) {
		m := newFilledMap()
		loopReads(b, func(k uint64) { m.Load(k) })
	})
	for _, p := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		b.Run("impl=clientcache-"+p.String(), func(b *testing.B) {
			c := newFilledCache(b, p)
			loopReads(b, func(k uint64) { c.Get(k) })
		})
	}
}

func loopReads(b *testing.B, get func(uint64)) {
	b.ReportAllocs()
	i := uint64(0)
	for b.Loop() {
		get(benchKeys[i&(benchStream-1)])
		i++
	}
}

// BenchmarkSmall is a client-sized cache (100 entries) used from one
// goroutine: Get, and Set on a miss, over 150 keys (the Zipf stream's keys
// modulo 150: about one request in five misses and evicts). It shows
// what the policy's own work costs when nothing is sampled away (for LFU, the
// duel's shadow LRU sees every request below 1,024 entries, and so does its
// shadow W-TinyLFU once the duel has switched to LRU mode). bench/'s
// BenchmarkSmall runs the same kind of workload beside the rivals.
func BenchmarkSmall(b *testing.B) {
	benchGetOrSet(b, 100, func(i uint64) uint64 { return benchKeys[i&(benchStream-1)] % 150 })
}

// BenchmarkLarge is BenchmarkSmall's workload in a cache of 16,384 entries,
// above the size where LFU duels, over the whole Zipf stream (65,536 keys):
// about one request in six or seven misses (16.2% for LRU, 13.6% for LFU
// over two passes of the stream), and each miss of a full cache holds a
// contest at the window's exit (for LFU, the victim scan reads the
// estimates of probation's first entries).
func BenchmarkLarge(b *testing.B) {
	benchGetOrSet(b, 1<<14, func(i uint64) uint64 { return benchKeys[i&(benchStream-1)] })
}

// benchGetOrSet runs, for each policy, a cache of maxSize entries (seed 1)
// from one goroutine over the keys key(0), key(1), ...: a Get, and on a
// miss a Set.
func benchGetOrSet(b *testing.B, maxSize int, key func(i uint64) uint64) {
	for _, p := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		b.Run("impl=clientcache-"+p.String(), func(b *testing.B) {
			c, err := concurrent.New(concurrent.Options[uint64, uint64]{MaxSize: maxSize, Policy: p, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.ReportAllocs()
			for i := uint64(0); b.Loop(); i++ {
				k := key(i)
				if _, ok := c.Get(k); !ok {
					if err := c.Set(k, k); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
