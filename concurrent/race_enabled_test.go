//go:build race

package concurrent_test

// raceEnabled is true under -race. Trace replays from one goroutine gain
// nothing from the race detector but its tenfold slowdown, so they replay
// the same prefixes as under -short; CI also runs them in full without it.
const raceEnabled = true
