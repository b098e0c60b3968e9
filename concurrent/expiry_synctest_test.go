//go:build go1.25

package concurrent_test

import (
	"math"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/clientcache/clientcache/concurrent"
)

// TestExpiryTimerInVirtualTime runs the real clock and timers in a synctest
// bubble, so time is exact: entries leave at their deadlines by the
// maintenance goroutine's timer alone, and the goroutine does not wake while
// nothing is due (no ticker, no polling).
func TestExpiryTimerInVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		c, err := concurrent.New(concurrent.Options[string, int]{ExpireAfterWrite: time.Hour, OnEvict: rec.onEvict})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()

		_ = c.Set("a", 1)
		time.Sleep(30 * time.Minute)
		_ = c.Set("b", 2)
		synctest.Wait()
		runs := c.MaintenanceRuns()

		time.Sleep(30*time.Minute - time.Nanosecond)
		synctest.Wait()
		if len(rec.calls()) != 0 || c.MaintenanceRuns() != runs {
			t.Fatalf("before a's deadline: calls %v, %d wake-ups", rec.calls(), c.MaintenanceRuns()-runs)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if want := []removal{{"a", 1, concurrent.Expired}}; !slices.Equal(rec.calls(), want) || c.Len() != 1 {
			t.Fatalf("at a's deadline: calls %v, Len %d", rec.calls(), c.Len())
		}
		time.Sleep(30 * time.Minute)
		synctest.Wait()
		if c.Len() != 0 || len(rec.calls()) != 2 {
			t.Fatalf("at b's deadline: calls %v, Len %d", rec.calls(), c.Len())
		}

		idle := c.MaintenanceRuns()
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		if n := c.MaintenanceRuns() - idle; n != 0 {
			t.Fatalf("an empty cache woke its goroutine %d times in a day", n)
		}
	})
}

// TestExpireAfterAccessInVirtualTime: reads keep a tenant alive; when it goes
// quiet it leaves one idle period after its last read.
func TestExpireAfterAccessInVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		c, err := concurrent.New(concurrent.Options[string, int]{ExpireAfterAccess: 10 * time.Minute, OnEvict: rec.onEvict})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.Set("tenant", 1)
		for range 6 {
			time.Sleep(9 * time.Minute)
			if _, ok := c.Get("tenant"); !ok {
				t.Fatal("a tenant read every 9 minutes expired")
			}
		}
		lastRead := time.Now()
		synctest.Wait()
		time.Sleep(10*time.Minute - time.Second)
		synctest.Wait()
		if len(rec.calls()) != 0 {
			t.Fatalf("expired %v before its idle period ended", time.Since(lastRead))
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if want := []removal{{"tenant", 1, concurrent.Expired}}; !slices.Equal(rec.calls(), want) {
			t.Fatalf("calls %v at %v after the last read", rec.calls(), time.Since(lastRead))
		}
	})
}

// TestExpiryWithTheLargestDurationKeepsTheOtherDeadline: an entry's deadline
// under ExpireAfterWrite of math.MaxInt64 (a common spelling of "forever")
// used to overflow to a time in the past, which then won as the earliest
// deadline: the timer was armed for it (292 years away, after the overflow
// of the wait too) and an entry idle for its ExpireAfterAccess was never
// removed.
func TestExpiryWithTheLargestDurationKeepsTheOtherDeadline(t *testing.T) {
	for name, o := range map[string]concurrent.Options[string, int]{
		"write":  {ExpireAfterWrite: math.MaxInt64, ExpireAfterAccess: 10 * time.Minute},
		"access": {ExpireAfterWrite: 10 * time.Minute, ExpireAfterAccess: math.MaxInt64},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var rec recorder
				o.OnEvict = rec.onEvict
				c, err := concurrent.New(o)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				time.Sleep(time.Second) // a write time after the cache's epoch
				_ = c.Set("a", 1)
				time.Sleep(10 * time.Minute)
				synctest.Wait()
				if want := []removal{{"a", 1, concurrent.Expired}}; !slices.Equal(rec.calls(), want) || c.Len() != 0 {
					t.Fatalf("10 minutes after the write: calls %v, Len %d", rec.calls(), c.Len())
				}
			})
		})
	}
}
