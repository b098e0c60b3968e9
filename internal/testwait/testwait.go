// Package testwait holds the one way the repository's tests wait for a
// condition: poll it, and turn a hang into a failure after a generous bound.
package testwait

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
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

// Leaks returns nil once no goroutine but the test runner's runs (ignoring
// those opts ignore), or goleak's report of those still running after Hang.
// goleak.Find alone gives up after about half a second, which a goroutine
// that is stopping (a transport's reader noticing its closed connection) can
// outlast on a loaded machine.
func Leaks(opts ...goleak.Option) error {
	deadline := time.Now().Add(Hang)
	for {
		err := goleak.Find(opts...)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Main runs the tests and exits with their code, failing them if goroutines
// leak (Leaks): a TestMain of a package whose tests need nothing else.
func Main(m *testing.M, opts ...goleak.Option) {
	code := m.Run()
	if code == 0 {
		if err := Leaks(opts...); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
