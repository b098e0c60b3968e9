package concurrent_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientcache/clientcache/concurrent"
)

// touch is the reference's Touch: an access, as a hit.
func (r *refLRU) touch(k int) (int, bool) { return r.get(k) }

// TestLRUModelWithTouchCloneAndIteration extends the reference
// model with the operations TestLRUMatchesReferenceModel leaves out: Touch,
// Clone (the run goes on with the clone), iteration without Sync (Keys,
// Values, All, Backward, broken off early and mutating the cache), and a
// listener that checks the entry is gone and the bound holds.
func TestLRUModelWithTouchCloneAndIteration(t *testing.T) {
	ops, seeds := 30000, uint64(3)
	if concurrent.RaceEnabled {
		ops, seeds = 5000, 1
	}
	for _, capacity := range []int{1, 2, 3, 17, 300} {
		for seed := uint64(1); seed <= seeds; seed++ {
			t.Run(fmt.Sprintf("cap=%d/seed=%d", capacity, seed), func(t *testing.T) {
				lruModelRun(t, capacity, ops, seed)
			})
		}
	}
}

func lruModelRun(t *testing.T, capacity, ops int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	ref := newRefLRU(capacity)
	var got []string
	logging := true
	var c *concurrent.Cache[int, int]
	var problems []string
	var allowPresent []int
	o := concurrent.Options[int, int]{
		MaxSize:     capacity,
		RecordStats: true,
		OnEvict: func(k, v int, cause concurrent.Cause) {
			if !logging {
				return
			}
			got = append(got, fmt.Sprintf("%d=%d:%v", k, v, cause))
			if cause != concurrent.Replaced && c.Contains(k) && !slices.Contains(allowPresent, k) { // a callback into the cache
				problems = append(problems, fmt.Sprintf("Contains(%d) in listener after %v", k, cause))
			}
			if c.Len() > c.MaxSize() {
				problems = append(problems, fmt.Sprintf("Len %d > MaxSize %d in listener", c.Len(), c.MaxSize()))
			}
		},
	}
	var err error
	c, err = concurrent.New(o)
	if err != nil {
		t.Fatal(err)
	}
	var olds []*concurrent.Cache[int, int]
	defer func() {
		logging = false
		c.Close()
		for _, x := range olds {
			x.Close()
		}
	}()
	keySpace := 2*capacity + 2
	next := 0
	var hits, misses uint64
	checked := 0
	for i := 0; i < ops; i++ {
		k := rng.IntN(keySpace)
		next++
		var desc string
		switch p := rng.IntN(100); {
		case p < 30:
			desc = fmt.Sprintf("Get(%d)", k)
			if checkGet(t, i, desc, c, ref, k) {
				hits++
			} else {
				misses++
			}
		case p < 40:
			desc = fmt.Sprintf("Touch(%d)", k)
			v, ok := c.Touch(k)
			rv, rok := ref.touch(k)
			if ok != rok || v != rv {
				t.Fatalf("op %d %s = %d,%v; reference %d,%v", i, desc, v, ok, rv, rok)
			}
		case p < 60:
			desc = fmt.Sprintf("Set(%d,%d)", k, next)
			if err := c.Set(k, next); err != nil {
				t.Fatal(err)
			}
			ref.set(k, next)
		case p < 70:
			desc = fmt.Sprintf("Add(%d,%d)", k, next)
			err, rerr := c.Add(k, next), ref.add(k, next)
			if (err == nil) != (rerr == nil) {
				t.Fatalf("op %d %s = %v; reference %v", i, desc, err, rerr)
			}
		case p < 76:
			desc = fmt.Sprintf("Delete(%d)", k)
			_, rok := ref.pop(k)
			if ok := c.Delete(k); ok != rok {
				t.Fatalf("op %d %s = %v; reference %v", i, desc, ok, rok)
			}
		case p < 79:
			desc = "PopVictim()"
			k1, v1, ok1 := c.PopVictim()
			k2, v2, ok2 := ref.popVictim()
			if k1 != k2 || v1 != v2 || ok1 != ok2 {
				t.Fatalf("op %d %s = %d,%d,%v; reference %d,%d,%v", i, desc, k1, v1, ok1, k2, v2, ok2)
			}
		case p < 85:
			// Keys without Sync, broken off early at a random point.
			desc = "Keys(no Sync)"
			want := ref.keys()
			stop := rng.IntN(len(want) + 1)
			var ks []int
			for k := range c.Keys() {
				if len(ks) == stop {
					break
				}
				ks = append(ks, k)
			}
			if !slices.Equal(ks, want[:stop]) {
				t.Fatalf("op %d %s:\n got  %v\n want %v", i, desc, ks, want[:stop])
			}
		case p < 88:
			// All, mutating the cache in the loop: each entry seen is
			// deleted, so the cache ends empty.
			desc = "All+Delete"
			want := ref.keys()
			var ks []int
			for k, v := range c.All() {
				ks = append(ks, k)
				rv := ref.index[k].Value.(*refEntry).v
				if v != rv {
					t.Fatalf("op %d %s: value of %d = %d, want %d", i, desc, k, v, rv)
				}
				if !c.Delete(k) {
					t.Fatalf("op %d %s: Delete(%d) in loop = false", i, desc, k)
				}
				ref.pop(k)
			}
			if !slices.Equal(ks, want) {
				t.Fatalf("op %d %s:\n got  %v\n want %v", i, desc, ks, want)
			}
		case p < 90:
			desc = "Backward+Values"
			want := ref.keys()
			slices.Reverse(want)
			var ks []int
			for k := range c.Backward() {
				ks = append(ks, k)
				// Insert during the loop: must not show up.
			}
			if !slices.Equal(ks, want) {
				t.Fatalf("op %d %s:\n got  %v\n want %v", i, desc, ks, want)
			}
			var vs, wantV []int
			for v := range c.Values() {
				vs = append(vs, v)
			}
			for e := ref.order.Front(); e != nil; e = e.Next() {
				wantV = append(wantV, e.Value.(*refEntry).v)
			}
			if !slices.Equal(vs, wantV) {
				t.Fatalf("op %d Values:\n got  %v\n want %v", i, vs, wantV)
			}
		case p < 93:
			desc = "Clone"
			d, err := c.Clone()
			if err != nil {
				t.Fatal(err)
			}
			olds = append(olds, c)
			c = d
			hits, misses = 0, 0
		case p < 96:
			n := 1 + rng.IntN(2*capacity)
			desc = fmt.Sprintf("Resize(%d)", n)
			if err := c.Resize(n); err != nil {
				t.Fatal(err)
			}
			ref.max = n
			ref.evict()
		case p < 98:
			desc = "Resize(back)"
			if err := c.Resize(capacity); err != nil {
				t.Fatal(err)
			}
			ref.max = capacity
			ref.evict()
		default:
			desc = "Clear"
			c.Clear()
			ref.clear()
		}
		checked = checkLenAndCalls(t, i, desc, c, ref, got, checked)
		if len(problems) > 0 {
			t.Fatalf("op %d %s: %v", i, desc, problems)
		}
	}
	st := c.Stats()
	if st.Hits != hits || st.Misses != misses || st.DroppedReads != 0 {
		t.Fatalf("stats hits/misses/dropped = %d/%d/%d, want %d/%d/0", st.Hits, st.Misses, st.DroppedReads, hits, misses)
	}
}

// lfuEveryOpRun drives an LFU cache from one goroutine with every operation
// (Touch, in-place Set, Clone, Resize, PopVictim, iteration without Sync,
// a listener that writes back into the cache) and returns its log.
func lfuEveryOpRun(t *testing.T, seed uint64, capacity, ops int) []string {
	rng := rand.New(rand.NewPCG(seed, 7))
	var log []string
	var c *concurrent.Cache[int, int]
	reentrant := true
	o := concurrent.Options[int, int]{
		MaxSize: capacity, Policy: concurrent.LFU, Seed: 42, RecordStats: true,
		OnEvict: func(k, v int, cause concurrent.Cause) {
			log = append(log, fmt.Sprintf("evict %d=%d %v", k, v, cause))
			if c.Len() > c.MaxSize() {
				t.Errorf("Len %d > MaxSize %d in listener", c.Len(), c.MaxSize())
			}
			// Write back into the cache: a Size victim with an odd value
			// comes back under a key of its own.
			if reentrant && cause == concurrent.Size && v%7 == 3 {
				_ = c.Set(k+1000, v+1)
			}
		},
	}
	var err error
	if c, err = concurrent.New(o); err != nil {
		t.Fatal(err)
	}
	var olds []*concurrent.Cache[int, int]
	defer func() {
		reentrant = false
		for _, x := range append(olds, c) {
			x.Close()
		}
	}()
	keys := 3*capacity + 3
	for i := range ops {
		k := int(float64(keys) * rng.Float64() * rng.Float64())
		switch p := rng.IntN(100); {
		case p < 40:
			v, ok := c.Get(k)
			log = append(log, fmt.Sprintf("get %d %d %v", k, v, ok))
		case p < 48:
			v, ok := c.Touch(k)
			log = append(log, fmt.Sprintf("touch %d %d %v", k, v, ok))
		case p < 70:
			_ = c.Set(k, i)
		case p < 80:
			log = append(log, fmt.Sprintf("add %d %v", k, c.Add(k, i)))
		case p < 85:
			log = append(log, fmt.Sprintf("del %d %v", k, c.Delete(k)))
		case p < 88:
			// The order All promises is PopVictim's.
			var first []int
			for k := range c.Keys() {
				first = append(first, k)
			}
			vk, _, ok := c.PopVictim()
			if ok != (len(first) > 0) || ok && vk != first[0] {
				t.Fatalf("op %d: PopVictim = %d,%v; Keys began %v", i, vk, ok, first[:min(3, len(first))])
			}
			log = append(log, fmt.Sprintf("keys %v", first))
		case p < 90:
			d, err := c.Clone()
			if err != nil {
				t.Fatal(err)
			}
			var a, b []int
			for k := range c.Keys() {
				a = append(a, k)
			}
			for k := range d.Keys() {
				b = append(b, k)
			}
			if !slices.Equal(a, b) {
				t.Fatalf("op %d: clone's order %v, original's %v", i, b, a)
			}
			olds = append(olds, c)
			c = d
		case p < 93:
			n := 1 + rng.IntN(2*capacity)
			if err := c.Resize(n); err != nil {
				t.Fatal(err)
			}
		case p < 95:
			if err := c.Resize(capacity); err != nil {
				t.Fatal(err)
			}
		case p < 96:
			c.Clear()
		default:
			for k := range c.Backward() {
				if k%2 == 0 {
					break
				}
			}
		}
		if c.Len() > c.MaxSize() {
			t.Fatalf("op %d: Len %d > MaxSize %d", i, c.Len(), c.MaxSize())
		}
	}
	st := c.Stats()
	log = append(log, fmt.Sprintf("stats %d %d %d", st.Hits, st.Misses, st.DroppedReads))
	return log
}

func TestLFUFromOneGoroutineIsDeterministicWithEveryOperation(t *testing.T) {
	for _, capacity := range []int{1, 2, 5, 40, 1100} {
		for seed := uint64(1); seed <= 2; seed++ {
			ops := 20000
			if concurrent.RaceEnabled {
				ops = 4000
			}
			a := lfuEveryOpRun(t, seed, capacity, ops)
			for range 2 {
				b := lfuEveryOpRun(t, seed, capacity, ops)
				if i := firstDiff(a, b); i >= 0 {
					t.Fatalf("cap %d seed %d: runs differ at %d: %q vs %q", capacity, seed, i, at(a, i), at(b, i))
				}
			}
		}
	}
}

// Clone racing writers of the original: every value stored in the original
// is reported exactly once by the original (by the end, after Close), and a
// clone, used by no one else and closed at once, reports exactly the values
// its All listed.
func TestCloneRacingWritersConservesValues(t *testing.T) {
	for _, pol := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		for _, withExpiry := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/expiry=%v", pol, withExpiry), func(t *testing.T) {
				cloneConservationRun(t, pol, withExpiry)
			})
		}
	}
}

func cloneConservationRun(t *testing.T, pol concurrent.Policy, withExpiry bool) {
	var mu sync.Mutex
	reports := map[int]int{}
	stored := map[int]bool{}
	expected := map[int]int{} // extra reports: copies in clones
	o := concurrent.Options[int, int]{
		MaxSize: 16, Policy: pol,
		OnEvict: func(k, v int, cause concurrent.Cause) {
			mu.Lock()
			reports[v]++
			mu.Unlock()
		},
	}
	if withExpiry {
		o.ExpireAfterWrite = time.Hour
	}
	c, err := concurrent.New(o)
	if err != nil {
		t.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	ops := 3000
	if concurrent.RaceEnabled {
		ops = 800
	}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 3))
			for range ops {
				k := r.IntN(40)
				switch p := r.IntN(100); {
				case p < 40:
					v := int(next.Add(1))
					if c.Set(k, v) == nil {
						mu.Lock()
						stored[v] = true
						mu.Unlock()
					}
				case p < 55:
					v := int(next.Add(1))
					if c.Add(k, v) == nil {
						mu.Lock()
						stored[v] = true
						mu.Unlock()
					}
				case p < 70:
					c.Get(k)
				case p < 78:
					c.Delete(k)
				case p < 84:
					c.PopVictim()
				case p < 88:
					_ = c.Resize(8 + r.IntN(16))
				default:
					if w != 0 {
						continue
					}
					d, err := c.Clone()
					if err != nil {
						t.Error(err)
						return
					}
					var copied []int // collected before taking mu: All may call the listener
					for _, v := range d.All() {
						copied = append(copied, v)
					}
					n := len(copied)
					mu.Lock()
					for _, v := range copied {
						expected[v]++
					}
					mu.Unlock()
					if n != d.Len() || d.Len() > d.MaxSize() {
						t.Errorf("clone: All listed %d, Len %d, MaxSize %d", n, d.Len(), d.MaxSize())
					}
					d.Close()
				}
			}
		}()
	}
	wg.Wait()
	c.Close()
	mu.Lock()
	defer mu.Unlock()
	bad := 0
	for v := range stored {
		if got, want := reports[v], 1+expected[v]; got != want && bad < 10 {
			bad++
			t.Errorf("value %d reported %d times, want %d", v, got, want)
		}
	}
	for v, n := range reports {
		if !stored[v] && bad < 10 {
			bad++
			t.Errorf("value %d never stored reported %d times", v, n)
		}
	}
}

// The LRU policy's eager mode holds at most 16,384 nodes; a cache that
// grows past that while eager goes back to lazy restamping. The order must
// stay a textbook LRU's through both switches.
func TestLRUEagerLazySwitchOnALargeCache(t *testing.T) {
	const big = 20000
	ref := newRefLRU(big)
	var got []string
	c, err := concurrent.New(concurrent.Options[int, int]{
		MaxSize: big,
		OnEvict: func(k, v int, cause concurrent.Cause) { got = append(got, fmt.Sprintf("%d=%d:%v", k, v, cause)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	next := 0
	check := func(stage string) {
		t.Helper()
		if !slices.Equal(got, ref.log) {
			i := 0
			for i < min(len(got), len(ref.log)) && got[i] == ref.log[i] {
				i++
			}
			t.Fatalf("%s: listener calls differ at %d: got %v, want %v", stage, i, got[i:min(i+5, len(got))], ref.log[i:min(i+5, len(ref.log))])
		}
		if ks := slices.Collect(c.Keys()); !slices.Equal(ks, ref.keys()) {
			t.Fatalf("%s: Keys differ (len %d vs %d)", stage, len(ks), ref.order.Len())
		}
	}
	set := func(k int) {
		next++
		if err := c.Set(k, next); err != nil {
			t.Fatal(err)
		}
		ref.set(k, next)
	}
	get := func(k int) {
		v, ok := c.Get(k)
		rv, rok := ref.get(k)
		if v != rv || ok != rok {
			t.Fatalf("Get(%d) = %d,%v; want %d,%v", k, v, ok, rv, rok)
		}
	}
	resize := func(n int) {
		if err := c.Resize(n); err != nil {
			t.Fatal(err)
		}
		ref.max = n
		ref.evict()
	}
	mix := func(n, keys int) {
		for range n {
			k := rng.IntN(keys)
			if rng.IntN(2) == 0 {
				get(k)
			} else {
				set(k)
			}
		}
	}
	for k := range big {
		set(k)
	}
	mix(5000, big)
	check("filled")
	resize(50)
	mix(5000, 200) // evicting often: eager
	check("small")
	resize(big)
	for k := range big + 5000 {
		set(100000 + k) // grows past 16,384 nodes
		if k%97 == 0 {
			get(100000 + rng.IntN(k+1))
		}
	}
	check("grown")
	mix(20000, 3*big)
	check("mixed")
	mix(20000, big)
	check("hits")
}
