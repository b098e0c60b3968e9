package concurrent_test

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientcache/clientcache/concurrent"
)

// panickyClock is a FakeClock whose Now panics while armed, on the
// goroutine that armed it only. The cache's maintenance goroutine reads the
// clock too (woken by a write, it may run late on a loaded machine), and a
// panic there ended the test binary ("panic: clock bug" in
// maintenanceLoop: 1 run of 4 of the package, or within 3,000 runs of
// TestPanicBeforeALoadStartsLeavesNoLoadToWaitFor with -cpu 2).
type panickyClock struct {
	*concurrent.FakeClock
	armedBy atomic.Uint64 // the ID of the goroutine that armed it; 0: disarmed
}

func (c *panickyClock) Now() time.Time {
	if id := c.armedBy.Load(); id != 0 && id == goroutineID() {
		panic("clock bug")
	}
	return c.FakeClock.Now()
}

// arm makes Now panic on the calling goroutine until disarm.
func (c *panickyClock) arm()    { c.armedBy.Store(goroutineID()) }
func (c *panickyClock) disarm() { c.armedBy.Store(0) }

// goroutineID returns the calling goroutine's ID, read from the first line
// of its stack ("goroutine 7 [running]:").
func goroutineID() uint64 {
	var buf [64]byte
	b := bytes.TrimPrefix(buf[:runtime.Stack(buf[:], false)], []byte("goroutine "))
	id, err := strconv.ParseUint(string(b[:max(bytes.IndexByte(b, ' '), 0)]), 10, 64)
	if err != nil || id == 0 {
		panic("goroutineID: no ID in the stack's first line")
	}
	return id
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
	// A live entry: LoadMissed reads the clock to tell. (An expired one,
	// as this test had, the maintenance goroutine woken by the Set could
	// remove first on a loaded machine, and LoadMissed then read no clock.)
	_ = c.Set("k", 1)
	loader := func(context.Context) (int, error) { return 2, nil }
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("LoadMissed did not panic with the clock: the test no longer sets up what it checks")
			}
		}()
		clock.arm()
		defer clock.disarm()
		_, _ = c.LoadMissed(context.Background(), "k", loader)
	}()
	if n := c.LoadsInFlight(); n != 0 {
		// GetOrLoad would join it and wait for ever.
		t.Fatalf("%d load still registered after the panic: the key's callers wait for a load that never runs", n)
	}
	clock.Advance(time.Hour) // expired: GetOrLoad loads
	v, err := c.GetOrLoad(context.Background(), "k", loader)
	if err != nil || v != 2 {
		t.Fatalf("GetOrLoad after the panic: %v, %v; want the loaded 2", v, err)
	}
}
