package concurrent

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clientcache/clientcache/internal/testwait"
)

// A read that finds an entry live (with ExpireAfterAccess) and is about to
// store its access time races an expiry that reads the clock just after the
// reader did and finds the entry idle at the access time stored before the
// read. The read must count: either it returns the value and the entry stays
// (its idle period starts again at the read), or the expiry wins and the read
// misses. Before the fix the read returned the value as a hit and the entry
// was removed all the same, handed to OnEvict as Expired before the Get that
// had just used it returned: a read made before the deadline was lost, and the
// entry was removed as idle although it had just been read (an Add then also
// took the key as absent, and a Delete reported it absent, beside a hit).
func TestReadRacingExpiryIsNotLost(t *testing.T) {
	const tta = time.Minute
	for _, tc := range []struct {
		name string
		race func(c *Cache[string, int]) // on the reader's goroutine, inside the read
	}{
		{"Sync", func(c *Cache[string, int]) { c.Sync() }},
		{"Add", func(c *Cache[string, int]) { _ = c.Add("k", 2) }},
		{"Delete", func(c *Cache[string, int]) { c.Delete("k") }},
	} {
		for _, touch := range []bool{false, true} {
			name := tc.name + "/Get"
			if touch {
				name = tc.name + "/Touch"
			}
			t.Run(name, func(t *testing.T) {
				clock := NewFakeClock()
				var (
					mu      sync.Mutex
					evicted []Cause // of k's first value; OnEvict may run on the maintenance goroutine
				)
				causes := func() []Cause {
					mu.Lock()
					defer mu.Unlock()
					return slices.Clone(evicted)
				}
				c, err := New(Options[string, int]{
					MaxSize:           10,
					ExpireAfterAccess: tta,
					Clock:             clock,
					OnEvict: func(k string, v int, cause Cause) {
						if k == "k" && v == 1 {
							mu.Lock()
							evicted = append(evicted, cause)
							mu.Unlock()
						}
					},
				})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := c.Set("k", 1); err != nil {
					t.Fatal(err)
				}
				c.Sync()
				clock.Advance(tta - time.Millisecond) // the read: live, a millisecond before its deadline
				c.testHookLiveRead = func() {
					c.testHookLiveRead = nil
					clock.Advance(time.Millisecond) // the deadline of the access stored before the read
					tc.race(c)
				}
				var (
					v   int
					hit bool
				)
				if touch {
					v, hit = c.Touch("k")
				} else {
					v, hit = c.Get("k")
				}
				c.testHookLiveRead = nil
				if hit && v != 1 {
					t.Fatalf("read returned %d, want 1 (or a miss)", v)
				}
				if hit {
					c.Sync()
					if got := causes(); len(got) > 0 {
						t.Fatalf("read hit k (at its access a millisecond before its deadline), but k's value was removed by the racing %s with causes %v before the read returned: the read's access was lost", tc.name, got)
					}
				} else {
					testwait.Until(t, "k's value handed to OnEvict", func() bool { return len(causes()) > 0 })
					if got := causes(); len(got) != 1 || got[0] != Expired {
						t.Fatalf("read missed k; its value's removals: %v, want one with cause Expired", got)
					}
				}
				if hit {
					// The read at 59.999s keeps k until 119.999s.
					clock.Advance(tta - 2*time.Millisecond)
					c.Sync()
					if !c.Contains("k") {
						t.Fatalf("k gone %v after a read that hit it", tta-time.Millisecond)
					}
				}
			})
		}
	}
}
