//go:build race

package concurrent

// raceEnabled is true under -race. Trace replays and model comparisons from
// one goroutine gain nothing from the race detector but its tenfold
// slowdown, so under it they replay the same prefixes, or run the same
// shorter variants, as under -short, or skip when a prefix would not show
// what they check; CI also runs them in full without it (the step
// "full-length trace replays and long single-goroutine policy tests" of
// .ci/run).
const raceEnabled = true
