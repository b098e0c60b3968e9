package concurrent

import (
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/clientcache/clientcache/internal/testwait"
)

// touchWhileReadingStats runs Touch on key 0 on another goroutine while
// this one reads Stats n times, and fails at the first Hits other than want
// (no Get runs: Touch counts no hit, and Hits is monotonic).
func touchWhileReadingStats(t *testing.T, c *Cache[int, int], want uint64, n int) {
	t.Helper()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for range 64 {
				c.Touch(0)
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	for i := range n {
		if h := c.Stats().Hits; h != want {
			t.Fatalf("Stats %d: Hits = %d while only Touch ran; want %d", i, h, want)
		}
	}
}

// In exact mode a Touch raises the stripe's tail (a hit) and then its
// touched count (which takes it back): a Stats between the two saw one hit
// more, which the next Stats took back.
func TestStatsRacingATouchSeesNoHit(t *testing.T) {
	c := newFull64(t)
	touchWhileReadingStats(t, c, 0, 200_000)
	if c.rb.contended() {
		t.Fatal("contended mode with one reader")
	}
}

// While the buffer is saturated, a sampled Touch adds 16 to dropped and then
// 16 to droppedTouches: a Stats between the two counted 16 hits that the
// next Stats took back.
func TestStatsRacingASaturatedTouchSeesNoHit(t *testing.T) {
	c := newFull64(t)
	saturateLocked(t, c)
	defer c.mu.Unlock()
	want := c.Stats().Hits
	touchWhileReadingStats(t, c, want, 200_000)
}

// Close unlinks the nodes with the policy's remove: an LRU node that a hit
// had sent to the heap stays in the heap's array, marked removed, until a
// compaction (at more than 32 removed items), and with it the key. A closed
// cache kept such keys reachable for as long as it was itself.
func TestClosedLRUCacheKeepsNoKey(t *testing.T) {
	type key struct {
		id int
		_  [256]byte
	}
	c, err := New(Options[*key, int]{MaxSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	var keys []weak.Pointer[key]
	func() {
		ks := make([]*key, 9)
		for i := range ks {
			ks[i] = &key{id: i}
			keys = append(keys, weak.Make(ks[i]))
		}
		for _, k := range ks[:8] {
			_ = c.Set(k, k.id)
		}
		c.Get(ks[0]) // restamps key 0's node, at the front of the LRU queue
		c.Sync()
		_ = c.Set(ks[8], 8) // evicts key 1; key 0's node, dirty at the front, goes to the heap
		c.Sync()
	}()
	if l := c.lru; l == nil || len(l.h) == 0 {
		t.Fatal("no node in the LRU heap: the test no longer sets up what it checks")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	for i, w := range keys {
		if w.Value() != nil {
			t.Errorf("key %d is still reachable from the closed cache", i)
		}
	}
	runtime.KeepAlive(c)
}

// TestPanickingPanicHandlerOnTheMaintenanceGoroutine: TestPanickingPanic-
// HandlerIsRecovered says it checks the maintenance goroutine, but its
// evictions are made by the writers that overflow the bound, on the test's
// goroutine. Here entries expire in a drain of the maintenance goroutine
// (a write asks for it, and applying the write removes the entries expired
// at its time): a panic of OnListenerPanic there ended the process.
func TestPanickingPanicHandlerOnTheMaintenanceGoroutine(t *testing.T) {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	clock := NewFakeClock()
	var calls atomic.Int32
	c, err := New(Options[int, int]{
		MaxSize:          10,
		ExpireAfterWrite: time.Minute,
		Clock:            clock,
		OnEvict: func(int, int, Cause) {
			calls.Add(1)
			panic("listener bug")
		},
		OnListenerPanic: func(any, []byte) { panic("handler bug") },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.Set(0, 0)
	for k := range int32(6) {
		clock.Advance(2 * time.Minute)
		// The drain this write asks for, on the maintenance goroutine,
		// expires key k at the write's time.
		_ = c.Set(int(k)+1, 0)
		testwait.Until(t, "the listener call of the expired entry", func() bool { return calls.Load() == k+1 })
	}
	// The count goes up once the panic is recovered, after the call the
	// loop saw begin.
	testwait.Until(t, "6 listener panics counted", func() bool { return c.Stats().ListenerPanics == 6 })
}
