package concurrent

import (
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/puzpuzpuz/xsync/v4"
)

// The read-path floor: what any exact LRU must pay per hit, measured beside
// a bare map load, with the engine's atomics and maintenance taken away step
// by step. A single-goroutine cache that is exactly LRU (concurrent/doc.go)
// must at least find the entry and record, in the entry's own memory, that
// it is now the most recent:
//
//   - "entry-map" is the engine's map alone (the value stored beside the node
//     pointer);
//
//   - "entry-map+moveToBack" moves the node to the back of a linked list at
//     once, with no lock and no read buffer (correct from one goroutine
//     only): what an eagerly ordered LRU hit costs, writing the node and
//     both its neighbours;
//
//   - "entry-map+stamp" restamps the node at once, as the engine's LRU policy
//     does (lru.access: one write to the node, which moves when it reaches
//     the front): the least an exact LRU hit can cost;
//
//   - "entry-map+batched" queues the node in a plain array and restamps 64
//     at a time, as the engine's drain does;
//
//   - "entry-map+ring" queues it in the engine's read stripe, whose claim
//     (CAS) and publication (atomic store) are locked instructions, full
//     fences on amd64, so a read's cache misses no longer overlap the next
//     read's; it is the engine's exact mode without the Cache around it;
//
//   - "dense+batched" and "dense+ring" are those two with the stamps in a
//     dense array instead of the nodes: the map entry also holds the entry's
//     index in the array, and a read queues the index, so applying it writes
//     8 bytes of a 512 KiB array instead of a node of its own. The engine
//     does not do this (a reused index would need a generation beside it to
//     tell a stale read, and LFU needs the node anyway): these two measure
//     what it would save.
//
//     go test -run '^$' -bench 'ReadFloor|GetSerial' -count 6 ./concurrent/ | go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /impl -
//
// Each variant writes its loop out: a shared loop taking the per-read work as
// a closure would add an indirect call to every variant but the bare load.
// The ring variant drains the stripe the way stripe.drainTo does, without a
// Cache to apply the events to.
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
	filled := func() (*xsync.Map[uint64, entry[uint64, uint64]], *lru[uint64, uint64]) {
		m := xsync.NewMap[uint64, entry[uint64, uint64]](xsync.WithPresize(BenchEntries))
		l := newLRU[uint64, uint64]()
		for i := range uint64(BenchEntries) {
			n := &node[uint64, uint64]{key: BenchKey(i)}
			l.add(n)
			m.Store(n.key, entry[uint64, uint64]{value: i, n: n})
		}
		return m, l
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
			l.q.moveToBack(e.n)
			i++
		}
	})
	b.Run("impl=entry-map+stamp", func(b *testing.B) {
		m, l := filled()
		i := uint64(0)
		for b.Loop() {
			e, ok := m.Load(keys[i&mask])
			if !ok {
				b.Fatal("miss")
			}
			l.access(e.n)
			i++
		}
	})
	b.Run("impl=entry-map+batched", func(b *testing.B) {
		m, l := filled()
		var buf [64]*node[uint64, uint64]
		k := 0
		i := uint64(0)
		for b.Loop() {
			e, ok := m.Load(keys[i&mask])
			if !ok {
				b.Fatal("miss")
			}
			buf[k] = e.n
			k++
			if k == len(buf) {
				for j, n := range buf {
					l.access(n)
					buf[j] = nil
				}
				k = 0
			}
			i++
		}
	})
	b.Run("impl=dense+batched", func(b *testing.B) {
		m, stamps := filledDense()
		clock := uint64(0)
		var buf [64]uint64
		k := 0
		i := uint64(0)
		for b.Loop() {
			e, ok := m.Load(keys[i&mask])
			if !ok {
				b.Fatal("miss")
			}
			buf[k] = e.index
			k++
			if k == len(buf) {
				for _, x := range buf {
					clock++
					stamps[x] = clock
				}
				k = 0
			}
			i++
		}
	})
	b.Run("impl=dense+ring", func(b *testing.B) {
		m, stamps := filledDense()
		clock := uint64(0)
		var s indexRing
		i := uint64(0)
		for b.Loop() {
			e, ok := m.Load(keys[i&mask])
			if !ok {
				b.Fatal("miss")
			}
			if !s.push(e.index) {
				h := s.head.Load()
				t := s.tail.Load()
				for ; h < t; h++ {
					clock++
					stamps[s.slots[h&(stripeSize-1)].Load()] = clock
				}
				s.head.Store(h)
				s.push(e.index)
			}
			i++
		}
	})
	b.Run("impl=entry-map+ring", func(b *testing.B) {
		m, l := filled()
		var s stripe[uint64, uint64]
		i := uint64(0)
		for b.Loop() {
			e, ok := m.Load(keys[i&mask])
			if !ok {
				b.Fatal("miss")
			}
			if s.push(e.n) != pushed {
				h := s.head.Load()
				t := s.tail.Load()
				for ; h < t; h++ {
					slot := &s.slots[h&(stripeSize-1)]
					n := (*node[uint64, uint64])(atomic.LoadPointer(slot))
					*slot = nil
					l.access(n)
				}
				s.head.Store(h)
				s.push(e.n)
			}
			i++
		}
	})
}

// denseEntry is a map entry that also holds its entry's index in a dense
// array of stamps (BenchmarkReadFloor's dense variants).
type denseEntry struct {
	value uint64
	n     *node[uint64, uint64]
	index uint64
}

// filledDense returns a map of BenchEntries denseEntry values, indexed 0 to
// BenchEntries-1, and their array of stamps.
func filledDense() (*xsync.Map[uint64, denseEntry], []uint64) {
	m := xsync.NewMap[uint64, denseEntry](xsync.WithPresize(BenchEntries))
	for i := range uint64(BenchEntries) {
		n := &node[uint64, uint64]{key: BenchKey(i)}
		m.Store(n.key, denseEntry{value: i, n: n, index: i})
	}
	return m, make([]uint64, BenchEntries)
}

// indexRing is the engine's stripe (claim by CAS on tail, publication by an
// atomic store) carrying indexes instead of node pointers, drained in place
// by BenchmarkReadFloor's dense+ring variant.
type indexRing struct {
	_     [cacheLine]byte
	head  atomic.Uint64
	_     [cacheLine - 8]byte
	tail  atomic.Uint64
	_     [cacheLine - 8]byte
	slots [stripeSize]atomic.Uint64
}

// push queues x, or reports false if the ring is full or the claim failed.
func (r *indexRing) push(x uint64) bool {
	t := r.tail.Load()
	if t-r.head.Load() >= stripeSize || !r.tail.CompareAndSwap(t, t+1) {
		return false
	}
	r.slots[t&(stripeSize-1)].Store(x)
	return true
}

// BenchmarkReadFloorParallel is the first two variants of BenchmarkReadFloor
// from several goroutines (RunParallel, each from its own offset in the key
// stream, as BenchmarkGet does): what the engine's map alone costs against
// the bare map when nothing records the read. Its entries hold the value
// beside the node pointer (24 bytes for uint64 keys and values, against 16):
//
//	go test -run '^$' -bench 'ReadFloorParallel|^BenchmarkGet$' -cpu 1,2,8 -count 6 ./concurrent/ | go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /impl -
func BenchmarkReadFloorParallel(b *testing.B) {
	keys := BenchZipfKeys()
	mask := uint64(len(keys) - 1)
	var start atomic.Uint64
	run := func(b *testing.B, load func(uint64) bool) {
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := start.Add(1<<14) & mask
			for pb.Next() {
				if !load(keys[i&mask]) {
					panic("miss in a hit benchmark")
				}
				i++
			}
		})
	}
	b.Run("impl=xsync.Map", func(b *testing.B) {
		m := xsync.NewMap[uint64, uint64](xsync.WithPresize(BenchEntries))
		for i := range uint64(BenchEntries) {
			m.Store(BenchKey(i), i)
		}
		run(b, func(k uint64) bool { _, ok := m.Load(k); return ok })
	})
	b.Run("impl=entry-map", func(b *testing.B) {
		m := xsync.NewMap[uint64, entry[uint64, uint64]](xsync.WithPresize(BenchEntries))
		for i := range uint64(BenchEntries) {
			n := &node[uint64, uint64]{key: BenchKey(i)}
			m.Store(n.key, entry[uint64, uint64]{value: i, n: n})
		}
		run(b, func(k uint64) bool { _, ok := m.Load(k); return ok })
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
