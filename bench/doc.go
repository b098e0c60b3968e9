// Package bench measures clientcache against rival Go caches. It is a module
// of its own so that the library's users never download the rivals.
//
// # One command
//
//	cd bench && go run ./cmd/report            # everything, written to RESULTS.md and results/
//	cd bench && go run ./cmd/report -quick     # the same at small scale: -count 2, -benchtime 100ms, five traces
//
// Flags of cmd/report: -only throughput,hitratio,memory,client (a subset;
// the other sections of RESULTS.md keep their last figures), -quick, -count N
// (default 10), -cpu LIST (default 1,2,4,8), -benchtime D (default 1s),
// -traces a,b (hit-ratio traces), -rival-runs N (replays of each randomly
// seeded bounded rival, default 3), -out DIR, -assemble (rebuild RESULTS.md
// only), -from-raw (re-summarise results/throughput.txt). Progress goes to
// standard error with an estimate of the time left.
// A full run takes roughly 60 minutes on 2 cores: about 47 for the
// throughput benchmarks (1,920 results of 1s each, with set-up: 12 caches,
// 4 mixes, 4 -cpu values, 10 runs), 8 for the hit ratios, under one for
// memory and a few seconds for the client level (the committed run:
// results/throughput.txt ends in 2832s, the sections' footers give 7m31s,
// 17s and 2s).
//
// # What is measured
//
// The caches ([Kinds]): clientcache's LRU and LFU, otter v2, theine,
// ristretto v2, golang-lru's LRU, 2Q and ARC, a map under a sync.Mutex
// (mutexmap), and seedport (package seedport: the design of the Python
// library boto3-client-cache, ported). [Ceiling], a bare xsync.Map, is the
// limit a cache's hit can approach.
//
//   - Throughput: BenchmarkThroughput, in the style of Caffeine's get/put
//     benchmark: each cache pre-filled from a scrambled Zipf key stream
//     ([NewWorkload]), read/write mixes 100/0, 75/25, 50/50 and 0/100 ([Mixes]),
//     run by cmd/report as go test -bench with -count 10 -cpu 1,2,4,8 and
//     summarised as benchstat does. Sub-benchmarks are named
//     Throughput/cache=NAME/reads=PERCENT.
//   - Hit ratio: every trace of the shared trace folder (see internal/trace)
//     at the capacities listed for it, and capacities 8 to 512 on the Zipf and
//     OLTP traces, replayed from one goroutine through each cache's public API:
//     a Get, and on a miss a Set. The rivals that bound their size only
//     eventually are measured twice: bounded (otter with maintenance inline, a
//     synchronous Executor, and CleanUp after each
//     write, theine and ristretto with Wait after each write: the cache never
//     holds more than its maximum) and unbounded, as users call them (their
//     buffered writes let them overshoot the maximum or lose writes; the peak
//     size reached is recorded). Only bounded figures are compared. Bélády's
//     optimum and a textbook LRU, computed on the same trace, are the
//     references.
//   - Memory: [MeasureMemory], live heap per entry at 1k, 100k and 1M entries,
//     each cache in a fresh process.
//   - Client level ([LoadingKinds]): [Stampede], a thousand goroutines missing
//     one key, counting loader calls; [HeadOfLine], the latency of hits on
//     other keys while one load takes 100 ms.
//
// cmd/hitratio prints the older compact hit-ratio table (clientcache against
// otter, theine and ARC), used while tuning the LFU:
//
//	cd bench && go run ./cmd/hitratio [-traces oltp,loop] [-rivals=false]
//
// [CompareHits] takes a row apart: it replays one trace through two caches
// side by side and counts the requests only one of them hits, by how often
// the key was requested before and by its reuse distance, and their hits
// over each run of the capacity's number of requests, with what a cache that
// followed the one leading the runs before would hit (the bound of a duel
// between the two). TestGapAnatomy prints it for clientcache's LFU against
// any contender:
//
//	cd bench && CLIENTCACHE_GAP="web07@5000:ARC;cpp@250:ARC" go test -run TestGapAnatomy -v .
//
// The cache2k web traces are CC BY 4.0 (cache2k-LICENSE.txt in the trace
// folder); credit them wherever their figures are shown.
package bench
