package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Yiling-J/theine-go"
	"github.com/clientcache/clientcache/bench/seedport"
	"github.com/clientcache/clientcache/concurrent"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/maypok86/otter/v2"
)

// LoadFunc builds the value of a key: in a client cache, the slow part (a
// credential call, a config load).
type LoadFunc func(ctx context.Context, key uint64) (uint64, error)

// Loading is a cache used the way a client cache is used: return the value of
// key, building it with the loader on a miss, each cache through the API it
// offers for that.
type Loading interface {
	Load(ctx context.Context, key uint64) (uint64, error)
	// Prefill stores key without calling the loader.
	Prefill(key, value uint64)
	Close()
}

// LoadingKind names a way of loading and builds one around a loader.
type LoadingKind struct {
	Name string
	// How says in a few words how the cache is called.
	How string
	New func(capacity int, load LoadFunc) (Loading, error)
}

// LoadingKinds lists the client-level contenders.
var LoadingKinds = []LoadingKind{
	{"clientcache-LRU", "GetOrLoad (deduplicated, detached load)", func(n int, l LoadFunc) (Loading, error) {
		return newClientcacheLoading(n, concurrent.LRU, l)
	}},
	{"clientcache-LFU", "GetOrLoad (deduplicated, detached load)", func(n int, l LoadFunc) (Loading, error) {
		return newClientcacheLoading(n, concurrent.LFU, l)
	}},
	{"otter", "Get with a Loader (deduplicated)", newOtterLoading},
	{"theine", "LoadingCache.Get (deduplicated)", newTheineLoading},
	{"seedport", "Session.Client: lookup, build and store under the cache's lock", func(n int, l LoadFunc) (Loading, error) {
		return &seedportLoading{s: seedport.NewSession[uint64, uint64](n), load: l, locked: true}, nil
	}},
	{"seedport-unlocked", "Session.ClientUnlocked: check, build unlocked, Set (ErrExists to the losers)", func(n int, l LoadFunc) (Loading, error) {
		return &seedportLoading{s: seedport.NewSession[uint64, uint64](n), load: l}, nil
	}},
	{"golang-lru+mutex", "a sync.Mutex held around Get, load and Add", func(n int, l LoadFunc) (Loading, error) {
		return newLRULoading(n, l, true)
	}},
	{"golang-lru", "Get, load on a miss, Add (no deduplication)", func(n int, l LoadFunc) (Loading, error) {
		return newLRULoading(n, l, false)
	}},
	{"ristretto", "Get, load on a miss, Set (no deduplication)", newRistrettoLoading},
}

// LookupLoading returns the loading kind called name.
func LookupLoading(name string) (LoadingKind, bool) {
	for _, k := range LoadingKinds {
		if k.Name == name {
			return k, true
		}
	}
	return LoadingKind{}, false
}

type clientcacheLoading struct {
	c    *concurrent.Cache[uint64, uint64]
	load LoadFunc
}

func newClientcacheLoading(n int, p concurrent.Policy, l LoadFunc) (Loading, error) {
	c, err := concurrent.New(concurrent.Options[uint64, uint64]{MaxSize: n, Policy: p, Seed: Seed})
	if err != nil {
		return nil, err
	}
	return &clientcacheLoading{c, l}, nil
}

func (c *clientcacheLoading) Load(ctx context.Context, key uint64) (uint64, error) {
	return c.c.GetOrLoad(ctx, key, func(ctx context.Context) (uint64, error) { return c.load(ctx, key) })
}
func (c *clientcacheLoading) Prefill(k, v uint64) { _ = c.c.Set(k, v) }
func (c *clientcacheLoading) Close()              { _ = c.c.Close() }

type otterLoading struct {
	c      *otter.Cache[uint64, uint64]
	loader otter.Loader[uint64, uint64]
}

func newOtterLoading(n int, l LoadFunc) (Loading, error) {
	c, err := otter.New(&otter.Options[uint64, uint64]{MaximumSize: n})
	if err != nil {
		return nil, err
	}
	return &otterLoading{c, otter.LoaderFunc[uint64, uint64](l)}, nil
}

func (c *otterLoading) Load(ctx context.Context, key uint64) (uint64, error) {
	return c.c.Get(ctx, key, c.loader)
}
func (c *otterLoading) Prefill(k, v uint64) { c.c.Set(k, v); c.c.CleanUp() }
func (c *otterLoading) Close()              { c.c.StopAllGoroutines() }

type theineLoading struct {
	c *theine.LoadingCache[uint64, uint64]
}

func newTheineLoading(n int, l LoadFunc) (Loading, error) {
	c, err := theine.NewBuilder[uint64, uint64](int64(n)).BuildWithLoader(
		func(ctx context.Context, key uint64) (theine.Loaded[uint64], error) {
			v, err := l(ctx, key)
			return theine.Loaded[uint64]{Value: v, Cost: 1}, err
		})
	if err != nil {
		return nil, err
	}
	return &theineLoading{c}, nil
}

func (c *theineLoading) Load(ctx context.Context, key uint64) (uint64, error) {
	return c.c.Get(ctx, key)
}
func (c *theineLoading) Prefill(k, v uint64) { c.c.Set(k, v, 1); c.c.Wait() }
func (c *theineLoading) Close()              { c.c.Close() }

type seedportLoading struct {
	s      *seedport.Session[uint64, uint64]
	load   LoadFunc
	locked bool
}

func (c *seedportLoading) Load(ctx context.Context, key uint64) (uint64, error) {
	build := func() (uint64, error) { return c.load(ctx, key) }
	if c.locked {
		return c.s.Client("LRU", key, build)
	}
	return c.s.ClientUnlocked("LRU", key, build)
}
func (c *seedportLoading) Prefill(k, v uint64) {
	_, _ = c.s.Client("LRU", k, func() (uint64, error) { return v, nil })
}
func (c *seedportLoading) Close() {}

type lruLoading struct {
	mu     sync.Mutex // held around the whole Load when locked
	c      *lru.Cache[uint64, uint64]
	load   LoadFunc
	locked bool
}

func newLRULoading(n int, l LoadFunc, locked bool) (Loading, error) {
	c, err := lru.New[uint64, uint64](n)
	if err != nil {
		return nil, err
	}
	return &lruLoading{c: c, load: l, locked: locked}, nil
}

func (c *lruLoading) Load(ctx context.Context, key uint64) (uint64, error) {
	if c.locked {
		c.mu.Lock()
		defer c.mu.Unlock()
	}
	if v, ok := c.c.Get(key); ok {
		return v, nil
	}
	v, err := c.load(ctx, key)
	if err != nil {
		return v, err
	}
	c.c.Add(key, v)
	return v, nil
}
func (c *lruLoading) Prefill(k, v uint64) { c.c.Add(k, v) }
func (c *lruLoading) Close()              {}

type ristrettoLoading struct {
	c    KV
	load LoadFunc
}

func newRistrettoLoading(n int, l LoadFunc) (Loading, error) {
	c, err := newRistretto(n)
	if err != nil {
		return nil, err
	}
	return &ristrettoLoading{c, l}, nil
}

func (c *ristrettoLoading) Load(ctx context.Context, key uint64) (uint64, error) {
	if v, ok := c.c.Get(key); ok {
		return v, nil
	}
	v, err := c.load(ctx, key)
	if err != nil {
		return v, err
	}
	c.c.Set(key, v)
	return v, nil
}
func (c *ristrettoLoading) Prefill(k, v uint64) { c.c.Set(k, v); c.c.Sync() }
func (c *ristrettoLoading) Close()              { c.c.Close() }

// StampedeResult is what a stampede on one cold key cost.
type StampedeResult struct {
	Cache      string
	Goroutines int
	LoaderTime time.Duration
	Calls      int64         // loader calls
	Errors     int64         // callers that got an error (ErrExists for seedport-unlocked)
	Wall       time.Duration // from the release of the goroutines to the last return
}

// Stampede releases goroutines callers of the cache called name at once on
// one cold key, with a loader that sleeps for loaderTime, and counts the
// loader's calls.
func Stampede(name string, goroutines int, loaderTime time.Duration) (StampedeResult, error) {
	k, ok := LookupLoading(name)
	if !ok {
		return StampedeResult{}, fmt.Errorf("bench: no loading cache %q", name)
	}
	var calls atomic.Int64
	c, err := k.New(100, func(ctx context.Context, key uint64) (uint64, error) {
		calls.Add(1)
		time.Sleep(loaderTime)
		return key, nil
	})
	if err != nil {
		return StampedeResult{}, err
	}
	defer c.Close()
	const key = 42
	var (
		errs  atomic.Int64
		ready sync.WaitGroup
		done  sync.WaitGroup
		start = make(chan struct{})
	)
	for range goroutines {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-start
			if v, err := c.Load(context.Background(), key); err != nil || v != key {
				errs.Add(1)
			}
		})
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	return StampedeResult{
		Cache: name, Goroutines: goroutines, LoaderTime: loaderTime,
		Calls: calls.Load(), Errors: errs.Load(), Wall: time.Since(t0),
	}, nil
}

// HeadOfLineResult is the latency of hits on other keys while one slow load
// is in flight.
type HeadOfLineResult struct {
	Cache         string
	LoadTime      time.Duration // the slow loader's sleep
	Samples       int
	P50, P99, Max time.Duration
}

// HeadOfLine starts a load of a cold key that takes loadTime in the cache
// called name and, while it runs, has readers goroutines each request a hit
// on another (pre-filled) key every interval. With withLoad false, the
// readers run as long with no load in flight: the baseline of the machine.
//
// A request due while its reader was still inside earlier calls counts from
// when it was due (so that a blocked reader's missed requests count, not
// only the one that blocked); any other counts from when it was issued.
// Requests due after the load ended are not counted.
func HeadOfLine(name string, loadTime time.Duration, readers int, interval time.Duration, withLoad bool) (HeadOfLineResult, error) {
	k, ok := LookupLoading(name)
	if !ok {
		return HeadOfLineResult{}, fmt.Errorf("bench: no loading cache %q", name)
	}
	const slowKey, hot = 1 << 40, 64
	started := make(chan struct{})
	var loadEnd atomic.Int64 // UnixNano when the slow load returned, 0 before
	c, err := k.New(4*hot, func(ctx context.Context, key uint64) (uint64, error) {
		if key != slowKey {
			return 0, errors.New("bench: unexpected load of a hot key")
		}
		close(started)
		time.Sleep(loadTime)
		return key, nil
	})
	if err != nil {
		return HeadOfLineResult{}, err
	}
	defer c.Close()
	for i := range uint64(hot) {
		c.Prefill(i, i)
	}
	slowErr := make(chan error, 1)
	if withLoad {
		go func() {
			_, err := c.Load(context.Background(), slowKey)
			loadEnd.Store(time.Now().UnixNano())
			slowErr <- err
		}()
		<-started
	} else {
		go func() {
			time.Sleep(loadTime)
			loadEnd.Store(time.Now().UnixNano())
			slowErr <- nil
		}()
	}
	begin := time.Now()
	lat := make([][]time.Duration, readers)
	var wg sync.WaitGroup
	var readErr atomic.Value
	for r := range readers {
		wg.Go(func() {
			// busySince is when the reader's current run of back-to-back
			// calls began: a request due during that run waited for the
			// calls before it, and its latency counts from when it was due
			// (or from busySince, if it fell due while the reader was still
			// oversleeping: the timer's lateness is not the cache's).
			prevEnd, busySince := begin, begin
			for j := 0; ; j++ {
				due := begin.Add(time.Duration(j) * interval).Add(time.Duration(r) * interval / time.Duration(readers))
				if end := loadEnd.Load(); end != 0 && due.UnixNano() > end {
					return
				}
				behind := prevEnd.After(due)
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				issued := time.Now()
				if !behind {
					busySince = issued
				}
				if _, err := c.Load(context.Background(), uint64(j+r)%hot); err != nil {
					readErr.Store(err)
					return
				}
				finished := time.Now()
				from := issued
				if behind {
					from = due
					if busySince.After(due) {
						from = busySince
					}
				}
				lat[r] = append(lat[r], finished.Sub(from))
				prevEnd = finished
			}
		})
	}
	wg.Wait()
	if err := <-slowErr; err != nil {
		return HeadOfLineResult{}, fmt.Errorf("bench: %s: slow load: %w", name, err)
	}
	if err, ok := readErr.Load().(error); ok {
		return HeadOfLineResult{}, fmt.Errorf("bench: %s: hit: %w", name, err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	res := HeadOfLineResult{Cache: name, LoadTime: loadTime, Samples: len(all)}
	if len(all) > 0 {
		res.P50 = all[len(all)/2]
		res.P99 = all[min(len(all)-1, len(all)*99/100)]
		res.Max = all[len(all)-1]
	}
	return res, nil
}
