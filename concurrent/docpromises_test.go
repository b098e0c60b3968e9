package concurrent_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clientcache/clientcache/concurrent"
)

// Pins of documented promises that no other test checked.

// Add "returns ErrExists, and changes nothing"; LoadMissed of a present key
// returns it "recording no access"; Contains records none; and "Reading
// entries through All does not count as access": none of them moves the
// key in the LRU order or refreshes its ExpireAfterAccess lifetime.
func TestFailedAddLoadMissedContainsAndAllRecordNoAccess(t *testing.T) {
	ctx := context.Background()
	loader := func(context.Context) (int, error) { return 9, nil }
	c := newCache(t, concurrent.Options[string, int]{MaxSize: 3})
	for _, k := range []string{"a", "b", "c"} {
		_ = c.Set(k, 1)
	}
	if err := c.Add("a", 2); !errors.Is(err, concurrent.ErrExists) {
		t.Fatalf("Add of a present key = %v", err)
	}
	if v, err := c.LoadMissed(ctx, "a", loader); v != 1 || err != nil {
		t.Fatalf("LoadMissed of a present key = %d, %v", v, err)
	}
	c.Contains("a")
	for range c.All() {
	}
	if got := slices.Collect(c.Keys()); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("LRU order %v, want [a b c]: one of them counted as an access", got)
	}

	clock := concurrent.NewFakeClock()
	e := newCache(t, concurrent.Options[string, int]{ExpireAfterAccess: time.Minute, Clock: clock})
	_ = e.Set("a", 1)
	clock.Advance(time.Minute - time.Second)
	_ = e.Add("a", 2)
	_, _ = e.LoadMissed(ctx, "a", loader)
	e.Contains("a")
	for range e.All() {
	}
	clock.Advance(time.Second)
	if e.Contains("a") {
		t.Fatal("a outlived ExpireAfterAccess: Add, LoadMissed, Contains or All refreshed it")
	}
}

// Stats: "Touch counts neither", and a Set that replaces a value records
// its access as Touch does: neither is a hit, however many drains of the
// read buffer their events go through (from one goroutine, Hits is exact).
func TestReplacementsAndTouchesAreNeverHits(t *testing.T) {
	for _, exp := range []time.Duration{0, time.Hour} {
		c := newCache(t, concurrent.Options[string, int]{RecordStats: true, MaxSize: 100, ExpireAfterAccess: exp})
		for i := range 50 {
			_ = c.Set(fmt.Sprint(i), i)
		}
		gets := uint64(0)
		for i := range 1000 {
			k := fmt.Sprint(i % 50)
			switch i % 3 {
			case 0:
				_ = c.Set(k, i)
			case 1:
				c.Touch(k)
			case 2:
				c.Get(k)
				gets++
			}
		}
		if s := c.Stats(); s.Hits != gets || s.Misses != 0 || s.DroppedReads != 0 {
			t.Fatalf("ExpireAfterAccess %v: hits %d, misses %d, dropped %d; want %d, 0, 0", exp, s.Hits, s.Misses, s.DroppedReads, gets)
		}
	}
}

// "Get ... allocates nothing", Touch "Like Get", Contains "Neither
// allocates": for both policies, with and without expiry and RecordStats.
func TestReadsAllocateNothingWithEveryPolicyAndOption(t *testing.T) {
	for _, pol := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		for _, o := range []concurrent.Options[string, int]{
			{},
			{RecordStats: true},
			{ExpireAfterAccess: time.Hour},
			{ExpireAfterWrite: time.Hour, RecordStats: true},
			{ExpireAfterAccess: time.Hour, Clock: concurrent.NewFakeClock()},
		} {
			o.Policy, o.MaxSize = pol, 1000
			c := newCache(t, o)
			keys := make([]string, 100)
			for i := range keys {
				keys[i] = fmt.Sprint("key-", i)
				_ = c.Set(keys[i], i)
			}
			i := 0
			for _, r := range []struct {
				name string
				f    func()
			}{
				{"Get", func() { c.Get(keys[i%len(keys)]); i++ }},
				{"Touch", func() { c.Touch(keys[i%len(keys)]); i++ }},
				{"Contains", func() { c.Contains(keys[i%len(keys)]); i++ }},
				{"Get miss", func() { c.Get("absent") }},
			} {
				if a := testing.AllocsPerRun(5000, r.f); a != 0 {
					t.Errorf("%v, stats %v, ttl %v, tta %v: %s allocates %v times per call", pol, o.RecordStats, o.ExpireAfterWrite, o.ExpireAfterAccess, r.name, a)
				}
			}
		}
	}
}
