package concurrent_test

import (
	"container/list"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clientcache/clientcache/concurrent"
)

// refLRU is the obviously-correct reference: a map and a container/list, front
// = least recently used. It mirrors the documented semantics of every Cache
// method and logs listener calls the way OnEvict receives them.
type refLRU struct {
	max   int
	order *list.List // of *refEntry
	index map[int]*list.Element
	log   []string
}

type refEntry struct{ k, v int }

func newRefLRU(max int) *refLRU {
	return &refLRU{max: max, order: list.New(), index: map[int]*list.Element{}}
}

func (r *refLRU) note(k, v int, cause concurrent.Cause) {
	r.log = append(r.log, fmt.Sprintf("%d=%d:%v", k, v, cause))
}

func (r *refLRU) get(k int) (int, bool) {
	e, ok := r.index[k]
	if !ok {
		return 0, false
	}
	r.order.MoveToBack(e)
	return e.Value.(*refEntry).v, true
}

func (r *refLRU) evict() {
	for r.order.Len() > r.max {
		e := r.order.Front()
		x := r.order.Remove(e).(*refEntry)
		delete(r.index, x.k)
		r.note(x.k, x.v, concurrent.Size)
	}
}

func (r *refLRU) add(k, v int) error {
	if _, ok := r.index[k]; ok {
		return concurrent.ErrExists
	}
	r.index[k] = r.order.PushBack(&refEntry{k, v})
	r.evict()
	return nil
}

func (r *refLRU) set(k, v int) {
	if e, ok := r.index[k]; ok {
		x := e.Value.(*refEntry)
		r.note(k, x.v, concurrent.Replaced)
		x.v = v
		r.order.MoveToBack(e)
		return
	}
	_ = r.add(k, v)
}

func (r *refLRU) pop(k int) (int, bool) {
	e, ok := r.index[k]
	if !ok {
		return 0, false
	}
	x := r.order.Remove(e).(*refEntry)
	delete(r.index, k)
	r.note(k, x.v, concurrent.Explicit)
	return x.v, true
}

func (r *refLRU) popVictim() (int, int, bool) {
	e := r.order.Front()
	if e == nil {
		return 0, 0, false
	}
	x := e.Value.(*refEntry)
	r.pop(x.k)
	return x.k, x.v, true
}

func (r *refLRU) keys() []int {
	var ks []int
	for e := r.order.Front(); e != nil; e = e.Next() {
		ks = append(ks, e.Value.(*refEntry).k)
	}
	return ks
}

func (r *refLRU) clear() {
	for e := r.order.Front(); e != nil; e = e.Next() {
		x := e.Value.(*refEntry)
		r.note(x.k, x.v, concurrent.Cleared)
	}
	r.order.Init()
	r.index = map[int]*list.Element{}
}

// TestLRUMatchesReferenceModel drives the cache and the reference with the
// same 100k random operations (fixed seeds, so a failure replays) and
// compares every result, every listener call, the size after every
// operation, and the full eviction order after Sync.
func TestLRUMatchesReferenceModel(t *testing.T) {
	ops := 100_000
	if testing.Short() || concurrent.RaceEnabled {
		ops = 20_000
	}
	for _, capacity := range []int{1, 2, 10, 1000} {
		t.Run(fmt.Sprintf("cap=%d", capacity), func(t *testing.T) {
			seed := uint64(capacity) * 7919
			runLRUModel(t, capacity, ops, seed)
		})
	}
}

func runLRUModel(t *testing.T, capacity, ops int, seed uint64) {
	t.Helper()
	runLRUModelFrom(t, capacity, ops, rand.New(rand.NewPCG(seed, 42)))
}

// FuzzLRUMatchesReferenceModel runs the checks of
// TestLRUMatchesReferenceModel on operations chosen by the fuzzer's bytes
// (one byte per choice, 0 once they run out) instead of a random stream,
// at capacities 1 to 16. It is slower than the other targets (a run of a
// few thousand operations takes milliseconds); scripts/fuzz.sh gives it a
// smaller budget.
func FuzzLRUMatchesReferenceModel(f *testing.F) {
	// Each operation is a key byte and a choice byte (see runLRUModelFrom:
	// below 40 Get, 60 Set, 72 Add, 80 Delete, 85 Pop, 88 PopVictim, 93
	// Contains, 98 Sync+Keys, 99 Resize to a third byte, then Clear or Resize
	// back by a third byte).
	// Capacity 1: Set 0, Set 1 (evicts 0), Get 0, Get 1, Add 1, PopVictim, Keys.
	f.Add(uint8(0), []byte{0, 50, 1, 50, 0, 0, 1, 0, 1, 65, 0, 86, 0, 95})
	// Capacity 3: Set 1 2 3, Get 1, Add 4 (evicts 2), Add 4 again, Set 1
	// (replaces), Delete 3, Pop 4, Contains 1, Set 5 6, PopVictim, Keys,
	// Resize(1), Keys, Resize back, Clear, Keys.
	f.Add(uint8(2), []byte{1, 50, 2, 50, 3, 50, 1, 0, 4, 65, 4, 65, 1, 55, 3, 75, 4, 82, 1, 90,
		5, 50, 6, 50, 0, 86, 0, 95, 0, 98, 0, 0, 95, 0, 99, 5, 0, 99, 0, 0, 95})
	// Capacity 8, over 1,024 operations each: Sets that all evict (the
	// policy turns eager), Sets and hits that evict nothing (back to lazy),
	// then a mix of every operation.
	var long []byte
	for i := range 1100 {
		long = append(long, byte(i%18), 50)
	}
	for i := range 1100 {
		long = append(long, byte(i%8), 50, byte(i%8), 0)
	}
	for i := range 1100 {
		long = append(long, byte(i*7), byte(i*13))
	}
	f.Add(uint8(7), long)
	f.Fuzz(func(t *testing.T, capacity uint8, ops []byte) {
		// At most about 4,000 operations, so that every run is quick:
		// enough for the policy to change modes twice.
		ops = ops[:min(len(ops), 8192)]
		runLRUModelFrom(t, 1+int(capacity%16), len(ops)/2, &byteChoices{b: ops})
	})
}

// byteChoices makes each choice of a model run from the next byte.
type byteChoices struct{ b []byte }

func (c *byteChoices) IntN(n int) int {
	if len(c.b) == 0 {
		return 0
	}
	v := int(c.b[0]) % n
	c.b = c.b[1:]
	return v
}

func runLRUModelFrom(t *testing.T, capacity, ops int, rng interface{ IntN(int) int }) {
	t.Helper()
	ref := newRefLRU(capacity)
	var got []string
	c := newModelCache(t, capacity, &got)
	defer c.Close()

	keySpace := 2*capacity + 2
	next := 0 // values are unique, so a wrong or stale value shows
	var hits, misses uint64
	checked := 0 // listener calls already compared
	for i := 0; i < ops; i++ {
		k := rng.IntN(keySpace)
		next++
		var desc string
		switch p := rng.IntN(100); {
		case p < 40:
			desc = fmt.Sprintf("Get(%d)", k)
			if checkGet(t, i, desc, c, ref, k) {
				hits++
			} else {
				misses++
			}
		case p < 60:
			desc = fmt.Sprintf("Set(%d,%d)", k, next)
			if err := c.Set(k, next); err != nil {
				t.Fatalf("op %d %s: %v", i, desc, err)
			}
			ref.set(k, next)
		case p < 72:
			desc = fmt.Sprintf("Add(%d,%d)", k, next)
			err, rerr := c.Add(k, next), ref.add(k, next)
			if !errors.Is(err, rerr) || (err == nil) != (rerr == nil) {
				t.Fatalf("op %d %s = %v; reference %v", i, desc, err, rerr)
			}
		case p < 80:
			desc = fmt.Sprintf("Delete(%d)", k)
			_, rok := ref.pop(k)
			if ok := c.Delete(k); ok != rok {
				t.Fatalf("op %d %s = %v; reference %v", i, desc, ok, rok)
			}
		case p < 85:
			desc = fmt.Sprintf("Pop(%d)", k)
			v, err := c.Pop(k)
			rv, rok := ref.pop(k)
			if (err == nil) != rok || v != rv || (err != nil && !errors.Is(err, concurrent.ErrNotFound)) {
				t.Fatalf("op %d %s = %d,%v; reference %d,%v", i, desc, v, err, rv, rok)
			}
		case p < 88:
			desc = "PopVictim()"
			k1, v1, ok1 := c.PopVictim()
			k2, v2, ok2 := ref.popVictim()
			if k1 != k2 || v1 != v2 || ok1 != ok2 {
				t.Fatalf("op %d %s = %d,%d,%v; reference %d,%d,%v", i, desc, k1, v1, ok1, k2, v2, ok2)
			}
		case p < 93:
			desc = fmt.Sprintf("Contains(%d)", k)
			_, rok := ref.index[k]
			if ok := c.Contains(k); ok != rok {
				t.Fatalf("op %d %s = %v; reference %v", i, desc, ok, rok)
			}
		case p < 98:
			desc = "Sync+Keys"
			c.Sync()
			if gotKeys, want := slices.Collect(c.Keys()), ref.keys(); !slices.Equal(gotKeys, want) {
				t.Fatalf("op %d %s:\n got  %v\n want %v", i, desc, gotKeys, want)
			}
			// Backward: the same copy, sorted after the lock, in reverse.
			var back []int
			for k := range c.Backward() {
				back = append(back, k)
			}
			want := ref.keys()
			slices.Reverse(want)
			if !slices.Equal(back, want) {
				t.Fatalf("op %d %s, Backward:\n got  %v\n want %v", i, desc, back, want)
			}
		case p < 99:
			n := 1 + rng.IntN(2*capacity)
			desc = fmt.Sprintf("Resize(%d)", n)
			if err := c.Resize(n); err != nil {
				t.Fatalf("op %d %s: %v", i, desc, err)
			}
			ref.max = n
			ref.evict()
		default:
			if rng.IntN(10) == 0 {
				desc = "Clear()"
				c.Clear()
				ref.clear()
			} else {
				desc = "Resize(back)"
				if err := c.Resize(capacity); err != nil {
					t.Fatal(err)
				}
				ref.max = capacity
				ref.evict()
			}
		}
		// The bound is hard: never exceeded, not even between Syncs.
		checked = checkLenAndCalls(t, i, desc, c, ref, got, checked)
	}
	st := c.Stats()
	if st.Hits != hits || st.Misses != misses || st.DroppedReads != 0 {
		t.Fatalf("stats hits/misses/dropped = %d/%d/%d, want %d/%d/0", st.Hits, st.Misses, st.DroppedReads, hits, misses)
	}
	if st.Removed(concurrent.Size) != countCause(ref.log, concurrent.Size) {
		t.Fatalf("stats Size evictions = %d, reference %d", st.Removed(concurrent.Size), countCause(ref.log, concurrent.Size))
	}
}

func countCause(log []string, cause concurrent.Cause) uint64 {
	var n uint64
	suffix := ":" + cause.String()
	for _, l := range log {
		if len(l) >= len(suffix) && l[len(l)-len(suffix):] == suffix {
			n++
		}
	}
	return n
}

// checkGet runs Get(k) on c and on the reference, fails t at operation i
// (desc) if they differ, and reports whether it hit.
func checkGet(t *testing.T, i int, desc string, c *concurrent.Cache[int, int], ref *refLRU, k int) bool {
	t.Helper()
	v, ok := c.Get(k)
	rv, rok := ref.get(k)
	if ok != rok || v != rv {
		t.Fatalf("op %d %s = %d,%v; reference %d,%v", i, desc, v, ok, rv, rok)
	}
	return ok
}

// newModelCache returns an LRU cache of capacity, with stats, whose
// listener logs its calls to *got as the reference logs them.
func newModelCache(t *testing.T, capacity int, got *[]string) *concurrent.Cache[int, int] {
	t.Helper()
	c, err := concurrent.New(concurrent.Options[int, int]{
		MaxSize:     capacity,
		RecordStats: true,
		OnEvict: func(k, v int, cause concurrent.Cause) {
			*got = append(*got, fmt.Sprintf("%d=%d:%v", k, v, cause))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkLenAndCalls fails t at operation i (desc) unless c holds as many
// entries as the reference, within its bound, and the listener calls from
// checked on (made before the operation returned, in order) are the
// reference's. It returns how many calls are checked now.
func checkLenAndCalls(t *testing.T, i int, desc string, c *concurrent.Cache[int, int], ref *refLRU, got []string, checked int) int {
	t.Helper()
	if c.Len() != ref.order.Len() || c.Len() > c.MaxSize() {
		t.Fatalf("op %d %s: Len %d, reference %d, MaxSize %d", i, desc, c.Len(), ref.order.Len(), c.MaxSize())
	}
	if !slices.Equal(got[checked:], ref.log[checked:]) {
		t.Fatalf("op %d %s: listener calls differ:\n got  %v\n want %v", i, desc, got[checked:], ref.log[checked:])
	}
	return len(got)
}
