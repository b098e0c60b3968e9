package concurrent

// Test-only hooks for the external test package.

import (
	"github.com/clientcache/clientcache/internal/testclock"
)

// RaceEnabled tells the external tests whether the race detector is on (see
// raceEnabled).
const RaceEnabled = raceEnabled

// LoadTracePrefix loads a shared trace by name, cut to its first n requests
// under -short or -race (n = 0: whole), skipping the test when the traces
// are absent.
var LoadTracePrefix = simLoadPrefix

// FakeClock is a Clock the test moves by hand (testclock.Clock).
type FakeClock = testclock.Clock

// NewFakeClock returns a clock stopped at a fixed instant.
func NewFakeClock() *FakeClock { return testclock.New() }

// LoadWaiters returns how many callers wait for the load of key in flight
// (0 if none).
func (c *Cache[K, V]) LoadWaiters(key K) int {
	if cl, ok := c.loads.Load(key); ok {
		return int(cl.waiters.Load())
	}
	return 0
}

// LoadsInFlight returns how many loads are registered.
func (c *Cache[K, V]) LoadsInFlight() int { return c.loads.Size() }

// MaintenanceRuns returns how many times the maintenance goroutine woke to
// work (by a write's request or its expiry timer).
func (c *Cache[K, V]) MaintenanceRuns() uint64 { return c.maintenanceRuns.Load() }
