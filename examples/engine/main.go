// Command engine exercises the concurrent cache engine the way a client
// cache uses it: many goroutines ask for per-tenant resources with a skewed
// (Zipf) popularity, a miss "opens" a resource (standing in for an SDK
// config with its connection pool), and eviction "closes" it. It prints what
// happened: hits, misses, evictions, the largest size seen against the bound,
// and whether every opened resource was closed exactly once.
//
//	go run ./examples/engine [-tenants 500] [-size 64] [-workers 8] [-requests 200000] [-skew 1.1] [-policy LRU]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clientcache/clientcache/concurrent"
)

// pool stands in for what a cached AWS config holds: connections that must
// be released when the cache lets go of it.
type pool struct {
	tenant int
	closed atomic.Bool
}

func main() {
	tenants := flag.Int("tenants", 500, "distinct tenants")
	size := flag.Int("size", 64, "cache bound (MaxSize; 0 means the engine's default, 10)")
	workers := flag.Int("workers", 8, "concurrent goroutines")
	requests := flag.Int("requests", 200_000, "total requests")
	skew := flag.Float64("skew", 1.1, "Zipf exponent of tenant popularity (> 1: at least 1.000000001)")
	policyName := flag.String("policy", "LRU", "eviction policy: LRU or LFU")
	flag.Parse()
	if flag.NArg() > 0 {
		// flag.Parse stops at the first argument that is not a flag: a
		// value without its flag ("-requests 1000 200 -policy LFU") made
		// every flag after it ignored.
		fmt.Fprintf(os.Stderr, "engine: unexpected argument %q: the program takes flags only (-h lists them); the flags after it would be ignored\n", flag.Arg(0))
		os.Exit(1)
	}

	if err := run(os.Stdout, *tenants, *size, *workers, *requests, *skew, *policyName); err != nil {
		fmt.Fprintln(os.Stderr, "engine:", err)
		os.Exit(1)
	}
}

// minSkew is the smallest -skew: within about 1e-12 of 1, rand.Zipf loses
// its precision and draws tenants beyond -tenants from a distorted
// distribution (as the demo, cmd/clientcache-demo, found).
const minSkew = 1 + 1e-9

func run(out io.Writer, tenants, size, workers, requests int, skew float64, policyName string) error {
	var policy concurrent.Policy
	switch policyName {
	case "LRU":
		policy = concurrent.LRU
	case "LFU":
		policy = concurrent.LFU
	default:
		return fmt.Errorf("-policy %q: must be LRU or LFU", policyName)
	}
	if tenants < 1 || workers < 1 || requests < 1 {
		return errors.New("-tenants, -workers and -requests must be positive")
	}
	if workers > requests {
		// Workers beyond the requests would have none to run, and each is
		// still started: -workers 1000000000 -requests 10 started a
		// billion goroutines for 10 requests.
		return fmt.Errorf("-workers %d: must be at most -requests (%d)", workers, requests)
	}
	if !(skew >= minSkew) || math.IsInf(skew, 1) {
		// NaN and +Inf pass "skew <= 1", and rand.Zipf then loops for ever.
		return fmt.Errorf("-skew %v: must be a finite number of at least %v", skew, minSkew)
	}
	// The engine would refuse these too, but naming Options.MaxSize, not
	// the flag.
	if size < 0 {
		return fmt.Errorf("-size %d: must be 0 (the engine's default, %d) or positive", size, concurrent.DefaultMaxSize)
	}
	if policy == concurrent.LFU && size > concurrent.MaxLFUSize {
		return fmt.Errorf("-size %d: must be at most %d (concurrent.MaxLFUSize) with -policy LFU", size, concurrent.MaxLFUSize)
	}

	var opened, closedOnce, closedTwice atomic.Int64
	c, err := concurrent.New(concurrent.Options[int, *pool]{
		MaxSize:     size,
		Policy:      policy,
		RecordStats: true, // for the hit ratio printed at the end
		OnEvict: func(_ int, p *pool, _ concurrent.Cause) {
			if p.closed.Swap(true) {
				closedTwice.Add(1)
			} else {
				closedOnce.Add(1)
			}
		},
	})
	if err != nil {
		return err
	}

	var peak atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		n := requests / workers // and one more each for the first requests%workers
		if w < requests%workers {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			z := rand.NewZipf(rand.New(rand.NewPCG(uint64(w), 7)), skew, 1, uint64(tenants-1))
			for range n {
				t := int(z.Uint64())
				if _, ok := c.Get(t); ok {
					continue
				}
				p := &pool{tenant: t}
				switch err := c.Add(t, p); {
				case err == nil:
					opened.Add(1)
				case errors.Is(err, concurrent.ErrExists):
					// Another goroutine opened it first; ours was never shared.
				default:
					panic(err)
				}
				// The largest Len seen: a compare-and-swap, since a plain
				// load then store let a goroutine that saw a smaller Len
				// overwrite a larger one stored meanwhile.
				for n, p := int64(c.Len()), peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	st := c.Stats()
	bound := c.MaxSize() // the default bound if -size is 0
	if err := c.Close(); err != nil {
		return err
	}
	after := c.Stats()

	fmt.Fprintf(out, "clientcache engine: %d requests from %d goroutines over %d tenants (Zipf %v), MaxSize %d, %v\n",
		requests, workers, tenants, skew, bound, policy)
	// The cache's own counters: exact from one goroutine; under contention
	// some hits are counted by sampling (concurrent.Stats).
	fmt.Fprintf(out, "  hits %d, misses %d, hit ratio %.1f%% (Stats)\n", st.Hits, st.Misses, 100*st.HitRatio())
	fmt.Fprintf(out, "  resources opened %d, evicted for size %d, closed by Close %d\n",
		opened.Load(), after.Removed(concurrent.Size), after.Removed(concurrent.Closed))
	fmt.Fprintf(out, "  largest size seen %d (bound %d, plus at most %d writers in flight)\n", peak.Load(), bound, workers)
	// Released: the pools OnEvict closed, counted as it closed them, not
	// inferred from the cache's counters (checked against them below).
	released := closedOnce.Load()
	fmt.Fprintf(out, "  every resource released exactly once: %v (%d released, %d twice)\n",
		released == opened.Load() && closedTwice.Load() == 0, released, closedTwice.Load())
	fmt.Fprintf(out, "  %.0f requests/s\n", float64(requests)/elapsed.Seconds())
	if released != opened.Load() || closedTwice.Load() != 0 {
		return errors.New("resources leaked or closed twice")
	}
	if removed := after.Removed(concurrent.Size) + after.Removed(concurrent.Closed); removed != uint64(released) {
		return fmt.Errorf("the cache's Stats counted %d removals, OnEvict closed %d resources", removed, released)
	}
	// The bound printed above, checked: after its own Add has returned, a
	// goroutine sees at most the bound plus the inserts of the others in
	// progress (concurrent's doc: Len() <= MaxSize() + W).
	// (Subtracted, not added: bound+workers overflows for a -size near
	// math.MaxInt.)
	if peak.Load()-int64(workers) > int64(bound) {
		return fmt.Errorf("the cache held %d resources, above its bound %d plus %d writers", peak.Load(), bound, workers)
	}
	return nil
}
