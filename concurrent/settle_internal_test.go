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
// "a"; before A settles, writer B replaces it in place with "b" (and, Close
// not having begun, B's settle does nothing), then Close begins. Close is
// held after it marks the cache closed by a load in flight whose loader
// ignores cancellation, so A's settle runs before Close removes anything:
// it must take the node and notify "b" (not A's own "a", which B displaced)
// with cause Closed, and Close must then find nothing left of key 1.
func TestSettleAfterCloseNotifiesTheLaterWritersValue(t *testing.T) {
	var (
		mu    sync.Mutex
		notes = map[string][]Cause{}
	)
	c, err := New(Options[int, string]{MaxSize: 10, OnEvict: func(k int, v string, cause Cause) {
		mu.Lock()
		defer mu.Unlock()
		notes[v] = append(notes[v], cause)
	}})
	if err != nil {
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
	closeDone := make(chan error, 1)
	hooked := false
	c.testHookBeforeSettle = func() {
		if hooked {
			return // B's own settle, before Close begins
		}
		hooked = true
		if err := c.Set(1, "b"); err != nil { // B: in place, keeps A's node
			t.Errorf("B's Set: %v", err)
		}
		go func() { closeDone <- c.Close() }()
		for !c.closed.Load() {
			runtime.Gosched()
		}
		// Close is now waiting for the load; A's settle runs next.
	}
	if err := c.Set(1, "a"); err != nil {
		t.Fatalf("A's Set: %v (a write that stored its value reports no failure)", err)
	}
	if !hooked {
		t.Fatal("the hook did not run")
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
