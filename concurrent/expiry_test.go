package concurrent_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/testwait"
)

func TestExpireAfterWrite(t *testing.T) {
	clock := concurrent.NewFakeClock()
	var rec recorder
	c := newCache(t, concurrent.Options[string, int]{ExpireAfterWrite: time.Minute, Clock: clock, OnEvict: rec.onEvict})
	_ = c.Set("a", 1)
	clock.Advance(30 * time.Second)
	_ = c.Set("b", 2)
	c.Get("a") // reads do not extend a write lifetime

	clock.Advance(30*time.Second - time.Nanosecond)
	if _, ok := c.Get("a"); !ok {
		t.Fatal("a expired a nanosecond early")
	}
	clock.Advance(time.Nanosecond)
	if _, ok := c.Get("a"); ok || c.Contains("a") {
		t.Fatal("a is visible at its deadline")
	}
	if !c.Contains("b") {
		t.Fatal("b expired early")
	}
	c.Sync()
	rec.await(t, 1)
	if want := []removal{{"a", 1, concurrent.Expired}}; !slices.Equal(rec.calls(), want) || c.Len() != 1 {
		t.Fatalf("after Sync: calls %v, Len %d", rec.calls(), c.Len())
	}
	// A replacement is a new write.
	clock.Advance(20 * time.Second)
	_ = c.Set("b", 3)
	clock.Advance(50 * time.Second)
	if v, ok := c.Get("b"); !ok || v != 3 {
		t.Fatal("a replaced value must live a full lifetime")
	}
}

func TestExpireAfterAccess(t *testing.T) {
	clock := concurrent.NewFakeClock()
	var rec recorder
	c := newCache(t, concurrent.Options[string, int]{ExpireAfterAccess: time.Minute, Clock: clock, OnEvict: rec.onEvict})
	_ = c.Set("quiet", 1)
	_ = c.Set("busy", 2)
	for range 5 {
		clock.Advance(40 * time.Second)
		if _, ok := c.Get("busy"); !ok {
			t.Fatal("an entry read every 40s expired")
		}
	}
	if c.Contains("quiet") {
		t.Fatal("an entry idle for 200s is visible")
	}
	c.Sync()
	rec.await(t, 1)
	if want := []removal{{"quiet", 1, concurrent.Expired}}; !slices.Equal(rec.calls(), want) {
		t.Fatalf("calls %v", rec.calls())
	}
	clock.Advance(time.Minute)
	c.Sync()
	if c.Len() != 0 {
		t.Fatalf("Len %d after everything idled out", c.Len())
	}
}

func TestBothExpiryOptions(t *testing.T) {
	clock := concurrent.NewFakeClock()
	c := newCache(t, concurrent.Options[string, int]{ExpireAfterAccess: time.Minute, ExpireAfterWrite: 3 * time.Minute, Clock: clock})
	_ = c.Set("a", 1)
	for range 4 {
		clock.Advance(50 * time.Second)
		c.Get("a")
	}
	if c.Contains("a") {
		t.Fatal("ExpireAfterWrite must end the entry even if it is read")
	}
}

func TestWritesOverExpiredEntries(t *testing.T) {
	clock := concurrent.NewFakeClock()
	var rec recorder
	c := newCache(t, concurrent.Options[string, int]{ExpireAfterWrite: time.Minute, Clock: clock, OnEvict: rec.onEvict})
	for _, k := range []string{"add", "set", "del", "pop", "load"} {
		_ = c.Set(k, 1)
	}
	clock.Advance(time.Minute)
	if err := c.Add("add", 2); err != nil {
		t.Fatalf("Add over an expired entry = %v, want success", err)
	}
	_ = c.Set("set", 2)
	if c.Delete("del") {
		t.Fatal("Delete of an expired entry reported it present")
	}
	if _, err := c.Pop("pop"); !errors.Is(err, concurrent.ErrNotFound) {
		t.Fatalf("Pop of an expired entry = %v", err)
	}
	v, err := c.GetOrLoad(context.Background(), "load", func(context.Context) (int, error) { return 2, nil })
	if v != 2 || err != nil {
		t.Fatalf("GetOrLoad over an expired entry = %d, %v", v, err)
	}
	// Each expired value is handed back exactly once, as Expired: by the
	// write that found it, or by the maintenance goroutine (which the writes
	// wake) if it got there first, so the order may vary between runs.
	want := []removal{
		{"add", 1, concurrent.Expired}, {"del", 1, concurrent.Expired}, {"load", 1, concurrent.Expired},
		{"pop", 1, concurrent.Expired}, {"set", 1, concurrent.Expired},
	}
	rec.await(t, len(want))
	got := rec.calls()
	slices.SortFunc(got, func(a, b removal) int { return strings.Compare(a.k, b.k) })
	if !slices.Equal(got, want) {
		t.Fatalf("calls %v\nwant %v", got, want)
	}
	for _, k := range []string{"add", "set", "load"} {
		if v, ok := c.Get(k); !ok || v != 2 {
			t.Fatalf("%s = %d, %v", k, v, ok)
		}
	}
}

// Expired entries leave before live ones are evicted for size.
func TestExpiredEntriesGoBeforeLiveOnes(t *testing.T) {
	clock := concurrent.NewFakeClock()
	var rec recorder
	c := newCache(t, concurrent.Options[string, int]{MaxSize: 2, ExpireAfterWrite: time.Minute, Clock: clock, OnEvict: rec.onEvict})
	_ = c.Set("old", 1)
	clock.Advance(40 * time.Second)
	_ = c.Set("young", 2)
	c.Get("old") // most recently used, but expired below
	clock.Advance(20 * time.Second)
	_ = c.Set("new", 3)
	want := []removal{{"old", 1, concurrent.Expired}}
	rec.await(t, len(want))
	if !slices.Equal(rec.calls(), want) || !c.Contains("young") || !c.Contains("new") {
		t.Fatalf("calls %v; young %v new %v", rec.calls(), c.Contains("young"), c.Contains("new"))
	}
}

// Entries whose lifetimes end at the same instant are removed, and handed to
// OnEvict, in eviction order (the order Keys yields) when written at that
// instant: calls for one operation are made in eviction order. Written at
// one instant of the clock, a, b and c expire together, in the order they
// were written; placed in front of the entries with the same time instead
// of behind them, they expired as c, b, a. Ties are in the order their
// access times were set (ExpireAfterAccess's doc): a read of a at the same
// instant leaves it first to expire, though an LRU cache would evict it
// last (TestReadWithinTheTickKeepsTheTieOrder).
func TestEntriesExpiringTogetherAreRemovedInEvictionOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    concurrent.Options[string, int]
	}{
		{"ExpireAfterWrite", concurrent.Options[string, int]{ExpireAfterWrite: time.Hour}},
		{"ExpireAfterAccess", concurrent.Options[string, int]{ExpireAfterAccess: time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := concurrent.NewFakeClock()
			var rec recorder
			o := tc.o
			o.MaxSize, o.Clock, o.OnEvict = 10, clock, rec.onEvict
			c := newCache(t, o)
			for _, k := range []string{"a", "b", "c"} {
				_ = c.Set(k, 0)
			}
			order := slices.Collect(c.Keys())
			clock.Advance(time.Hour)
			c.Sync()
			rec.await(t, 3)
			var got []string
			for _, r := range rec.calls() {
				if r.cause != concurrent.Expired {
					t.Fatalf("%q removed with cause %v", r.k, r.cause)
				}
				got = append(got, r.k)
			}
			if !slices.Equal(got, order) {
				t.Errorf("expired in the order %v; the eviction order was %v", got, order)
			}
		})
	}
}

// TestReadWithinTheTickKeepsTheTieOrder pins ExpireAfterAccess's documented
// tie order: a, b and c written at one instant, then a read at that
// instant (within one tick of the access resolution), expire together as
// a, b, c, the order their access times were set, while an LRU cache's
// eviction order is b, c, a.
func TestReadWithinTheTickKeepsTheTieOrder(t *testing.T) {
	clock := concurrent.NewFakeClock()
	var rec recorder
	c := newCache(t, concurrent.Options[string, int]{MaxSize: 10, ExpireAfterAccess: time.Hour, Clock: clock, OnEvict: rec.onEvict})
	for _, k := range []string{"a", "b", "c"} {
		_ = c.Set(k, 0)
	}
	if _, ok := c.Get("a"); !ok {
		t.Fatal("a missing")
	}
	if order := slices.Collect(c.Keys()); !slices.Equal(order, []string{"b", "c", "a"}) {
		t.Fatalf("eviction order %v", order)
	}
	clock.Advance(time.Hour)
	c.Sync()
	rec.await(t, 3)
	var got []string
	for _, r := range rec.calls() {
		got = append(got, r.k)
	}
	if want := []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("expired in the order %v, want %v", got, want)
	}
}

func TestIterationSkipsExpiredEntries(t *testing.T) {
	clock := concurrent.NewFakeClock()
	c := newCache(t, concurrent.Options[string, int]{ExpireAfterWrite: time.Minute, Clock: clock})
	_ = c.Set("a", 1)
	clock.Advance(30 * time.Second)
	_ = c.Set("b", 2)
	clock.Advance(30 * time.Second)
	if got := slices.Collect(c.Keys()); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("Keys = %v", got)
	}
}

func TestCloneKeepsDeadlines(t *testing.T) {
	clock := concurrent.NewFakeClock()
	c := newCache(t, concurrent.Options[string, int]{ExpireAfterWrite: time.Minute, Clock: clock})
	_ = c.Set("a", 1)
	clock.Advance(30 * time.Second)
	d, err := c.Clone()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	clock.Advance(30 * time.Second)
	if d.Contains("a") {
		t.Fatal("the clone gave a copied entry a new lifetime")
	}
	d.Sync()
	if d.Len() != 0 {
		t.Fatalf("clone Len %d", d.Len())
	}
}

// A clone keeps a copied entry's last access: read at 50 s of a 60 s idle
// timeout, it is still live in the clone at 100 s (no test failed when
// Clone dropped it; a review finding).
func TestCloneKeepsAccessTimes(t *testing.T) {
	clock := concurrent.NewFakeClock()
	c := newCache(t, concurrent.Options[string, int]{ExpireAfterAccess: time.Minute, Clock: clock})
	_ = c.Set("a", 1)
	clock.Advance(50 * time.Second)
	if _, ok := c.Get("a"); !ok {
		t.Fatal("a missing")
	}
	c.Sync()
	d, err := c.Clone()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	clock.Advance(50 * time.Second)
	if !c.Contains("a") {
		t.Fatal("the original lost a, read 50 s ago")
	}
	if !d.Contains("a") {
		t.Fatal("the clone forgot a's last access: a expired as of its write")
	}
}

// A clone expires the copied entries for ExpireAfterAccess as the original
// does: idle past the timeout, they leave its Len and Keys at the next
// drain. No test failed when Clone did not copy the access-ordered list (a
// mutation audit): a copied entry then read as missing, but stayed in the
// clone, counted by Len, until evicted for size.
func TestCloneExpiresCopiedEntriesIdleTooLong(t *testing.T) {
	clock := concurrent.NewFakeClock()
	c := newCache(t, concurrent.Options[string, int]{MaxSize: 10, ExpireAfterAccess: time.Minute, Clock: clock})
	_ = c.Set("a", 1)
	_ = c.Set("b", 2)
	d, err := c.Clone()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	clock.Advance(2 * time.Minute)
	for name, x := range map[string]*concurrent.Cache[string, int]{"original": c, "clone": d} {
		x.Sync()
		if keys := slices.Collect(x.Keys()); len(keys) != 0 || x.Len() != 0 {
			t.Errorf("%s two minutes after the last access: Keys %v, Len %d; want none (a minute to live idle)", name, keys, x.Len())
		}
	}
}

// A clone reads a clock set back as standing still at the original's latest
// reading, as the original does (see Clock): an entry the clone writes then
// is as old as one the original writes, not younger than the copies by the
// setback. No test failed when Clone did not copy that reading (a mutation
// audit): the clone's new entries were dated by the clock set back, and
// expired early.
func TestCloneReadsAClockSetBackAsStandingStill(t *testing.T) {
	clock := concurrent.NewFakeClock()
	c := newCache(t, concurrent.Options[string, int]{MaxSize: 10, ExpireAfterWrite: time.Minute, Clock: clock})
	clock.Advance(30 * time.Second) // the original's latest reading is not its epoch
	t1 := clock.Now()
	_ = c.Set("a", 1)                // written at t1
	clock.Advance(-30 * time.Second) // set back
	d, err := c.Clone()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	_ = c.Set("b", 2) // read as written at t1
	_ = d.Set("b", 2) // likewise
	clock.Advance(t1.Add(45 * time.Second).Sub(clock.Now()))
	for name, x := range map[string]*concurrent.Cache[string, int]{"original": c, "clone": d} {
		x.Sync()
		if keys := slices.Collect(x.Keys()); !slices.Equal(keys, []string{"a", "b"}) {
			t.Errorf("%s at t1+45s: Keys %v; want [a b] (both written at t1, a minute to live)", name, keys)
		}
	}
}

func TestNegativeDurationsAreErrors(t *testing.T) {
	for _, tc := range []struct {
		o     concurrent.Options[string, int]
		param string
	}{
		{concurrent.Options[string, int]{ExpireAfterWrite: -1}, "Options.ExpireAfterWrite"},
		{concurrent.Options[string, int]{ExpireAfterAccess: -time.Second}, "Options.ExpireAfterAccess"},
		{concurrent.Options[string, int]{LoadTimeout: -time.Second}, "Options.LoadTimeout"},
		// The boundary, for each: a check "< -1" instead of "< 0" let -1ns
		// through for LoadTimeout and no test failed (mutation audit).
		{concurrent.Options[string, int]{ExpireAfterWrite: -time.Second}, "Options.ExpireAfterWrite"},
		{concurrent.Options[string, int]{ExpireAfterAccess: -1}, "Options.ExpireAfterAccess"},
		{concurrent.Options[string, int]{LoadTimeout: -1}, "Options.LoadTimeout"},
	} {
		_, err := concurrent.New(tc.o)
		var oe *concurrent.OptionError
		if !errors.As(err, &oe) || oe.Param != tc.param {
			t.Errorf("%s: got %v", tc.param, err)
		}
	}
}

// With real time, expired entries are removed by the maintenance goroutine's
// timer, without any call into the cache.
func TestExpiryTimerRemovesIdleEntries(t *testing.T) {
	var rec recorder
	c := newCache(t, concurrent.Options[string, int]{ExpireAfterWrite: 30 * time.Millisecond, OnEvict: rec.onEvict})
	_ = c.Set("a", 1)
	_ = c.Set("b", 2)
	testwait.Until(t, "the timer to expire both entries", func() bool { return len(rec.calls()) == 2 })
	for _, r := range rec.calls() {
		if r.cause != concurrent.Expired {
			t.Fatalf("cause %v", r.cause)
		}
	}
	if c.Len() != 0 {
		t.Fatalf("Len %d", c.Len())
	}
}

// TestReadWithinTheAccessResolutionKeepsTheEntrysPlaceForExpiry: a read less
// than accessResolution after an entry's stored access keeps that access
// time, and so its deadline. Its event used to move the entry behind entries
// accessed later, in the order ExpireAfterAccess follows: once idle for the
// whole period it stayed there, counted by Len, until they expired too (with
// an injected clock standing still, for ever), although the options say the
// next maintenance removes it. With ExpireAfterWrite as well, the entry
// headed the write order, whose head was checked against ExpireAfterWrite
// only: Sync did not remove it, and the maintenance goroutine, whose timer
// was armed for its deadline, woke again and again without removing it (a
// busy loop; TestExpiryChecksTheOldestWriteForBothLifetimes pins that check
// now that the read no longer reorders).
func TestReadWithinTheAccessResolutionKeepsTheEntrysPlaceForExpiry(t *testing.T) {
	for _, tc := range []struct {
		name string
		ttl  time.Duration
	}{{"access", 0}, {"write+access", time.Hour}} {
		t.Run(tc.name, func(t *testing.T) {
			clock := concurrent.NewFakeClock()
			var rec recorder
			c := newCache(t, concurrent.Options[string, int]{ExpireAfterWrite: tc.ttl, ExpireAfterAccess: 10 * time.Millisecond, Clock: clock, OnEvict: rec.onEvict})
			_ = c.Set("x", 1)
			clock.Advance(500 * time.Microsecond)
			_ = c.Set("h", 2)
			clock.Advance(400 * time.Microsecond)
			if _, ok := c.Get("x"); !ok { // within the resolution: x's access stays at 0
				t.Fatal("x missing")
			}
			c.Sync()
			clock.Advance(10*time.Millisecond - 900*time.Microsecond) // x idle for 10ms, h for 9.5ms
			c.Sync()
			rec.await(t, 1)
			if want := []removal{{"x", 1, concurrent.Expired}}; !slices.Equal(rec.calls(), want) || c.Len() != 1 {
				t.Fatalf("after x's idle period: calls %v, Len %d", rec.calls(), c.Len())
			}
		})
	}
}

// TestExpireAfterAccessShorterThanTheResolutionKeepsReadEntries pins that an
// ExpireAfterAccess shorter than the millisecond resolution of stored
// accesses is honoured: a read stored its access only once a millisecond had
// passed since the stored one, so an entry read every 400µs with
// ExpireAfterAccess 500µs never stored a read and expired at its second,
// read 400µs after the first.
func TestExpireAfterAccessShorterThanTheResolutionKeepsReadEntries(t *testing.T) {
	for _, tc := range []struct{ tta, every time.Duration }{
		{500 * time.Microsecond, 400 * time.Microsecond},
		{time.Millisecond, 900 * time.Microsecond},
		{5 * time.Millisecond, 4 * time.Millisecond},
	} {
		clock := concurrent.NewFakeClock()
		c := newCache(t, concurrent.Options[string, int]{ExpireAfterAccess: tc.tta, Clock: clock})
		_ = c.Set("a", 1)
		for i := range 20 {
			clock.Advance(tc.every)
			if _, ok := c.Get("a"); !ok {
				t.Fatalf("ExpireAfterAccess %v: an entry read every %v expired at read %d", tc.tta, tc.every, i)
			}
		}
		clock.Advance(tc.tta)
		if c.Contains("a") {
			t.Fatalf("ExpireAfterAccess %v: the entry outlived its idle period", tc.tta)
		}
	}
}

// TestExpireAfterAccessRemovesAnEntryReadOutOfTimeOrder reads X, then W,
// then X again, and drains the three reads together: X's first event is
// applied when X's stored access is already its second read's. The access
// order once kept the events' order rather than the times', so W sat behind
// X: idle for ExpireAfterAccess, it was hidden but never removed (Sync left
// it, Len counted it) until an insertion evicted it for Size under LRU, or
// evicted the live X in its place under LFU.
func TestExpireAfterAccessRemovesAnEntryReadOutOfTimeOrder(t *testing.T) {
	for _, policy := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		t.Run(policy.String(), func(t *testing.T) {
			clock := concurrent.NewFakeClock()
			var r recorder
			c := newCache(t, concurrent.Options[string, int]{
				MaxSize: 3, Policy: policy, Seed: 1, ExpireAfterAccess: 10 * time.Minute, Clock: clock,
				OnEvict: r.onEvict,
			})
			_ = c.Set("A", 1)
			_ = c.Set("W", 2)
			_ = c.Set("X", 3)
			for range 4 {
				c.Get("W") // frequent, so that LFU's victim would be a live entry
			}
			c.Sync()
			for _, read := range []struct {
				step time.Duration
				key  string
			}{{3 * time.Minute, "X"}, {2 * time.Minute, "W"}, {2 * time.Minute, "X"}, {2 * time.Minute, "A"}} {
				clock.Advance(read.step)
				c.Get(read.key)
			}
			c.Sync()
			clock.Advance(6 * time.Minute) // W idle for 10 minutes, X for 8, A for 6
			if c.Contains("W") {
				t.Fatal("W is visible after 10 minutes idle")
			}
			c.Sync()
			if c.Len() != 2 {
				t.Fatalf("after Sync: Len %d, want 2 (W removed)", c.Len())
			}
			// W may have been removed by the maintenance goroutine (woken by
			// the Sets above, it may run only now), whose listener call can
			// still be on its way when Sync returns (see Cache.Sync).
			want := []removal{{"W", 2, concurrent.Expired}}
			r.await(t, len(want))
			if got := r.calls(); !slices.Equal(got, want) {
				t.Errorf("after Sync: listener calls %v; want %v", got, want)
			}
			_ = c.Set("B", 4) // fits: nothing to evict
			c.Sync()
			if got := r.calls(); !slices.Equal(got, want) {
				t.Errorf("after Set(B): listener calls %v, want %v", got, want)
			}
		})
	}
}

// TestLFUExpiryIsExactWhenTheDrainRuns pins an outcome that depended on the
// scheduler, against the package's promise that one goroutine's operations
// give the same evictions on every run: a drain applied the queued
// insertions, and with them LFU's admission contests, before it removed the
// entries that had expired. If the maintenance goroutine (woken by a
// replacing Set) drained first, the expired entry was gone before the next
// insertion and no contest took place; if the insertion's writer drained,
// the contest counted the expired entry, doomed a live one, and the policy's
// order differed from then on: a different live entry was later evicted for
// Size. Expired entries now go before the queued writes are applied. Both
// runs make the same calls with the same clock and seed; one pauses where
// the maintenance goroutine may run. (Found by a review helper.)
func TestLFUExpiryIsExactWhenTheDrainRuns(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // the woken goroutine runs only when the caller yields
	run := func(pause bool) string {
		clock := concurrent.NewFakeClock()
		var log []string
		c := newCache(t, concurrent.Options[string, int]{
			MaxSize:          3,
			Policy:           concurrent.LFU,
			Seed:             1,
			ExpireAfterWrite: time.Hour,
			Clock:            clock,
			OnEvict: func(k string, _ int, cause concurrent.Cause) {
				if cause != concurrent.Expired { // their order relative to the caller's may vary, as documented
					log = append(log, k+":"+cause.String())
				}
			},
		})
		_ = c.Set("x", 1)
		clock.Advance(5 * time.Minute)
		_ = c.Set("v", 2)
		c.Get("x")
		_ = c.Set("w", 3)
		clock.Advance(56 * time.Minute) // x (written at 0) has expired, v and w (5m) have not
		_ = c.Set("w", 4)               // a replacement: wakes the maintenance goroutine
		if pause {
			time.Sleep(50 * time.Millisecond) // lets it run, as a busy scheduler might not
		}
		_ = c.Set("c", 5)
		afterC := slices.Collect(c.Keys())
		_ = c.Set("d", 6)
		_ = c.Set("e", 7)
		return fmt.Sprintf("after c %v, keys %v, calls %v", afterC, slices.Collect(c.Keys()), log)
	}
	if a, b := run(false), run(true); a != b {
		t.Errorf("the same calls gave two outcomes:\n without a pause: %s\n with a pause:    %s", a, b)
	}
}

// A read made at the very instant an entry's lifetime ends comes after that
// entry's expiry (an entry has expired once its age reaches
// ExpireAfterWrite), however late the read's event is applied: the drain
// expires what was due at the read's time before it applies the read, as a
// drain run just before the read (Sync here) would have. For LFU the order
// of the two changes the policy's order: applied before the expiry, the
// read of 7 left the eviction order [21 11 7 13] instead of [11 21 7 13].
func TestLFUReadAtAnEntrysDeadlineIsAppliedAfterItsExpiry(t *testing.T) {
	run := func(syncFirst bool) string {
		clock := concurrent.NewFakeClock()
		c, err := concurrent.New(concurrent.Options[int, int]{MaxSize: 4, Policy: concurrent.LFU, Seed: 1, ExpireAfterWrite: 10 * time.Minute, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.Set(1, 1)
		_ = c.Set(21, 21)
		_ = c.Set(0, 0)
		clock.Advance(2 * time.Minute)
		_ = c.Set(21, 21)
		clock.Advance(2 * time.Minute)
		c.Get(1)
		clock.Advance(time.Minute)
		_ = c.Set(7, 7)
		_ = c.Set(7, 7)
		_ = c.Set(11, 11)
		clock.Advance(5 * time.Minute) // 1, written at 0, expires now
		if syncFirst {
			c.Sync()
		}
		c.Get(7)
		_ = c.Set(13, 13)
		return fmt.Sprint(slices.Collect(c.Keys()))
	}
	if a, b := run(false), run(true); a != b {
		t.Errorf("the same calls gave two eviction orders:\n read's event applied late: %s\n drained before the read:   %s", a, b)
	}
}

// TestClockSetBackReadsAsStandingStill pins an entry that stayed after it
// expired: with a Clock set back (a wall clock corrected, say), an entry
// written then was stamped earlier than the one written before it, sat
// behind it in the write-ordered list, which is checked from its head, and
// after Get had found it expired it was still counted by Len and yielded by
// Keys, with no Expired call, until the entry in front of it expired. A
// Clock set back now reads as standing still until it passes its latest
// reading again: the entry's lifetime starts at that reading. (Found by a
// review helper.)
func TestClockSetBackReadsAsStandingStill(t *testing.T) {
	clock := concurrent.NewFakeClock()
	t0 := clock.Now()
	var rec recorder
	c := newCache(t, concurrent.Options[string, int]{MaxSize: 10, ExpireAfterWrite: time.Hour, Clock: clock, OnEvict: rec.onEvict})
	_ = c.Set("a", 1)                // written at t0
	clock.Advance(-30 * time.Minute) // set back
	_ = c.Set("b", 2)                // read as written at t0 too
	for _, tc := range []struct {
		at   time.Duration
		want []string
	}{
		{45 * time.Minute, []string{"a", "b"}}, // b is 45 minutes old, not 75
		{time.Hour - time.Nanosecond, []string{"a", "b"}},
		{time.Hour, nil},
	} {
		clock.Advance(t0.Add(tc.at).Sub(clock.Now()))
		var found []string
		for _, k := range []string{"a", "b"} {
			if _, ok := c.Get(k); ok {
				found = append(found, k)
			}
		}
		c.Sync()
		if keys := slices.Collect(c.Keys()); !slices.Equal(found, tc.want) || !slices.Equal(keys, tc.want) || c.Len() != len(tc.want) {
			t.Errorf("at t0+%v: Get finds %v, Keys %v, Len %d; want %v for all three", tc.at, found, keys, c.Len(), tc.want)
		}
	}
}

type countingClock struct {
	calls atomic.Int64
	t     time.Time
}

func (c *countingClock) Now() time.Time {
	c.calls.Add(1)
	return c.t
}

// Options.Clock: "New calls Now once".
func TestNewCallsClockNowOnce(t *testing.T) {
	clk := &countingClock{t: time.Unix(1e9, 0)}
	c, err := concurrent.New(concurrent.Options[string, int]{ExpireAfterWrite: time.Minute, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	n := clk.calls.Load()
	c.Close()
	if n != 1 {
		t.Fatalf("New called Clock.Now %d times, the doc says once", n)
	}
}

// TestRegressionBothOptionsExpireInDeadlineOrder pins Options.OnEvict's
// "expired entries in the order they expire" with both expiry options: one
// removal that finds several entries expired used to take every expired
// head of the write order before any of the access order, so an entry idle
// since long before another's write lifetime ended was handed over after it.
func TestRegressionBothOptionsExpireInDeadlineOrder(t *testing.T) {
	for _, pol := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		clock := concurrent.NewFakeClock()
		var rec recorder
		c := newCache(t, concurrent.Options[string, int]{Policy: pol, ExpireAfterWrite: 100 * time.Second,
			ExpireAfterAccess: 60 * time.Second, Clock: clock, OnEvict: rec.onEvict})
		// Deadlines, min(write+100s, last access+60s): a 100s (written at
		// 0, read at 50), b 70s (written at 10), c 105s (written at 20,
		// read at 45), d 115s (written at 30, read at 55).
		_ = c.Set("a", 1)
		clock.Advance(10 * time.Second)
		_ = c.Set("b", 2)
		clock.Advance(10 * time.Second)
		_ = c.Set("c", 3)
		clock.Advance(10 * time.Second)
		_ = c.Set("d", 4)
		clock.Advance(15 * time.Second)
		c.Get("c")
		clock.Advance(5 * time.Second)
		c.Get("a")
		clock.Advance(5 * time.Second)
		c.Get("d")
		clock.Advance(65 * time.Second) // 120s: all four have expired
		c.Sync()
		var got []string
		for _, r := range rec.calls() {
			got = append(got, fmt.Sprint(r.k, ":", r.cause))
		}
		if want := []string{"b:Expired", "a:Expired", "c:Expired", "d:Expired"}; !slices.Equal(got, want) {
			t.Errorf("%v: listener calls %v, want %v (deadline order)", pol, got, want)
		}
	}
}
