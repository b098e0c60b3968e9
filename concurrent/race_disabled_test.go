//go:build !race

package concurrent_test

const raceEnabled = false
