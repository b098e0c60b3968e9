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
// distinct uint64 keys and values, applies buffered writes, and returns the
// growth of the live heap (HeapAlloc after two collections) from before the
// cache was built. It counts everything the cache allocated: maps, nodes,
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

func liveHeap() uint64 {
	var s runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&s)
	return s.HeapAlloc
}
