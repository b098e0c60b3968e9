package concurrent_test

import (
	"container/list"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clientcache/clientcache/concurrent"
)

// refExpiring is a reference LRU with both expiry options, obviously
// correct: an entry is live until ExpireAfterWrite after its write and
// ExpireAfterAccess after its last read or write; an insertion over the
// bound removes every expired entry first, then evicts the least recently
// used for Size. It logs the listener calls a caller can predict (Expired
// calls are the maintenance goroutine's, at times of its own, and are left
// out).
type refExpiring struct {
	max      int
	ttl, tta time.Duration
	order    *list.List // of *refExpEntry, front = least recently used
	index    map[int]*list.Element
	log      []string
}

type refExpEntry struct {
	k, v           int
	born, accessed time.Duration
}

func (r *refExpiring) expired(e *refExpEntry, now time.Duration) bool {
	return r.ttl > 0 && now-e.born >= r.ttl || r.tta > 0 && now-e.accessed >= r.tta
}

// live returns k's element, and whether it holds a live entry.
func (r *refExpiring) live(k int, now time.Duration) (*list.Element, bool) {
	el, ok := r.index[k]
	return el, ok && !r.expired(el.Value.(*refExpEntry), now)
}

func (r *refExpiring) remove(el *list.Element) *refExpEntry {
	e := r.order.Remove(el).(*refExpEntry)
	delete(r.index, e.k)
	return e
}

func (r *refExpiring) store(k, v int, now time.Duration, add bool) error {
	el, live := r.live(k, now)
	if live && add {
		return concurrent.ErrExists
	}
	if el != nil {
		if old := r.remove(el); live {
			r.log = append(r.log, fmt.Sprintf("%d=%d:Replaced", k, old.v))
		}
	}
	r.index[k] = r.order.PushBack(&refExpEntry{k, v, now, now})
	if r.order.Len() > r.max {
		for el := r.order.Front(); el != nil; {
			next := el.Next()
			if r.expired(el.Value.(*refExpEntry), now) {
				r.remove(el)
			}
			el = next
		}
		for r.order.Len() > r.max {
			e := r.remove(r.order.Front())
			r.log = append(r.log, fmt.Sprintf("%d=%d:Size", e.k, e.v))
		}
	}
	return nil
}

// TestExpiryMatchesReference drives an LRU cache with expiry and the
// reference from one goroutine, with a fake clock, through random reads,
// writes, deletions and clock steps, and checks every result, the bound and
// the listener calls after every operation. It caught an access order that
// kept reads in the order their events were applied rather than by time: a
// read of X, a read of W and a read of X drained together left W, idle for
// ExpireAfterAccess, hidden behind a live X, where it was never removed as
// Expired, counted by Len, and was evicted for Size (and, under LFU, a live
// entry evicted while it stayed; TestExpireAfterAccessRemovesAnEntryReadOutOfTimeOrder).
func TestExpiryMatchesReference(t *testing.T) {
	for _, tc := range []struct{ ttl, tta time.Duration }{
		{10 * time.Millisecond, 0}, {0, 10 * time.Millisecond}, {10 * time.Millisecond, 5 * time.Millisecond}, {30 * time.Millisecond, 7 * time.Millisecond},
	} {
		for _, size := range []int{1, 3, 10} {
			t.Run(fmt.Sprintf("ttl=%v/tta=%v/max=%d", tc.ttl, tc.tta, size), func(t *testing.T) {
				for seed := uint64(1); seed <= 4; seed++ {
					expiryModelRun(t, size, tc.ttl, tc.tta, seed, 1500)
				}
			})
		}
	}
}

func expiryModelRun(t *testing.T, size int, ttl, tta time.Duration, seed uint64, ops int) {
	t.Helper()
	clock := concurrent.NewFakeClock()
	var mu sync.Mutex
	var got []string
	calls := map[int]int{} // value -> listener calls
	c, err := concurrent.New(concurrent.Options[int, int]{
		MaxSize: size, ExpireAfterWrite: ttl, ExpireAfterAccess: tta, Clock: clock,
		OnEvict: func(k, v int, cause concurrent.Cause) {
			mu.Lock()
			defer mu.Unlock()
			calls[v]++
			if cause != concurrent.Expired {
				got = append(got, fmt.Sprintf("%d=%d:%v", k, v, cause))
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ref := &refExpiring{max: size, ttl: ttl, tta: tta, order: list.New(), index: map[int]*list.Element{}}
	rng := rand.New(rand.NewPCG(seed, 9))
	var now time.Duration
	var recent []string // the last operations, for a failure's message
	for i, next := 0, 0; i < ops; i++ {
		k := rng.IntN(2*size + 2)
		next++
		var op string
		switch p := rng.IntN(100); {
		case p < 15:
			d := time.Duration(1+rng.IntN(4)) * time.Millisecond
			clock.Advance(d)
			now += d
			op = fmt.Sprintf("Advance(%v)", d)
		case p < 45:
			op = fmt.Sprintf("Get(%d)", k)
			v, ok := c.Get(k)
			el, live := ref.live(k, now)
			want := 0
			if live {
				e := el.Value.(*refExpEntry)
				want, e.accessed = e.v, now
				ref.order.MoveToBack(el)
			}
			if ok != live || v != want {
				t.Fatalf("seed %d, op %d, %s = %d, %v; want %d, %v (last ops: %v)", seed, i, op, v, ok, want, live, recent)
			}
		case p < 65:
			op = fmt.Sprintf("Set(%d, %d)", k, next)
			if err := c.Set(k, next); err != nil {
				t.Fatal(err)
			}
			_ = ref.store(k, next, now, false)
		case p < 80:
			op = fmt.Sprintf("Add(%d, %d)", k, next)
			err, want := c.Add(k, next), ref.store(k, next, now, true)
			if !errors.Is(err, want) || (err == nil) != (want == nil) {
				t.Fatalf("seed %d, op %d, %s = %v; want %v (last ops: %v)", seed, i, op, err, want, recent)
			}
		case p < 90:
			op = fmt.Sprintf("Delete(%d)", k)
			el, live := ref.live(k, now)
			if el != nil {
				if e := ref.remove(el); live {
					ref.log = append(ref.log, fmt.Sprintf("%d=%d:Explicit", k, e.v))
				}
			}
			if ok := c.Delete(k); ok != live {
				t.Fatalf("seed %d, op %d, %s = %v; want %v (last ops: %v)", seed, i, op, ok, live, recent)
			}
		default:
			op = fmt.Sprintf("Contains(%d)", k)
			if _, live := ref.live(k, now); c.Contains(k) != live {
				t.Fatalf("seed %d, op %d, %s = %v; want %v (last ops: %v)", seed, i, op, !live, live, recent)
			}
		}
		if recent = append(recent, op); len(recent) > 12 {
			recent = recent[1:]
		}
		if c.Len() > c.MaxSize() {
			t.Fatalf("seed %d, op %d, %s: Len %d above MaxSize %d", seed, i, op, c.Len(), c.MaxSize())
		}
		mu.Lock()
		same := slices.Equal(got, ref.log)
		gotTail := slices.Clone(got[max(0, len(got)-6):])
		for v, n := range calls {
			if n > 1 {
				mu.Unlock()
				t.Fatalf("seed %d, op %d, %s: value %d handed to the listener %d times", seed, i, op, v, n)
			}
		}
		mu.Unlock()
		if !same {
			t.Fatalf("seed %d, op %d, %s: listener calls end %v, want %v (last ops: %v)", seed, i, op, gotTail, ref.log[max(0, len(ref.log)-6):], recent)
		}
	}
}
