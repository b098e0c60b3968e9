// Package testwait holds the one way the repository's tests wait for a
// condition: poll it, and turn a hang into a failure after a generous bound.
package testwait

import (
	"testing"
	"time"
)

// Hang is the generous bound used only to turn a hang into a test failure.
// It is never a performance assertion.
const Hang = 10 * time.Second

// Until polls cond every millisecond until it holds, and fails t, naming
// what it waited for, if it does not hold within Hang.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Hang)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
