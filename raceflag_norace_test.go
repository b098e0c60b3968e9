//go:build !race

package clientcache_test

// raceEnabled is true under -race (see raceflag_race_test.go).
const raceEnabled = false
