package concurrent

import (
	"runtime"
	"sync"
	"testing"
	"weak"

	"github.com/clientcache/clientcache/internal/testwait"
)

// A Set that checked the cache open and is preempted before it stores,
// while Close runs to completion, stores into the closed cache, queues its
// write task (nobody drains the write buffer of a closed cache again) and
// takes its value back (settleAfterClose). The task in the write buffer
// kept the node, and with it the key, reachable for as long as the closed
// cache was: the promise TestClosedLRUCacheKeepsNoKey pins for the policy.
func TestClosedCacheKeepsNoKeyOfAWriteRacingClose(t *testing.T) {
	type key struct {
		id int
		_  [256]byte
	}
	for _, expiring := range []bool{false, true} {
		o := Options[*key, int]{MaxSize: 8}
		if expiring {
			o.ExpireAfterWrite = 1 << 40
		}
		c, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		var w weak.Pointer[key]
		func() {
			k := &key{id: 1}
			w = weak.Make(k)
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			// Set's own check of closed passed before Close began.
			if err := c.store(k, 1, storeSet, nil); err != nil {
				t.Fatal(err)
			}
		}()
		if c.Len() != 0 {
			t.Fatalf("Len %d after the racing write settled", c.Len())
		}
		runtime.GC()
		runtime.GC()
		if w.Value() != nil {
			t.Errorf("expiring=%v: the racing write's key is still reachable from the closed cache", expiring)
		}
		runtime.KeepAlive(c)
	}
}

// A Delete or a Get that runs while Close drains (here in the drain itself,
// between its poll of the write buffer and the end of the drain, as another
// goroutine's call can: neither takes the cache's lock) queues its event
// after the drain took the events: the write buffer (Delete's removal) or
// the read buffer (Get's access) kept the node, and the key, of an entry
// Close removed, for as long as the closed cache was reachable.
func TestClosedCacheKeepsNoKeyOfACallDuringClosesDrain(t *testing.T) {
	type key struct {
		id int
		_  [256]byte
	}
	for _, op := range []string{"Delete", "Get"} {
		t.Run(op, func(t *testing.T) {
			c, err := New(Options[*key, int]{MaxSize: 8})
			if err != nil {
				t.Fatal(err)
			}
			var w weak.Pointer[key]
			func() {
				k := &key{id: 1}
				w = weak.Make(k)
				if err := c.Set(k, 1); err != nil {
					t.Fatal(err)
				}
				c.Sync()
				var (
					done bool
					wg   sync.WaitGroup
				)
				c.mu.Lock()
				c.testHookAfterPoll = func() {
					select {
					case <-c.done: // Close's own drain, not the maintenance goroutine's
					default:
						return
					}
					if done {
						return
					}
					done = true
					// Another goroutine's call, which takes no lock to queue
					// its event: wait until it has queued it.
					wb, rb := c.wb.tail.Load(), c.rb.first.tail.Load()
					wg.Add(1)
					go func() {
						defer wg.Done()
						switch op {
						case "Delete":
							c.Delete(k)
						case "Get":
							c.Get(k)
						}
					}()
					testwait.Until(t, op+" queuing its event", func() bool {
						return c.wb.tail.Load() != wb || c.rb.first.tail.Load() != rb
					})
				}
				c.mu.Unlock()
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
				wg.Wait()
				c.mu.Lock()
				c.testHookAfterPoll = nil
				c.mu.Unlock()
				if !done {
					t.Fatal("Close's drain did not run the hook: the test no longer sets up what it checks")
				}
			}()
			runtime.GC()
			runtime.GC()
			if w.Value() != nil {
				t.Errorf("the key of the entry Close removed is still reachable from the closed cache")
			}
			runtime.KeepAlive(c)
		})
	}
}
