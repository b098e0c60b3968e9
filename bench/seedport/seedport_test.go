package seedport

import (
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// refLRU is the obviously correct model: a slice, least recent first.
type refLRU struct {
	max  int
	keys []int
}

func (r *refLRU) get(k int) bool {
	i := slices.Index(r.keys, k)
	if i < 0 {
		return false
	}
	r.keys = append(slices.Delete(r.keys, i, i+1), k)
	return true
}

func (r *refLRU) set(k int) bool {
	if slices.Contains(r.keys, k) {
		return false
	}
	r.keys = append(r.keys, k)
	if len(r.keys) > r.max {
		r.keys = r.keys[1:]
	}
	return true
}

// refLFU keeps (key, frequency, when it reached that frequency); the victim
// has the lowest frequency, the earliest among equals.
type refLFU struct {
	max  int
	tick int
	ents []refEnt
}

type refEnt struct{ key, freq, since int }

func (r *refLFU) order() []int {
	s := slices.Clone(r.ents)
	slices.SortFunc(s, func(a, b refEnt) int {
		if a.freq != b.freq {
			return a.freq - b.freq
		}
		return a.since - b.since
	})
	keys := make([]int, len(s))
	for i, e := range s {
		keys[i] = e.key
	}
	return keys
}

func (r *refLFU) find(k int) int {
	return slices.IndexFunc(r.ents, func(e refEnt) bool { return e.key == k })
}

func (r *refLFU) get(k int) bool {
	i := r.find(k)
	if i < 0 {
		return false
	}
	r.tick++
	r.ents[i].freq++
	r.ents[i].since = r.tick
	return true
}

func (r *refLFU) set(k int) bool {
	if r.find(k) >= 0 {
		return false
	}
	if r.max == 0 {
		return true
	}
	if len(r.ents) >= r.max {
		victim := r.order()[0]
		r.ents = slices.Delete(r.ents, r.find(victim), r.find(victim)+1)
	}
	r.tick++
	r.ents = append(r.ents, refEnt{k, 1, r.tick})
	return true
}

func (r *refLFU) del(k int) bool {
	i := r.find(k)
	if i < 0 {
		return false
	}
	r.ents = slices.Delete(r.ents, i, i+1)
	return true
}

// TestLRUAgainstModel drives the LRU and the model with the same random
// operations (fixed seed) and compares every result and the full order.
func TestLRUAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	c := NewLRU[int, int](8)
	ref := &refLRU{max: 8}
	for step := range 20_000 {
		k := rng.IntN(20)
		switch op := rng.IntN(10); {
		case op < 5:
			v, ok := c.Get(k)
			if want := ref.get(k); ok != want || (ok && v != -k) {
				t.Fatalf("step %d: Get(%d) = %d, %v; model %v", step, k, v, ok, want)
			}
		case op < 9:
			err := c.Set(k, -k)
			if want := ref.set(k); (err == nil) != want || (err != nil && !errors.Is(err, ErrExists)) {
				t.Fatalf("step %d: Set(%d) = %v; model stored %v", step, k, err, want)
			}
		default:
			got := c.Delete(k)
			i := slices.Index(ref.keys, k)
			if got != (i >= 0) {
				t.Fatalf("step %d: Delete(%d) = %v", step, k, got)
			}
			if i >= 0 {
				ref.keys = slices.Delete(ref.keys, i, i+1)
			}
		}
		if got := c.Keys(); !slices.Equal(got, ref.keys) {
			t.Fatalf("step %d: order %v, model %v", step, got, ref.keys)
		}
	}
}

// TestLFUAgainstModel does the same for the LFU.
func TestLFUAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	c := NewLFU[int, int](8)
	ref := &refLFU{max: 8}
	for step := range 20_000 {
		k := rng.IntN(20)
		switch op := rng.IntN(10); {
		case op < 5:
			v, ok := c.Get(k)
			if want := ref.get(k); ok != want || (ok && v != -k) {
				t.Fatalf("step %d: Get(%d) = %d, %v; model %v", step, k, v, ok, want)
			}
		case op < 9:
			err := c.Set(k, -k)
			if want := ref.set(k); (err == nil) != want {
				t.Fatalf("step %d: Set(%d) = %v; model stored %v", step, k, err, want)
			}
		default:
			if got, want := c.Delete(k), ref.del(k); got != want {
				t.Fatalf("step %d: Delete(%d) = %v, model %v", step, k, got, want)
			}
		}
		if got, want := c.Keys(), ref.order(); !slices.Equal(got, want) {
			t.Fatalf("step %d: order %v, model %v", step, got, want)
		}
	}
}

func TestLFUTiesByRecency(t *testing.T) {
	c := NewLFU[string, int](3)
	for _, k := range []string{"a", "b", "c"} {
		if err := c.Set(k, 0); err != nil {
			t.Fatal(err)
		}
	}
	c.Get("a") // a: 2; b and c: 1, b older
	if err := c.Set("d", 0); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Keys(), []string{"c", "d", "a"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v (b, the oldest of frequency 1, evicted)", got, want)
	}
	k, _, err := c.PopItem()
	if err != nil || k != "c" {
		t.Fatalf("PopItem = %q, %v; want c", k, err)
	}
}

func TestSetRefusesPresentKey(t *testing.T) {
	for _, policy := range []string{"LRU", "LFU"} {
		c, err := New[string, int](policy, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Set("a", 1); err != nil {
			t.Fatal(err)
		}
		if err := c.Set("a", 2); !errors.Is(err, ErrExists) {
			t.Fatalf("%s: second Set = %v, want ErrExists", policy, err)
		}
		if v, _ := c.Get("a"); v != 1 {
			t.Fatalf("%s: value overwritten: %d", policy, v)
		}
		if _, err := c.Pop("zz"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: Pop of absent key = %v", policy, err)
		}
	}
	if _, err := New[string, int]("FIFO", 1); err == nil {
		t.Fatal("unknown policy accepted")
	}
}

func TestSetMaxSizeEvictsAtOnce(t *testing.T) {
	for _, policy := range []string{"LRU", "LFU"} {
		c, _ := New[int, int](policy, 5)
		for k := range 5 {
			_ = c.Set(k, k)
		}
		c.Get(0)
		c.SetMaxSize(-2) // the absolute value, as in the original
		if c.Len() != 2 || c.MaxSize() != 2 || !c.Contains(0) {
			t.Fatalf("%s: after shrink: len %d, max %d, keys %v", policy, c.Len(), c.MaxSize(), c.Keys())
		}
		c.Clear()
		if c.Len() != 0 || len(c.Keys()) != 0 {
			t.Fatalf("%s: Clear left %v", policy, c.Keys())
		}
	}
}

// TestClientHoldsLockWhileBuilding pins the design measured by the
// head-of-line benchmark: while a build runs, the cache's lock is held.
func TestClientHoldsLockWhileBuilding(t *testing.T) {
	s := NewSession[string, int](4)
	checked := make(chan bool)
	_, err := s.Client("LRU", "slow", func() (int, error) {
		ok := s.lru.mu.TryLock()
		if ok {
			s.lru.mu.Unlock()
		}
		go func() { checked <- ok }()
		return 1, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if <-checked {
		t.Fatal("lock free during the build")
	}
}

// TestClientBuildsOnce: concurrent callers of one missing key build it once
// with Client (the lock serialises them) and may build it many times with
// ClientUnlocked.
func TestClientBuildsOnce(t *testing.T) {
	for _, policy := range []string{"LRU", "LFU"} {
		s := NewSession[string, int](4)
		var builds atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				v, err := s.Client(policy, "k", func() (int, error) { builds.Add(1); return 42, nil })
				if err != nil || v != 42 {
					t.Errorf("%s: Client = %d, %v", policy, v, err)
				}
			})
		}
		wg.Wait()
		if n := builds.Load(); n != 1 {
			t.Fatalf("%s: %d builds", policy, n)
		}
	}
	s := NewSession[string, int](4)
	if _, err := s.ClientUnlocked("LFU", "k", func() (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	if v, err := s.ClientUnlocked("LFU", "k", func() (int, error) { return 2, nil }); err != nil || v != 1 {
		t.Fatalf("cached ClientUnlocked = %d, %v", v, err)
	}
	if _, err := s.Client("MRU", "k", nil); err == nil {
		t.Fatal("unknown policy accepted")
	}
}
