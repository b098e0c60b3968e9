package concurrent

// Test-only hooks for the external test package.

import (
	"sync"
	"time"
)

// RaceEnabled tells the external tests whether the race detector is on (see
// raceEnabled).
const RaceEnabled = raceEnabled

// LoadTracePrefix loads a shared trace by name, cut to its first n requests
// under -short or -race (n = 0: whole), skipping the test when the traces
// are absent.
var LoadTracePrefix = simLoadPrefix

// FakeClock is a Clock the test moves by hand. The maintenance goroutine
// reads it too, so it is safe for concurrent use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a clock stopped at a fixed instant.
func NewFakeClock() *FakeClock { return &FakeClock{now: time.Unix(1_700_000_000, 0)} }

// Now returns the clock's time.
func (f *FakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the clock by d: forward, or back if d is negative (a wall
// clock set back).
func (f *FakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

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
