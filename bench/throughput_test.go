package bench

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

var (
	workloadsMu sync.Mutex
	workloads   = map[int]Workload{}
)

func workloadFor(reads int) Workload {
	workloadsMu.Lock()
	defer workloadsMu.Unlock()
	w, ok := workloads[reads]
	if !ok {
		w = NewWorkload(100 - reads)
		workloads[reads] = w
	}
	return w
}

// BenchmarkThroughput measures each cache, and the bare map as a ceiling, on
// the Caffeine-style get/put workload at each read/write mix: ns/op and
// allocs/op per operation, Mops/s, and the hit percentage of the reads. Run
// it with -cpu 1,2,4,8: every goroutine of RunParallel walks the same key
// stream from its own offset. At 100% reads every key read was stored before
// the clock started: a read of clientcache's (or of the bare map) that misses
// there fails the benchmark. A rival's misses are reported in hit%, which
// cmd/report checks before it compares reads.
func BenchmarkThroughput(b *testing.B) {
	for _, k := range append(Kinds[:len(Kinds):len(Kinds)], Ceiling) {
		for _, reads := range Mixes {
			b.Run(fmt.Sprintf("cache=%s/reads=%d", k.Name, reads), func(b *testing.B) {
				benchThroughput(b, k, workloadFor(reads))
			})
		}
	}
}

func benchThroughput(b *testing.B, k Kind, w Workload) {
	c, err := k.New(WorkloadCapacity)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	// Two passes, each followed by a Sync, so that caches that drop or
	// delay writes (ristretto) are filled too.
	for range 2 {
		for _, key := range w.Keys {
			c.Set(key, key)
		}
		c.Sync()
	}
	const mask = WorkloadSize - 1
	var (
		start        atomic.Uint64
		hits, misses atomic.Int64
	)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// Offsets a prime apart, so that goroutines do not walk in step.
		i := start.Add(1) * 7919
		var h, m int64
		for pb.Next() {
			j := i & mask
			i++
			key := w.Keys[j]
			if w.Writes[j] {
				c.Set(key, key)
			} else if _, ok := c.Get(key); ok {
				h++
			} else {
				m++
			}
		}
		hits.Add(h)
		misses.Add(m)
	})
	b.StopTimer()
	// Every key read was stored before the clock started: with no writes
	// (which seedport makes as a Delete and a Set, a window where a read
	// misses), a read that missed means the figures time misses, not hits.
	if m := misses.Load(); m > 0 && !k.Rival && !slices.Contains(w.Writes, true) {
		b.Fatalf("%s: %d of %d reads missed at 100%% reads: the cache did not keep the keys stored before the clock started", k.Name, m, m+hits.Load())
	}
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s/1e6, "Mops/s")
	}
	if r := hits.Load() + misses.Load(); r > 0 {
		b.ReportMetric(100*float64(hits.Load())/float64(r), "hit%")
	}
}

// forgetfulKV is a cache that stores nothing: every Get misses.
type forgetfulKV struct{}

func (forgetfulKV) Get(uint64) (uint64, bool) { return 0, false }
func (forgetfulKV) Set(uint64, uint64)        {}
func (forgetfulKV) Sync()                     {}
func (forgetfulKV) Len() int                  { return 0 }
func (forgetfulKV) Close()                    {}

// TestThroughputOfReadsFailsWhenReadsMiss: at 100% reads every key read was
// stored before the clock started, so every read must hit; clientcache's
// reads that miss there would be timed on misses, not on the hits the
// figures (and the report's goals on "a hit") are about, and the benchmark
// must fail instead of publishing them.
func TestThroughputOfReadsFailsWhenReadsMiss(t *testing.T) {
	k := Kind{Name: "forgetful", New: func(int) (KV, error) { return forgetfulKV{}, nil }}
	r := testing.Benchmark(func(b *testing.B) { benchThroughput(b, k, workloadFor(100)) })
	if r.N != 0 {
		t.Errorf("a cache whose every read missed at 100%% reads was measured: %d ops, %v hit%%", r.N, r.Extra["hit%"])
	}
}
