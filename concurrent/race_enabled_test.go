//go:build race

package concurrent

// raceEnabled is true under -race. Trace replays from one goroutine gain
// nothing from the race detector but its tenfold slowdown, so under it they
// replay the same prefixes as under -short, or skip when a prefix would not
// show what they check; CI also runs them in full without it (the step
// "full-length trace replays" of .ci/run: go test -run TestSim ./concurrent/).
const raceEnabled = true
