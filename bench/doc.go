// Package bench measures clientcache against rival Go caches. It is a module
// of its own so that the library's users never download the rivals.
//
// The hit-ratio comparison replays every trace of the shared trace folder
// (see internal/trace) at the capacities listed for it, from one goroutine,
// through each cache's public API: a Get, and on a miss a Set. The rivals are
// measured twice where they buffer writes: bounded (otter v2 with CleanUp
// after each write, theine with Wait after each write: the cache never holds
// more than its maximum) and unbounded, as users call them (their buffered
// writes let them overshoot the maximum; the peak size reached is recorded).
// Only bounded figures are fair comparisons. Bélády's optimum and a textbook
// LRU, computed on the same trace, are the references.
//
// Run the whole table with
//
//	cd bench && go run ./cmd/hitratio
//
// The cache2k web traces are CC BY 4.0 (cache2k-LICENSE.txt in the trace
// folder); credit them wherever their figures are shown.
package bench
