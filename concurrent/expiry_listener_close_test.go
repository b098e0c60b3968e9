package concurrent_test

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/testwait"
)

// TestSyncMayReturnBeforeTheMaintenanceGoroutinesExpiredCalls pins what made
// TestLFUWithLoadsIsDeterministic's expiry variant differ from run to run:
// entries the maintenance goroutine expired are handed to OnEvict on that
// goroutine after it releases the lock, so a Sync of the caller's finds
// nothing left to do and returns while those calls are still to come (as
// the Sync doc says). Len has dropped them all, and Stats counts them all
// (it counted each only as its call started, so that Stats after Sync
// lagged Len, and varied from run to run). Close waits for the maintenance
// goroutine, its listener calls included: a test that compares the Expired
// calls of two runs collects them after Close.
func TestSyncMayReturnBeforeTheMaintenanceGoroutinesExpiredCalls(t *testing.T) {
	clk := concurrent.NewFakeClock()
	var (
		mu       sync.Mutex
		expired  []int
		entered  atomic.Bool
		release  = make(chan struct{})
		closed   = make(chan struct{})
		released = false
	)
	c, err := concurrent.New(concurrent.Options[int, int]{
		MaxSize: 10, ExpireAfterAccess: 50 * time.Millisecond, Clock: clk,
		OnEvict: func(k, _ int, cause concurrent.Cause) {
			if cause != concurrent.Expired {
				return
			}
			if k == 1 {
				entered.Store(true)
				<-release
			}
			mu.Lock()
			expired = append(expired, k)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if !released {
			close(release)
		}
		_ = c.Close()
	}()
	for k := range 2 {
		if err := c.Set(2*k+1, k); err != nil { // keys 1 and 3, expiring together, 1 first
			t.Fatal(err)
		}
	}
	clk.Advance(50 * time.Millisecond)
	// Within the bound: only the maintenance goroutine (woken by this write,
	// or by its timer) removes key 1.
	if err := c.Set(2, 2); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the maintenance goroutine's Expired call for key 1", entered.Load)
	c.Sync()
	mu.Lock()
	got := len(expired)
	mu.Unlock()
	if got != 0 {
		t.Fatalf("after Sync: %d Expired calls completed, want 0 (the one for key 1 is held)", got)
	}
	if st := c.Stats(); st.Len != 1 || st.Removed(concurrent.Expired) != 2 {
		t.Fatalf("after Sync: Stats Len %d, Removed(Expired) %d; want 1 (key 2), 2 (keys 1 and 3: counted as they left Len, their calls held)",
			st.Len, st.Removed(concurrent.Expired))
	}
	go func() {
		_ = c.Close()
		close(closed)
	}()
	released = true
	close(release)
	testwait.Until(t, "Close", func() bool {
		select {
		case <-closed:
			return true
		default:
			return false
		}
	})
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(expired, []int{1, 3}) {
		t.Fatalf("after Close: Expired calls for keys %v, want [1 3]", expired)
	}
	if n := c.Stats().Removed(concurrent.Expired); n != 2 {
		t.Fatalf("after Close: Removed(Expired) = %d, want 2", n)
	}
}
