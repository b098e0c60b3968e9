package bench

import (
	"fmt"

	"github.com/Yiling-J/theine-go"
	"github.com/clientcache/clientcache/concurrent"
	"github.com/hashicorp/golang-lru/arc/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/maypok86/otter/v2"
)

// Cache is a cache under measurement, driven by trace.Replay.
type Cache interface {
	Get(key uint64) bool
	Set(key uint64)
	// Peak returns the most entries the cache was seen to hold after a
	// Set.
	Peak() int
	Close()
}

// Contender names a cache and builds one of a given capacity.
type Contender struct {
	Name string
	// Bounded is false for a rival measured as users call it, whose
	// buffered writes may let it hold more than its maximum.
	Bounded bool
	// Rival is false for clientcache's own policies.
	Rival bool
	// Judged marks the rivals that clientcache's LFU is judged against
	// (the goal): otter v2 with CleanUp, theine with Wait, and
	// golang-lru's ARC. The others are shown for context.
	Judged bool
	New    func(capacity int) (Cache, error)
}

// Seed is the fixed seed of clientcache's LFU in every measurement, so that
// runs are identical.
const Seed = 1

// Contenders lists every cache of the comparison, clientcache first.
var Contenders = []Contender{
	{"clientcache-LRU", true, false, false, func(n int) (Cache, error) { return newClientcache(n, concurrent.LRU) }},
	{"clientcache-LFU", true, false, false, func(n int) (Cache, error) { return newClientcache(n, concurrent.LFU) }},
	{"otter", true, true, true, func(n int) (Cache, error) { return newOtter(n, true) }},
	{"theine", true, true, true, func(n int) (Cache, error) { return newTheine(n, true) }},
	{"ARC", true, true, true, newARC},
	{"2Q", true, true, false, new2Q},
	{"golang-lru", true, true, false, newGolangLRU},
	{"otter-unbounded", false, true, false, func(n int) (Cache, error) { return newOtter(n, false) }},
	{"theine-unbounded", false, true, false, func(n int) (Cache, error) { return newTheine(n, false) }},
}

// Lookup returns the contender called name.
func Lookup(name string) (Contender, bool) {
	for _, c := range Contenders {
		if c.Name == name {
			return c, true
		}
	}
	return Contender{}, false
}

type peak struct{ n int }

func (p *peak) Peak() int        { return p.n }
func (p *peak) observe(size int) { p.n = max(p.n, size) }

type clientcache struct {
	peak
	c *concurrent.Cache[uint64, struct{}]
}

func newClientcache(n int, p concurrent.Policy) (Cache, error) {
	c, err := concurrent.New(concurrent.Options[uint64, struct{}]{MaxSize: n, Policy: p, Seed: Seed})
	if err != nil {
		return nil, fmt.Errorf("clientcache %v: %w", p, err)
	}
	return &clientcache{c: c}, nil
}

func (c *clientcache) Get(k uint64) bool { _, ok := c.c.Get(k); return ok }
func (c *clientcache) Set(k uint64) {
	if err := c.c.Set(k, struct{}{}); err != nil {
		panic(err)
	}
	c.observe(c.c.Len())
}
func (c *clientcache) Close() { c.c.Close() }

type otterCache struct {
	peak
	c       *otter.Cache[uint64, struct{}]
	bounded bool
}

func newOtter(n int, bounded bool) (Cache, error) {
	c, err := otter.New(&otter.Options[uint64, struct{}]{MaximumSize: n})
	if err != nil {
		return nil, err
	}
	return &otterCache{c: c, bounded: bounded}, nil
}

func (c *otterCache) Get(k uint64) bool { _, ok := c.c.GetIfPresent(k); return ok }
func (c *otterCache) Set(k uint64) {
	c.c.Set(k, struct{}{})
	if c.bounded {
		c.c.CleanUp()
	}
	c.observe(c.c.EstimatedSize())
}
func (c *otterCache) Close() { c.c.StopAllGoroutines() }

type theineCache struct {
	peak
	c       *theine.Cache[uint64, struct{}]
	bounded bool
}

func newTheine(n int, bounded bool) (Cache, error) {
	c, err := theine.NewBuilder[uint64, struct{}](int64(n)).Build()
	if err != nil {
		return nil, err
	}
	return &theineCache{c: c, bounded: bounded}, nil
}

func (c *theineCache) Get(k uint64) bool { _, ok := c.c.Get(k); return ok }
func (c *theineCache) Set(k uint64) {
	c.c.Set(k, struct{}{}, 1)
	if c.bounded {
		c.c.Wait()
	}
	c.observe(c.c.EstimatedSize())
}
func (c *theineCache) Close() { c.c.Close() }

// golangLRU adapts golang-lru's LRU, 2Q and ARC, which are synchronous and
// always bounded.
type golangLRU struct {
	peak
	get func(uint64) bool
	add func(uint64)
	len func() int
}

func (c *golangLRU) Get(k uint64) bool { return c.get(k) }
func (c *golangLRU) Set(k uint64)      { c.add(k); c.observe(c.len()) }
func (c *golangLRU) Close()            {}

func newARC(n int) (Cache, error) {
	c, err := arc.NewARC[uint64, struct{}](n)
	if err != nil {
		return nil, err
	}
	return &golangLRU{
		get: func(k uint64) bool { _, ok := c.Get(k); return ok },
		add: func(k uint64) { c.Add(k, struct{}{}) }, len: c.Len,
	}, nil
}

func new2Q(n int) (Cache, error) {
	c, err := lru.New2Q[uint64, struct{}](n)
	if err != nil {
		return nil, err
	}
	return &golangLRU{
		get: func(k uint64) bool { _, ok := c.Get(k); return ok },
		add: func(k uint64) { c.Add(k, struct{}{}) }, len: c.Len,
	}, nil
}

func newGolangLRU(n int) (Cache, error) {
	c, err := lru.New[uint64, struct{}](n)
	if err != nil {
		return nil, err
	}
	return &golangLRU{
		get: func(k uint64) bool { _, ok := c.Get(k); return ok },
		add: func(k uint64) { c.Add(k, struct{}{}) }, len: c.Len,
	}, nil
}
