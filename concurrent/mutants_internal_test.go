package concurrent

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/puzpuzpuz/xsync/v4"

	"github.com/clientcache/clientcache/internal/testwait"
)

// Tests for behaviour that surviving mutants of the engine showed no test
// pinned. Each runs from one goroutine; where another goroutine's step
// matters (a paused writer, a reader on another stripe), the test takes that
// step itself, through the engine's internals.

// quiesce waits until c's maintenance goroutine has no drain pending, so
// that the buffers hold exactly what the test puts there next.
func quiesce[K comparable, V any](t testing.TB, c *Cache[K, V]) {
	t.Helper()
	testwait.Until(t, "the maintenance goroutine to have no drain pending", func() bool {
		return c.status.Load() == idle && len(c.wake) == 0
	})
}

// A write task that the drain takes out of turn (behind a writer paused
// between claiming its slot and publishing) comes after the reads its
// writer made before it: the drain applies the reads queued before the task
// first, as poll's path does. Applied after them, a read of a made before
// the insertion of y made a the most recent entry, and the victim y.
func TestOutOfTurnTaskComesAfterTheReadsBeforeIt(t *testing.T) {
	for _, p := range []Policy{LRU, LFU} {
		t.Run(p.String(), func(t *testing.T) {
			ops := func(c *Cache[string, int]) {
				_, _ = c.Get("a")
				_ = c.Set("y", 2)
			}
			newC := func() *Cache[string, int] {
				c, err := New(Options[string, int]{MaxSize: 10, Policy: p, Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = c.Close() })
				_ = c.Set("a", 1)
				_ = c.Set("b", 1)
				c.Sync()
				return c
			}
			ref := newC()
			ops(ref)
			ref.Sync()
			want := slices.Collect(ref.Keys())

			c := newC()
			publish := pauseWriter(t, c)
			// Hold the lock so that the maintenance goroutine, woken by
			// the Set, cannot apply the read before the drain below (its
			// in-turn drain applies reads past the paused slot).
			c.mu.Lock()
			ops(c)
			notes := c.drainLocked(nil) // takes y's task ahead
			c.mu.Unlock()
			c.deliver(notes)
			if got := slices.Collect(c.Keys()); !slices.Equal(got, want) {
				t.Fatalf("with y's task taken out of turn, order %v; want %v", got, want)
			}
			publish(writeTask[string, int]{}) // the paused writer publishes nothing to do
			c.Sync()
			if got := slices.Collect(c.Keys()); !slices.Equal(got, want) {
				t.Fatalf("after the paused writer published, order %v; want %v", got, want)
			}
		})
	}
}

// Under contention a read of a key's old value, queued by another goroutine
// in a stripe other than the first, is applied after every write task of
// its drain, so after the replacement (LFU with expiry: a new node takes
// the old one's place through list.replace). The old node must then read as
// unlinked: a read applied to it moved a node that is in no list, which
// emptied its queue of the policy and lost every other entry from it: the
// cache could no longer evict them.
func TestStaleReadOfAReplacedNodeUnderContention(t *testing.T) {
	for _, p := range []Policy{LFU, LRU} {
		t.Run(p.String(), func(t *testing.T) {
			const max = 3
			c, err := New(Options[int, int]{MaxSize: max, Policy: p, ExpireAfterWrite: time.Hour, Clock: NewFakeClock()})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for i := 1; i <= max; i++ {
				_ = c.Set(i, i)
			}
			c.Sync()
			c.rb.grow() // contended mode, as after a failed CAS between two readers
			e, _ := c.m.Load(1)
			// Another goroutine's read of 1's old value, queued before the
			// Set below in a stripe the drain applies after the writes.
			if r := (*c.rb.table.Load())[1].push(e.n); r != pushed {
				t.Fatalf("push: %v", r)
			}
			_ = c.Set(1, 10) // with expiry, a replacement: a new node
			c.Sync()
			if got := slices.Sorted(c.Keys()); !slices.Equal(got, []int{1, 2, 3}) {
				t.Fatalf("after the stale read: Keys %v; want [1 2 3]", got)
			}
			for i := 4; i < 10; i++ {
				_ = c.Set(i, i)
				c.Sync()
				if c.Len() > max || c.pol.len() > max {
					t.Fatalf("after Set(%d): Len %d, policy holds %d; bound %d", i, c.Len(), c.pol.len(), max)
				}
			}
			if got := slices.Collect(c.Keys()); len(got) != c.Len() {
				t.Fatalf("Keys %v, Len %d", got, c.Len())
			}
		})
	}
}

// The first stripe holds stripeSize events: in exact mode the reader of
// the next one drains the buffer first. Claiming one more position than the
// ring holds overwrote the oldest event not yet drained: a read was lost,
// and the last one applied before the others.
func TestExactReadBufferKeepsEveryReadWhenFull(t *testing.T) {
	for _, expiring := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "timed"}[expiring]
		t.Run(name, func(t *testing.T) {
			o := Options[string, int]{MaxSize: 10}
			if expiring {
				o.ExpireAfterWrite, o.Clock = time.Hour, NewFakeClock() // reads carry their times (pushAt)
			}
			c, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, k := range []string{"a", "b", "c"} {
				_ = c.Set(k, 1)
			}
			c.Sync()
			quiesce(t, c) // no drain of the maintenance goroutine between the reads
			_, _ = c.Get("b")
			for range stripeSize - 1 {
				_, _ = c.Get("a")
			}
			_, _ = c.Get("c") // one more than the stripe holds
			c.Sync()
			if got, want := slices.Collect(c.Keys()), []string{"b", "a", "c"}; !slices.Equal(got, want) {
				t.Fatalf("order %v; want %v", got, want)
			}
		})
	}
}

// Clone settles the original first, which puts byAccess back in order; but
// a reader that read the clock before another entry's read and stores its
// access only after that sort (between sortByAccess and expireLocked in
// settleLocked) has its node put at the back, behind the later one, under
// contention: the list is unordered again when Clone copies it. The clone
// must know it (unordered), or its Sync, which sorts only an unordered list,
// kept an expired entry hidden behind a live one: counted by Len, evicted
// for Size. The hook reproduces that reader's store and the expiry after it.
func TestCloneKeepsByAccessUnordered(t *testing.T) {
	clk := NewFakeClock()
	c, err := New(Options[string, int]{MaxSize: 10, ExpireAfterAccess: 10 * time.Second, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.rb.grow() // contended mode
	_ = c.Add("a", 1)
	_ = c.Add("b", 2)
	clk.Advance(8 * time.Second)
	_, _ = c.Get("a")
	c.Sync() // byAccess: b (placed at 0 s), a (at 8 s)
	testHookCloneCopy = func() {
		testHookCloneCopy = nil
		e, _ := c.m.Load("b")
		// b's reader read the clock at 5 s (b live) and stores it only now.
		e.n.tl.accessed.CompareAndSwap(0, int64(5*time.Second))
		if n := c.exp.due(c.exp.now(), !c.rb.contended()); n != nil {
			t.Errorf("due removed %q", n.key)
		}
		if !c.exp.lists[byAccess].unordered {
			t.Error("setup: byAccess is in order")
		}
	}
	t.Cleanup(func() { testHookCloneCopy = nil })
	d, err := c.Clone()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	clk.Advance(7 * time.Second) // 15 s: b idle for 10 s, a for 7 s
	d.Sync()
	if n := d.Len(); n != 1 {
		t.Fatalf("clone after Sync: Len %d; want 1 (b expired)", n)
	}
	if keys := slices.Collect(d.Keys()); !slices.Equal(keys, []string{"a"}) {
		t.Fatalf("clone after Sync: Keys %v; want [a]", keys)
	}
	c.Sync()
	if c.Len() != 1 {
		t.Fatalf("original after Sync: Len %d; want 1", c.Len())
	}
}

// takeAhead empties the slot of the task it takes: a drain that found the
// slot's writer still paused took the task again, and an insertion whose
// node had left the policy meanwhile without being released (its removal
// stored, its task not yet published, and Clone let go of the retired
// node) was linked again: a node no entry holds, in the policy's window,
// which changed the LFU's later victims from those of the same operations
// made without the pause.
func TestTakeAheadTakesATaskOnce(t *testing.T) {
	const max = 5
	const y = 100
	newC := func() *Cache[int, int] {
		c, err := New(Options[int, int]{MaxSize: max, Policy: LFU, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		for i := range max {
			_ = c.Set(i, i)
		}
		c.Sync()
		return c
	}
	more := func(c *Cache[int, int], i int) []int {
		_ = c.Set(200+i, i)
		_, _ = c.Get(200 + i)
		c.Sync()
		return slices.Collect(c.Keys())
	}

	ref := newC()
	_ = ref.Set(y, y)
	ref.Sync()
	ref.Delete(y)
	ref.Sync()

	c := newC()
	publish1 := pauseWriter(t, c)
	_ = c.Set(y, y) // overflows: its drain takes the insertion ahead
	// A remover of y, paused between its removal from the map and the
	// publication of its task.
	var yNode *node[int, int]
	c.m.Compute(y, func(cur entry[int, int], loaded bool) (entry[int, int], xsync.ComputeOp) {
		if !loaded {
			t.Fatal("y is absent")
		}
		yNode = cur.n
		c.retire(cur.n)
		return entry[int, int]{}, xsync.DeleteOp
	})
	publish2 := pauseWriter(t, c)
	d, err := c.Clone() // lets go of the retired y
	if err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	c.Sync()
	for i := range 2 * max {
		if got, want := more(c, i), more(ref, i); !slices.Equal(got, want) {
			t.Fatalf("step %d: order %v; want %v (the same operations without the pauses)", i, got, want)
		}
	}
	publish1(writeTask[int, int]{})
	publish2(writeTask[int, int]{n: yNode, op: opRemove})
	c.Sync()
}

// A clone keeps each node's place in byAccess (placedAt) along with its
// order. Without it, a read within the tick of an entry's last access (no
// newer time stored) moved the entry in the clone, where the original
// leaves it in its place among the entries of that tick (see
// expiry.touch): entries expiring at the same time were handed to OnEvict
// in another order by the clone than by the original. The first entry,
// last accessed at the clock's epoch, keeps expiry from putting the others
// back in place before the read (a wrong placedAt of 0 matches its time).
func TestCloneKeepsPlacesInByAccess(t *testing.T) {
	run := func(clone bool) []string {
		clk := NewFakeClock()
		var mu sync.Mutex
		var expired []string
		c, err := New(Options[string, int]{MaxSize: 10, ExpireAfterAccess: 10 * time.Second, Clock: clk,
			OnEvict: func(k string, _ int, cause Cause) {
				if cause == Expired {
					mu.Lock()
					expired = append(expired, k)
					mu.Unlock()
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.Set("h", 0) // at the epoch
		clk.Advance(time.Second)
		for _, k := range []string{"a", "b", "c"} {
			_ = c.Set(k, 1)
		}
		c.Sync()
		if clone {
			d, err := c.Clone()
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			c = d
		}
		_, _ = c.Get("b") // within the tick of b's last access: b keeps its place
		c.Sync()
		quiesce(t, c)
		clk.Advance(10 * time.Second) // all four idle for ExpireAfterAccess
		c.Sync()
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(expired)
	}
	want, got := run(false), run(true)
	if !slices.Equal(want, []string{"h", "a", "b", "c"}) {
		t.Fatalf("original: expired %v", want)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("clone: expired %v; the original %v", got, want)
	}
}
