package concurrent

import (
	"runtime"
	"testing"
	"weak"

	"github.com/puzpuzpuz/xsync/v4"
)

// A Get or a Delete that found its entry before Close removed it, and is
// preempted before it queues its event until Close has returned, queues
// it into buffers nobody drains again: the node, and with it the key, of
// an entry Close removed stayed reachable for as long as the closed cache
// was (what TestClosedCacheKeepsNoKeyOfACallDuringClosesDrain pins for a
// call whose event comes during Close's drain).
func TestClosedCacheKeepsNoKeyOfACallEndingAfterClose(t *testing.T) {
	type key struct {
		id int
		_  [256]byte
	}
	for _, op := range []string{"Get", "GetExpiring", "Delete"} {
		t.Run(op, func(t *testing.T) {
			o := Options[*key, int]{MaxSize: 8}
			if op == "GetExpiring" {
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
				if err := c.Set(k, 1); err != nil {
					t.Fatal(err)
				}
				c.Sync()
				switch op {
				case "Get", "GetExpiring":
					// Get's lookup, before Close; the rest of Get after.
					e, ok := c.m.Load(k)
					if err := c.Close(); err != nil {
						t.Fatal(err)
					}
					c.got(e, ok)
				case "Delete":
					// remove's critical section, before Close; its event after.
					var old entry[*key, int]
					c.m.Compute(k, func(cur entry[*key, int], loaded bool) (entry[*key, int], xsync.ComputeOp) {
						c.detachLoadLocked(k)
						c.retire(cur.n)
						old = cur
						return entry[*key, int]{}, xsync.DeleteOp
					})
					if err := c.Close(); err != nil {
						t.Fatal(err)
					}
					c.afterWrite(nil, writeTask[*key, int]{n: old.n, op: opRemove}, false)
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
