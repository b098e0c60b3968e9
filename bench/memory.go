package bench

import (
	"fmt"
	"runtime"
)

// MemorySizes are the entry counts at which memory per entry is measured.
var MemorySizes = []int{1_000, 100_000, 1_000_000}

// Memory is the live heap a cache kept for its entries.
type Memory struct {
	Cache   string  `json:"cache"`
	N       int     `json:"n"`    // entries written (and the capacity)
	Held    int     `json:"held"` // entries the cache reported holding
	Bytes   int64   `json:"bytes"`
	PerHeld float64 `json:"per_held"` // Bytes / Held
}

// MeasureMemory builds the cache called name with capacity n, writes n
// distinct uint64 keys and values, applying buffered writes every syncEvery
// writes and at the end, and returns the growth of the live heap (HeapAlloc
// after two collections) from before the cache was built. It counts everything the cache allocated: maps, nodes,
// buffers and sketches. Run it in a fresh process, one cache at a time, so
// that nothing else allocates meanwhile; the cache is closed afterwards.
func MeasureMemory(name string, n int) (Memory, error) {
	k, ok := LookupKind(name)
	if !ok {
		return Memory{}, fmt.Errorf("bench: no cache %q", name)
	}
	before := liveHeap()
	c, err := k.New(n)
	if err != nil {
		return Memory{}, err
	}
	for i := range uint64(n) {
		c.Set(Scramble(i), i)
		if i%syncEvery == syncEvery-1 {
			// Applies buffered writes before the buffer fills: ristretto
			// drops the writes its full buffer cannot take (it held 40%
			// to 90% of 100k keys written in one go, varying with the
			// machine's load). A no-op for the synchronous caches.
			c.Sync()
		}
	}
	c.Sync()
	after := liveHeap()
	m := Memory{Cache: name, N: n, Held: c.Len(), Bytes: int64(after) - int64(before)}
	runtime.KeepAlive(c)
	c.Close()
	if m.Held > 0 {
		m.PerHeld = float64(m.Bytes) / float64(m.Held)
	}
	return m, nil
}

// syncEvery is the number of writes MeasureMemory makes between Syncs.
const syncEvery = 1024

func liveHeap() uint64 {
	var s runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&s)
	return s.HeapAlloc
}
