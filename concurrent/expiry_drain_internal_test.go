package concurrent

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The maintenance goroutine drains while the cache's one goroutine goes on
// using it. A drain that has polled the write tasks and then expires at the
// clock's reading of that later moment could expire the old node of a Set
// made (and published) after its poll: the replacement, applied by the next
// drain, then found its old node unlinked and was linked as an insertion.
// For LFU that is another place in the order than a replacement's (an
// access: probation to protected), so one goroutine's operations gave
// different iteration orders depending on when the maintenance goroutine
// ran.
func TestMaintenanceDrainExpiresAsOfItsPoll(t *testing.T) {
	run := func(race bool) []int {
		clock := NewFakeClock()
		c, err := New(Options[int, int]{MaxSize: 10, Policy: LFU, Seed: 1, ExpireAfterWrite: 10 * time.Millisecond, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for k := 1; k <= 8; k++ {
			if k == 5 {
				clock.Advance(5 * time.Millisecond)
			}
			_ = c.Set(k, k)
		}
		c.Sync()
		clock.Advance(4 * time.Millisecond) // keys 1-4 expire at 10ms, 5-8 at 15ms
		ops := func() {
			_ = c.Set(1, 10)                    // replaces a live value: an access for LFU
			clock.Advance(2 * time.Millisecond) // the old value of key 1 would be expired now
		}
		if race {
			// The maintenance goroutine's drain, with the user's goroutine
			// running between its poll and its expiry.
			c.mu.Lock()
			c.testHookAfterPoll = ops
			notes := c.drainInTurnLocked(nil)
			c.testHookAfterPoll = nil
			c.mu.Unlock()
			c.deliver(notes)
		} else {
			ops()
		}
		c.Sync()
		return slices.Collect(c.Keys())
	}
	want, got := run(false), run(true)
	if !slices.Equal(got, want) {
		t.Fatalf("keys after a drain that raced the user's Set: %v; without the race: %v", got, want)
	}
}

// TestLFUWithExpiryIsTheSameWhenEverTheDrainRuns: from one goroutine, the
// same operations (Get, Set, and a fake clock moved on) must leave an LFU
// cache with expiry in the same order, whether or not the maintenance
// goroutine drains after one of the clock's moves (its timer, or a write
// that woke it). It drained there, and removed the entries that had
// expired, before the reads that followed were applied; without that
// drain, those reads were applied with the expired entries still in the
// policy. A read that promotes an entry into a full protected segment
// demotes another, and an expired entry counted towards that segment: the
// order differed (seed 33, ExpireAfterWrite: [3 5 4 12 8 13 6] against
// [3 4 5 12 8 13 6]). Each read in exact mode now carries its time, and the
// drain first removes what had expired by then.
func TestLFUWithExpiryIsTheSameWhenEverTheDrainRuns(t *testing.T) {
	for _, o := range []Options[int, int]{
		{ExpireAfterWrite: 10 * time.Millisecond},
		{ExpireAfterAccess: 6 * time.Millisecond},
		{ExpireAfterWrite: 20 * time.Millisecond, ExpireAfterAccess: 5 * time.Millisecond},
	} {
		t.Run(fmt.Sprintf("ttl=%v,tta=%v", o.ExpireAfterWrite, o.ExpireAfterAccess), func(t *testing.T) {
			const ops = 200
			seeds := uint64(60)
			if testing.Short() || raceEnabled {
				seeds = 10
			}
			for seed := range seeds {
				run := func(drainAt int) []int {
					rng := rand.New(rand.NewPCG(seed, 1))
					clock := NewFakeClock()
					o := o
					o.MaxSize, o.Policy, o.Seed, o.Clock = 8, LFU, 1, clock
					c, err := New(o)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					for i := range ops {
						k := rng.IntN(14)
						switch r := rng.IntN(10); {
						case r < 5:
							c.Get(k)
						case r < 8:
							_ = c.Set(k, i)
						default:
							clock.Advance(time.Millisecond)
							if i == drainAt { // as the maintenance goroutine would
								c.mu.Lock()
								notes := c.drainInTurnLocked(nil)
								c.mu.Unlock()
								c.deliver(notes)
							}
						}
					}
					c.Sync()
					return slices.Collect(c.Keys())
				}
				want := run(-1)
				for at := 0; at < ops; at += 3 {
					if got := run(at); !slices.Equal(got, want) {
						t.Fatalf("seed %d: a drain after the clock moved at operation %d left %v, none left %v", seed, at, got, want)
					}
				}
			}
		})
	}
}
