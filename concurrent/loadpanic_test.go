package concurrent_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientcache/clientcache/concurrent"
)

// panickyClock is a FakeClock whose Now panics while armed.
type panickyClock struct {
	*concurrent.FakeClock
	armed atomic.Bool
}

func (c *panickyClock) Now() time.Time {
	if c.armed.Load() {
		panic("clock bug")
	}
	return c.FakeClock.Now()
}

// LoadMissed registers its load before it looks the key up, and reads the
// clock there (an expired entry is no value to return). A Clock whose Now
// panicked at that point left the load registered and never started: every
// later caller for the key joined it and waited until its own context
// ended, and the key could never be loaded again.
func TestPanicBeforeALoadStartsLeavesNoLoadToWaitFor(t *testing.T) {
	clock := &panickyClock{FakeClock: concurrent.NewFakeClock()}
	c, err := concurrent.New(concurrent.Options[string, int]{ExpireAfterWrite: time.Minute, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.Set("k", 1)
	clock.Advance(time.Hour) // expired, still in the map (the timer runs on real time)
	loader := func(context.Context) (int, error) { return 2, nil }
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("LoadMissed did not panic with the clock: the test no longer sets up what it checks")
			}
		}()
		clock.armed.Store(true)
		defer clock.armed.Store(false)
		_, _ = c.LoadMissed(context.Background(), "k", loader)
	}()
	if n := c.LoadsInFlight(); n != 0 {
		// GetOrLoad would join it and wait for ever.
		t.Fatalf("%d load still registered after the panic: the key's callers wait for a load that never runs", n)
	}
	v, err := c.GetOrLoad(context.Background(), "k", loader)
	if err != nil || v != 2 {
		t.Fatalf("GetOrLoad after the panic: %v, %v; want the loaded 2", v, err)
	}
}
