package concurrent

import (
	"runtime"
	"sync"
	"testing"
	"weak"

	"github.com/puzpuzpuz/xsync/v4"

	"github.com/clientcache/clientcache/internal/testwait"
)

// bigKey is a key large enough to be allocated on its own, so that a weak
// pointer to it tells whether anything still holds it.
type bigKey struct {
	id int
	_  [256]byte
}

// assertClosedCacheKeepsNoKey makes a cache with o and runs race with a new
// key, which must leave the cache closed; it fails unless the key is
// unreachable from the closed cache after two collections.
func assertClosedCacheKeepsNoKey(t *testing.T, o Options[*bigKey, int], race func(c *Cache[*bigKey, int], k *bigKey)) {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	var w weak.Pointer[bigKey]
	func() {
		k := &bigKey{id: 1}
		w = weak.Make(k)
		race(c, k)
	}()
	if c.Len() != 0 {
		t.Fatalf("Len %d after the racing call settled", c.Len())
	}
	runtime.GC()
	runtime.GC()
	if w.Value() != nil {
		t.Errorf("the key is still reachable from the closed cache")
	}
	runtime.KeepAlive(c)
}

// withExpiry returns o with ExpireAfterWrite set (far away), if expiring.
func withExpiry(expiring bool) Options[*bigKey, int] {
	o := Options[*bigKey, int]{MaxSize: 8}
	if expiring {
		o.ExpireAfterWrite = 1 << 40
	}
	return o
}

// A Set that checked the cache open and is preempted before it stores,
// while Close runs to completion, stores into the closed cache, queues its
// write task (nobody drains the write buffer of a closed cache again) and
// takes its value back (settleAfterClose). The task in the write buffer
// kept the node, and with it the key, reachable for as long as the closed
// cache was: the promise TestClosedLRUCacheKeepsNoKey pins for the policy.
func TestClosedCacheKeepsNoKeyOfAWriteRacingClose(t *testing.T) {
	for _, expiring := range []bool{false, true} {
		t.Run(map[bool]string{false: "no expiry", true: "expiring"}[expiring], func(t *testing.T) {
			assertClosedCacheKeepsNoKey(t, withExpiry(expiring), func(c *Cache[*bigKey, int], k *bigKey) {
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
				// Set's own check of closed passed before Close began.
				if err := c.store(k, 1, storeSet, nil); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// A Delete or a Get that runs while Close drains (here in the drain itself,
// between its poll of the write buffer and the end of the drain, as another
// goroutine's call can: neither takes the cache's lock) queues its event
// after the drain took the events: the write buffer (Delete's removal) or
// the read buffer (Get's access) kept the node, and the key, of an entry
// Close removed, for as long as the closed cache was reachable.
func TestClosedCacheKeepsNoKeyOfACallDuringClosesDrain(t *testing.T) {
	for _, op := range []string{"Delete", "Get"} {
		t.Run(op, func(t *testing.T) {
			assertClosedCacheKeepsNoKey(t, withExpiry(false), func(c *Cache[*bigKey, int], k *bigKey) {
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
			})
		})
	}
}

// A Get or a Delete that found its entry before Close removed it, and is
// preempted before it queues its event until Close has returned, queues
// it into buffers nobody drains again: the node, and with it the key, of
// an entry Close removed stayed reachable for as long as the closed cache
// was (what TestClosedCacheKeepsNoKeyOfACallDuringClosesDrain pins for a
// call whose event comes during Close's drain).
func TestClosedCacheKeepsNoKeyOfACallEndingAfterClose(t *testing.T) {
	for _, op := range []string{"Get", "GetExpiring", "Delete"} {
		t.Run(op, func(t *testing.T) {
			assertClosedCacheKeepsNoKey(t, withExpiry(op == "GetExpiring"), func(c *Cache[*bigKey, int], k *bigKey) {
				if err := c.Set(k, 1); err != nil {
					t.Fatal(err)
				}
				c.Sync()
				if op == "Delete" {
					// remove's critical section, before Close; its event after.
					var old entry[*bigKey, int]
					c.m.Compute(k, func(cur entry[*bigKey, int], loaded bool) (entry[*bigKey, int], xsync.ComputeOp) {
						c.detachLoadLocked(k)
						c.retire(cur.n)
						old = cur
						return entry[*bigKey, int]{}, xsync.DeleteOp
					})
					if err := c.Close(); err != nil {
						t.Fatal(err)
					}
					c.afterWrite(nil, writeTask[*bigKey, int]{n: old.n, op: opRemove}, false)
					return
				}
				// Get's lookup, before Close; the rest of Get after.
				e, ok := c.m.Load(k)
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
				c.got(e, ok)
			})
		})
	}
}
