package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/clientcache/clientcache/bench"
)

const (
	stampedeGoroutines = 1000
	stampedeLoad       = 50 * time.Millisecond
	holLoad            = 100 * time.Millisecond
	holReaders         = 4
	holInterval        = 100 * time.Microsecond
)

// holCaches are measured for head-of-line blocking: the three, and
// otter and theine for context.
var holCaches = []string{"clientcache-LRU", "clientcache-LFU", "seedport", "golang-lru+mutex", "otter", "theine"}

func runClient(cfg config, s *section) error {
	s.printf("## Client level\n\n")
	s.printf("A loader that sleeps stands in for building a client (a credential call). Each cache is called the way its users would call it for get-or-build:\n\n")
	s.printf("| cache | how it is called |\n|---|---|\n")
	for _, k := range bench.LoadingKinds {
		s.printf("| %s | %s |\n", k.Name, k.How)
	}
	s.printf("\n### Stampede\n\n%d goroutines, released together, ask for one cold key; the loader sleeps %v.\n\n", stampedeGoroutines, stampedeLoad)
	s.printf("| cache | loader calls | callers with an error | wall time |\n|---|---:|---:|---:|\n")
	calls := map[string]int64{}
	for i, k := range bench.LoadingKinds {
		progress("client", "stampede %d/%d %s", i+1, len(bench.LoadingKinds), k.Name)
		r, err := bench.Stampede(k.Name, stampedeGoroutines, stampedeLoad)
		if err != nil {
			return err
		}
		calls[k.Name] = r.Calls
		s.printf("| %s | %d | %d | %v |\n", r.Cache, r.Calls, r.Errors, r.Wall.Round(time.Millisecond))
	}
	s.printf("\n")
	for _, cc := range []string{"clientcache-LRU", "clientcache-LFU"} {
		s.goal(fmt.Sprintf("Stampede: %s exactly 1 loader call for %d goroutines", cc, stampedeGoroutines), met(calls[cc] == 1), fmt.Sprintf("%d calls", calls[cc]))
	}

	s.printf("### Head-of-line blocking\n\n")
	s.printf("One goroutine loads a cold key whose loader sleeps %v; meanwhile %d readers each ask for a hit on another (pre-filled) key every %v until the load returns. ", holLoad, holReaders, holInterval)
	s.printf("A hit's latency is counted from when it was due if its reader was still stuck in an earlier call then (so that a blocked reader's missed requests count), otherwise from when it was issued.\n\n")
	s.printf("The baseline columns are the same readers for as long with no load in flight: what the machine itself adds.\n\n")
	s.printf("| cache | hits measured | p50 | p99 | max | baseline p50 | baseline p99 |\n|---|---:|---:|---:|---:|---:|---:|\n")
	hol := map[string]bench.HeadOfLineResult{}
	base := map[string]bench.HeadOfLineResult{}
	for i, name := range holCaches {
		progress("client", "head-of-line %d/%d %s", i+1, len(holCaches), name)
		r, err := bench.HeadOfLine(name, holLoad, holReaders, holInterval, true)
		if err != nil {
			return err
		}
		b, err := bench.HeadOfLine(name, holLoad, holReaders, holInterval, false)
		if err != nil {
			return err
		}
		hol[name], base[name] = r, b
		s.printf("| %s | %d | %s | %s | %s | %s | %s |\n", name, r.Samples, dur(r.P50), dur(r.P99), dur(r.Max), dur(b.P50), dur(b.P99))
	}
	s.printf("\n")
	s.printf("theine's LoadingCache holds the lock of the key's shard while its loader runs, so hits on keys of the same shard (%d shards here, at GOMAXPROCS %d) wait too; each reader soon meets such a key, and its requests due while it waits count as late. ", theineShards(runtime.GOMAXPROCS(0)), runtime.GOMAXPROCS(0))
	s.printf("Tail latencies in microseconds need a quiet machine: on an overloaded one, a reader descheduled for a few milliseconds shows up in p99 for every cache.\n\n")
	sp := hol["seedport"]
	for _, cc := range []string{"clientcache-LRU", "clientcache-LFU"} {
		r := hol[cc]
		ok := r.P99 < time.Millisecond && sp.Max >= holLoad/2
		s.goal(fmt.Sprintf("Head-of-line: %s hits on other keys unaffected (p99 in µs) where seedport waits for the load", cc), met(ok),
			fmt.Sprintf("%s p99 %s (baseline without a load %s); seedport p99 %s, max %s (load %v)", cc, dur(r.P99), dur(base[cc].P99), dur(sp.P99), dur(sp.Max), holLoad))
	}
	return nil
}

// theineShards is the number of shards theine v0.6.3 gives a cache at
// the given GOMAXPROCS (internal/store.go: the least power of two at or
// above 2 x GOMAXPROCS, then kept within 16..128).
func theineShards(procs int) int {
	n := 1
	for n < procs*2 {
		n *= 2
	}
	return min(max(n, 16), 128)
}

func dur(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return strings.Replace(fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond)), ".0 ", " ", 1)
	}
}
