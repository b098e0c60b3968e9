package bench

import (
	"fmt"
	"sync"

	"github.com/Yiling-J/theine-go"
	"github.com/clientcache/clientcache/bench/seedport"
	"github.com/clientcache/clientcache/concurrent"
	"github.com/dgraph-io/ristretto/v2"
	"github.com/hashicorp/golang-lru/arc/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/maypok86/otter/v2"
	"github.com/puzpuzpuz/xsync/v4"
)

// KV is a cache of uint64 keys and values under measurement, called through
// its public API the way its users call it. Every implementation is safe for
// concurrent use.
type KV interface {
	Get(key uint64) (uint64, bool)
	// Set stores key, replacing its value if present.
	Set(key, value uint64)
	// Sync makes the writes made so far take effect, bound included:
	// otter's CleanUp, theine's and ristretto's Wait, clientcache's Sync; a
	// no-op for the caches that apply writes synchronously.
	Sync()
	// Len returns the number of entries stored, each counted from the
	// moment the Set that stored it returns (for ristretto, which stores a
	// write only when it applies its buffer, the cost in use: its entries
	// cost 1 each).
	Len() int
	Close()
}

// Kind names a cache implementation and builds one holding at most capacity
// entries.
type Kind struct {
	Name string
	// Rival is false for clientcache's own policies and for the bare map.
	Rival bool
	New   func(capacity int) (KV, error)
}

// Seed is the fixed seed of clientcache's LFU in every measurement, so that
// runs are identical.
const Seed = 1

// Kinds lists every cache of the comparison, clientcache first. Ceiling, the
// bare map, is apart: it is no cache.
var Kinds = []Kind{
	{"clientcache-LRU", false, func(n int) (KV, error) { return newClientcache(n, concurrent.LRU) }},
	{"clientcache-LFU", false, func(n int) (KV, error) { return newClientcache(n, concurrent.LFU) }},
	{"otter", true, newOtter},
	{"theine", true, newTheine},
	{"ristretto", true, newRistretto},
	{"golang-lru", true, newGolangLRU},
	{"2Q", true, new2Q},
	{"ARC", true, newARC},
	{"mutexmap", true, newMutexMap},
	{"seedport-LRU", true, func(n int) (KV, error) { return newSeedport(n, "LRU") }},
	{"seedport-LFU", true, func(n int) (KV, error) { return newSeedport(n, "LFU") }},
}

// Ceiling is a bare xsync.Map (the map clientcache reads from) with no bound
// and no policy: the cost of a hit can approach a load from it but not beat
// it.
var Ceiling = Kind{"xsync.Map", false, newXsyncMap}

// LookupKind returns the kind called name, Ceiling included.
func LookupKind(name string) (Kind, bool) {
	for _, k := range append(Kinds[:len(Kinds):len(Kinds)], Ceiling) {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

type clientcacheKV struct {
	c *concurrent.Cache[uint64, uint64]
}

func newClientcache(n int, p concurrent.Policy) (KV, error) {
	c, err := concurrent.New(concurrent.Options[uint64, uint64]{MaxSize: n, Policy: p, Seed: Seed})
	if err != nil {
		return nil, fmt.Errorf("clientcache %v: %w", p, err)
	}
	return clientcacheKV{c}, nil
}

func (c clientcacheKV) Get(k uint64) (uint64, bool) { return c.c.Get(k) }
func (c clientcacheKV) Set(k, v uint64) {
	if err := c.c.Set(k, v); err != nil {
		panic(err) // only after Close
	}
}
func (c clientcacheKV) Sync()    { c.c.Sync() }
func (c clientcacheKV) Len() int { return c.c.Len() }
func (c clientcacheKV) Close()   { _ = c.c.Close() }

type otterKV struct{ c *otter.Cache[uint64, uint64] }

func newOtter(n int) (KV, error) {
	c, err := otter.New(&otter.Options[uint64, uint64]{MaximumSize: n})
	if err != nil {
		return nil, err
	}
	return otterKV{c}, nil
}

// newOtterInline is otter as the bounded hit-ratio replays use it: maintenance
// on the calling goroutine (a synchronous Executor, the configuration otter's
// documentation suggests for tests). With the default executor a full read
// buffer schedules its drain on a new goroutine, and until that goroutine has
// run, every read that finds its stripe full is dropped: a one-goroutine replay
// lost enough reads to cost otter up to 12 points (cs@1000: 45 against 57),
// and how many depended on the scheduler. clientcache, replayed from one
// goroutine, applies every read.
func newOtterInline(n int) (KV, error) {
	c, err := otter.New(&otter.Options[uint64, uint64]{MaximumSize: n, Executor: func(fn func()) { fn() }})
	if err != nil {
		return nil, err
	}
	return otterKV{c}, nil
}

func (c otterKV) Get(k uint64) (uint64, bool) { return c.c.GetIfPresent(k) }
func (c otterKV) Set(k, v uint64)             { c.c.Set(k, v) }
func (c otterKV) Sync()                       { c.c.CleanUp() }
func (c otterKV) Len() int                    { return c.c.EstimatedSize() }
func (c otterKV) Close()                      { c.c.StopAllGoroutines() }

// theineKV's Len is theine's Len, the entries in its map. Set stores there
// at once and hands the entry to a policy goroutine, which evicts later;
// EstimatedSize counts only the entries that goroutine has applied, never
// more than the maximum, so it hid how far an unbounded theine overshoots.
type theineKV struct{ c *theine.Cache[uint64, uint64] }

func newTheine(n int) (KV, error) {
	c, err := theine.NewBuilder[uint64, uint64](int64(n)).Build()
	if err != nil {
		return nil, err
	}
	return theineKV{c}, nil
}

func (c theineKV) Get(k uint64) (uint64, bool) { return c.c.Get(k) }
func (c theineKV) Set(k, v uint64)             { c.c.Set(k, v, 1) }
func (c theineKV) Sync()                       { c.c.Wait() }
func (c theineKV) Len() int                    { return c.c.Len() }
func (c theineKV) Close()                      { c.c.Close() }

type ristrettoKV struct {
	c *ristretto.Cache[uint64, uint64]
}

// newRistretto configures ristretto as its documentation says: counters at
// 10x the capacity, BufferItems 64, and each entry costing 1 (so MaxCost is a
// number of entries, which needs IgnoreInternalCost).
func newRistretto(n int) (KV, error) {
	c, err := ristretto.NewCache(&ristretto.Config[uint64, uint64]{
		NumCounters:        int64(10 * max(n, 1)),
		MaxCost:            int64(n),
		BufferItems:        64,
		IgnoreInternalCost: true,
	})
	if err != nil {
		return nil, err
	}
	return ristrettoKV{c}, nil
}

func (c ristrettoKV) Get(k uint64) (uint64, bool) { return c.c.Get(k) }
func (c ristrettoKV) Set(k, v uint64)             { c.c.Set(k, v, 1) }
func (c ristrettoKV) Sync()                       { c.c.Wait() }
func (c ristrettoKV) Len() int                    { return int(c.c.MaxCost() - c.c.RemainingCost()) }
func (c ristrettoKV) Close()                      { c.c.Close() }

// golangLRU adapts golang-lru's LRU, 2Q and ARC, which are synchronous and
// safe for concurrent use (one lock each). LRU and 2Q never hold more than
// their size; ARC can hold one entry more (replayed on OLTP at 8 to 64
// entries it held 9 at 8 and 65 at 64, TestARCOvershootsByOne), which the
// hit-ratio tables do not correct for: at those points ARC is not the best
// rival.
type golangLRU struct {
	get func(uint64) (uint64, bool)
	add func(uint64, uint64)
	len func() int
}

func (c golangLRU) Get(k uint64) (uint64, bool) { return c.get(k) }
func (c golangLRU) Set(k, v uint64)             { c.add(k, v) }
func (c golangLRU) Sync()                       {}
func (c golangLRU) Len() int                    { return c.len() }
func (c golangLRU) Close()                      {}

func newGolangLRU(n int) (KV, error) {
	c, err := lru.New[uint64, uint64](n)
	if err != nil {
		return nil, err
	}
	return golangLRU{c.Get, func(k, v uint64) { c.Add(k, v) }, c.Len}, nil
}

func new2Q(n int) (KV, error) {
	c, err := lru.New2Q[uint64, uint64](n)
	if err != nil {
		return nil, err
	}
	return golangLRU{c.Get, c.Add, c.Len}, nil
}

func newARC(n int) (KV, error) {
	c, err := arc.NewARC[uint64, uint64](n)
	if err != nil {
		return nil, err
	}
	return golangLRU{c.Get, c.Add, c.Len}, nil
}

// mutexMap is the cache people write first: a map under a sync.Mutex,
// bounded by deleting whichever key a range over the map yields first (an
// arbitrary one: Go randomises the start of map iteration).
type mutexMap struct {
	mu  sync.Mutex // guards m
	max int
	m   map[uint64]uint64
}

func newMutexMap(n int) (KV, error) {
	return &mutexMap{max: n, m: make(map[uint64]uint64)}, nil
}

func (c *mutexMap) Get(k uint64) (uint64, bool) {
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	return v, ok
}

func (c *mutexMap) Set(k, v uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for victim := range c.m {
			delete(c.m, victim)
			break
		}
	}
	c.m[k] = v
}

func (c *mutexMap) Sync() {}
func (c *mutexMap) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
func (c *mutexMap) Close() {}

// seedportKV drives seedport's caches. They refuse to overwrite, so a write
// of a present key is, as for their users, a Set that fails with ErrExists
// followed by a Delete and a Set.
type seedportKV struct {
	c seedport.Cache[uint64, uint64]
}

func newSeedport(n int, policy string) (KV, error) {
	c, err := seedport.New[uint64, uint64](policy, n)
	if err != nil {
		return nil, err
	}
	return seedportKV{c}, nil
}

func (c seedportKV) Get(k uint64) (uint64, bool) { return c.c.Get(k) }
func (c seedportKV) Set(k, v uint64) {
	if c.c.Set(k, v) != nil {
		c.c.Delete(k)
		_ = c.c.Set(k, v) // may fail again if another writer won; so be it
	}
}
func (c seedportKV) Sync()    {}
func (c seedportKV) Len() int { return c.c.Len() }
func (c seedportKV) Close()   {}

type xsyncKV struct{ m *xsync.Map[uint64, uint64] }

func newXsyncMap(int) (KV, error) { return xsyncKV{xsync.NewMap[uint64, uint64]()}, nil }

func (c xsyncKV) Get(k uint64) (uint64, bool) { return c.m.Load(k) }
func (c xsyncKV) Set(k, v uint64)             { c.m.Store(k, v) }
func (c xsyncKV) Sync()                       {}
func (c xsyncKV) Len() int                    { return c.m.Size() }
func (c xsyncKV) Close()                      {}
