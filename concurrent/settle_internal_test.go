package concurrent

import (
	"context"
	"runtime"
	"sync"
	"testing"
)

// A write that raced with Close takes its node back and hands OnEvict the
// value the node holds, which may be a later writer's: that writer replaced
// the value in place, keeping the node. Here writer A inserts key 1 with
// "a" into a full cache of one entry and evicts key 0. A delivers that
// eviction to OnEvict before it settles, and the listener, on A's
// goroutine, plays the race: writer B replaces key 1's value in place with
// "b" (Close not having begun, B's settle does nothing), then Close begins.
// Close is held after it marks the cache closed by a load in flight whose
// loader ignores cancellation, so A's settle runs before Close removes
// anything: it must take the node and notify "b" (not A's own "a", which B
// displaced) with cause Closed, and Close must then find nothing left of
// key 1.
func TestSettleAfterCloseNotifiesTheLaterWritersValue(t *testing.T) {
	var (
		mu        sync.Mutex
		notes     = map[string][]Cause{}
		c         *Cache[int, string]
		raced     bool
		closeDone = make(chan error, 1)
	)
	c, err := New(Options[int, string]{MaxSize: 1, OnEvict: func(k int, v string, cause Cause) {
		mu.Lock()
		notes[v] = append(notes[v], cause)
		mu.Unlock()
		if v != "0" || cause != Size {
			return
		}
		// Key 0 evicted by A's insertion: A has stored "a" and not settled.
		raced = true
		if err := c.Set(1, "b"); err != nil { // B: in place, keeps A's node
			t.Errorf("B's Set: %v", err)
		}
		go func() { closeDone <- c.Close() }()
		for !c.closed.Load() {
			runtime.Gosched()
		}
		// Close now waits for the load; A's settle runs next.
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set(0, "0"); err != nil {
		t.Fatal(err)
	}
	release, loading := make(chan struct{}), make(chan struct{})
	loadDone := make(chan error, 1)
	go func() {
		_, err := c.GetOrLoad(context.Background(), 2, func(context.Context) (string, error) {
			close(loading)
			<-release // ignores cancellation, so Close waits for it
			return "loaded", nil
		})
		loadDone <- err
	}()
	<-loading
	if err := c.Set(1, "a"); err != nil {
		t.Fatalf("A's Set: %v (a write that stored its value reports no failure)", err)
	}
	if !raced {
		t.Fatal("A's insertion did not evict key 0 before returning")
	}
	mu.Lock()
	settled := append([]Cause(nil), notes["b"]...)
	mu.Unlock()
	if len(settled) != 1 || settled[0] != Closed {
		t.Fatalf(`after A's settle, "b" notified %v; want [Closed] (A takes back its node, holding B's value)`, settled)
	}
	close(release)
	if err := <-closeDone; err != nil {
		t.Fatal(err)
	}
	if err := <-loadDone; err != nil {
		t.Logf("the load ended with %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := notes["a"]; len(got) != 1 || got[0] != Replaced {
		t.Errorf(`"a" notified %v; want [Replaced] (by B)`, got)
	}
	if got := notes["b"]; len(got) != 1 || got[0] != Closed {
		t.Errorf(`"b" notified %v; want [Closed] once (by A's settle, not again by Close)`, got)
	}
	if c.Len() != 0 {
		t.Errorf("Len after Close = %d", c.Len())
	}
}
