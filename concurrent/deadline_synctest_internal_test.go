//go:build go1.25

package concurrent

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestSyncThatBringsADeadlineForwardRearmsTheTimer: under contention an
// idle entry can wait in byAccess behind one read later (see
// Options.ExpireAfterAccess), and the maintenance goroutine's timer is then
// armed for the later entry's deadline. Sync puts the order right and finds
// the earlier deadline; the timer must then fire at it, not at the later
// one: b, read last at 5s, leaves at 15s, not when a (read at 8s) would.
func TestSyncThatBringsADeadlineForwardRearmsTheTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var removed []string
		c, err := New(Options[string, int]{ExpireAfterAccess: 10 * time.Second, OnEvict: func(k string, _ int, cause Cause) {
			mu.Lock()
			defer mu.Unlock()
			removed = append(removed, k+":"+cause.String())
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		removals := func() []string {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(removed)
		}
		c.rb.grow() // contended mode, as after a failed CAS between two readers
		_ = c.Add("a", 1)
		_ = c.Add("b", 2)
		c.Sync()
		synctest.Wait()

		time.Sleep(5 * time.Second)
		c.rb.saturated.Store(true) // b's read is dropped, as from a full stripe
		c.Get("b")
		c.scheduleDrain()
		synctest.Wait()
		time.Sleep(3 * time.Second)
		c.Get("a") // queued: the maintenance goroutine places a, then b behind it
		c.scheduleDrain()
		synctest.Wait()

		time.Sleep(time.Second)
		c.Sync() // b (deadline 15s) now heads the list, before a (18s)
		synctest.Wait()
		time.Sleep(6 * time.Second) // 15s
		synctest.Wait()
		if got := removals(); !slices.Equal(got, []string{"b:Expired"}) {
			t.Fatalf("at 15s, b's deadline after Sync: removals %v, want [b:Expired]", got)
		}
	})
}
