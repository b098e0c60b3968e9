// Package testclock holds the clock the repository's tests move by hand,
// for the expiry of the cache engine (concurrent.Options.Clock) and of the
// AWS face (Options.IdleTimeout).
package testclock

import (
	"sync"
	"time"
)

// Clock is a time source the test moves by hand. The caches' maintenance
// goroutines read it too, so it is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock stopped at a fixed instant.
func New() *Clock { return &Clock{now: time.Unix(1_700_000_000, 0)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d: forward, or back if d is negative (a wall
// clock set back).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
