//go:build race

package clientcache_test

// raceEnabled is true under -race, which slows the stress tests tenfold:
// they run fewer rounds under it.
const raceEnabled = true
