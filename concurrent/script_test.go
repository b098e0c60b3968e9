package concurrent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// A harness of random scripts of public operations, run in fresh LFU
// caches under several variants that must not change what the caller
// observes (Sync calls, snapshots, a Clone that replaces the cache,
// GOMAXPROCS), with the bound and PopVictim == first of Keys checked
// after every operation.

type scOp struct {
	kind int
	key  int
	arg  int
}

const (
	scGet = iota
	scSet
	scAdd
	scDelete
	scPop
	scTouch
	scContains
	scPopVictim
	scGetOrLoad
	scLoadMissed
	scResize
	scClear
	scAdvance
	scNumOps
)

// scScript makes n operations over keys drawn in phases: uniform, skewed,
// and a zigzag sweep (which makes a small cache's duel switch to LRU mode);
// zig makes most phases sweeps.
func scScript(seed uint64, n, size int, resizes []int, clears bool, expiry bool, zig bool) []scOp {
	r := rand.New(rand.NewPCG(seed, 99))
	ops := make([]scOp, 0, n)
	span := size + size/4 + 2
	phase, step := 0, 0
	key := func() int {
		switch phase % 3 {
		case 0:
			return r.IntN(3 * span)
		case 1:
			if r.IntN(2) == 0 {
				return r.IntN(max(size/4, 2))
			}
			return r.IntN(5 * span)
		default:
			i := step % (2 * span)
			if i >= span {
				i = 2*span - 1 - i
			}
			step++
			return 10_000_000 + i
		}
	}
	for i := range n {
		if i%max(3*size, 300) == 0 {
			phase = r.IntN(3)
			if zig && r.IntN(4) != 0 {
				phase = 2
			}
		}
		k := key()
		var op scOp
		x := r.IntN(1000)
		switch {
		case x < 380:
			op = scOp{kind: scGet, key: k}
		case x < 560:
			op = scOp{kind: scSet, key: k}
		case x < 640:
			op = scOp{kind: scAdd, key: k}
		case x < 680:
			op = scOp{kind: scDelete, key: k}
		case x < 700:
			op = scOp{kind: scPop, key: k}
		case x < 740:
			op = scOp{kind: scTouch, key: k}
		case x < 760:
			op = scOp{kind: scContains, key: k}
		case x < 775:
			op = scOp{kind: scPopVictim}
		case x < 880:
			op = scOp{kind: scGetOrLoad, key: k, arg: r.IntN(10)}
		case x < 980:
			op = scOp{kind: scLoadMissed, key: k}
		case x < 987:
			if len(resizes) > 0 && (!zig || r.IntN(15) == 0) {
				op = scOp{kind: scResize, arg: resizes[r.IntN(len(resizes))]}
			} else {
				op = scOp{kind: scGet, key: k}
			}
		case x < 988:
			if clears && r.IntN(10) == 0 {
				op = scOp{kind: scClear}
			} else {
				op = scOp{kind: scGet, key: k}
			}
		default:
			if expiry {
				op = scOp{kind: scAdvance, arg: r.IntN(400)}
			} else {
				op = scOp{kind: scGet, key: k}
			}
		}
		ops = append(ops, op)
	}
	return ops
}

type scVariant struct {
	syncEvery  int // Sync after every op i with i%syncEvery == syncEvery-1 (0: never)
	snapEvery  int // Keys/Values/All/Backward checks every snapEvery ops (0: never), and before each PopVictim
	cloneAt    []int
	cloneKeep  bool // clone, close the clone, keep going with the original
	reentrant  bool // the listener calls back into the cache
	expiryKind int
	procs      int
	expiry     bool
	checkBound bool
}

type scResult struct {
	trace   []string
	expired []string
	lruOps  int // ops run while the policy was in LRU mode (for coverage only)
}

func scRun(t *testing.T, seed uint64, size int, ops []scOp, v scVariant) scResult {
	t.Helper()
	if v.procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(v.procs))
	}
	var res scResult
	var mu sync.Mutex
	muted := false
	var c *Cache[int, int]
	depth := 0
	onEvict := func(k int, val int, cause Cause) {
		mu.Lock()
		if muted || cause == Closed {
			mu.Unlock()
			return
		}
		s := fmt.Sprintf("  evict %d=%d %v", k, val, cause)
		if cause == Expired {
			res.expired = append(res.expired, s)
			mu.Unlock()
			return
		}
		res.trace = append(res.trace, s)
		mu.Unlock()
		if v.reentrant && cause == Size && depth < 2 {
			depth++
			x, ok := c.Get(k / 2)
			s := fmt.Sprintf("  nested get %d -> %d %v", k/2, x, ok)
			if k%4 == 0 {
				s += fmt.Sprintf("; set %d -> %v", -k-1, c.Set(-k-1, val))
			}
			if k%11 == 0 {
				pk, pv, ok := c.PopVictim()
				s += fmt.Sprintf("; popvictim %d %d %v", pk, pv, ok)
			}
			if k%13 == 0 {
				m := c.MaxSize()
				if m > 3 {
					m--
				} else {
					m += 5
				}
				s += fmt.Sprintf("; resize %d -> %v", m, c.Resize(m))
			}
			if k%17 == 0 {
				s += fmt.Sprintf("; keys %v", slices.Collect(c.Keys()))
			}
			if k%7 == 0 {
				_, err := c.GetOrLoad(context.Background(), k+1, func(context.Context) (int, error) { return -val, nil })
				s += fmt.Sprintf("; load %d -> %v", k+1, err)
			}
			depth--
			mu.Lock()
			res.trace = append(res.trace, s)
			mu.Unlock()
		}
	}
	o := Options[int, int]{MaxSize: size, Policy: LFU, Seed: seed, OnEvict: onEvict}
	var clk *FakeClock
	if v.expiry {
		clk = NewFakeClock()
		o.Clock = clk
		o.ExpireAfterWrite = 50 * time.Second
		o.ExpireAfterAccess = 20 * time.Second
		switch v.expiryKind {
		case 1:
			o.ExpireAfterAccess = 0
			o.ExpireAfterWrite = 3 * time.Second
		case 2:
			o.ExpireAfterWrite = 0
			o.ExpireAfterAccess = 2 * time.Second
		}
	}
	var err error
	c, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
	}()
	ctx := context.Background()
	add := func(format string, a ...any) {
		mu.Lock()
		res.trace = append(res.trace, fmt.Sprintf(format, a...))
		mu.Unlock()
	}
	loadErr := errors.New("load failed")
	snap := func(i int) {
		keys := slices.Collect(c.Keys())
		var vals, allK, back []int
		for x := range c.Values() {
			vals = append(vals, x)
		}
		for k := range c.All() {
			allK = append(allK, k)
		}
		for k := range c.Backward() {
			back = append(back, k)
		}
		slices.Reverse(back)
		if !slices.Equal(keys, allK) || !slices.Equal(keys, back) || len(vals) != len(keys) {
			t.Fatalf("op %d: Keys %v, All %v, reversed Backward %v disagree", i, keys, allK, back)
		}
		if len(keys) != c.Len() {
			t.Fatalf("op %d: Keys has %d keys, Len is %d", i, len(keys), c.Len())
		}
	}
	cloneIdx := 0
	for i, op := range ops {
		if cloneIdx < len(v.cloneAt) && v.cloneAt[cloneIdx] == i {
			cloneIdx++
			d, err := c.Clone()
			if err != nil {
				t.Fatal(err)
			}
			if v.cloneKeep {
				d.Close()
			} else {
				c.Close()
				c = d
			}
		}
		var want []int
		if v.snapEvery > 0 && (op.kind == scPopVictim || i%v.snapEvery == 0) {
			snap(i)
			want = slices.Collect(c.Keys())
		}
		switch op.kind {
		case scGet:
			x, ok := c.Get(op.key)
			add("%d get %d -> %d %v", i, op.key, x, ok)
		case scSet:
			err := c.Set(op.key, i)
			add("%d set %d -> %v", i, op.key, err)
		case scAdd:
			err := c.Add(op.key, i)
			add("%d add %d -> %v", i, op.key, err)
		case scDelete:
			add("%d delete %d -> %v", i, op.key, c.Delete(op.key))
		case scPop:
			x, err := c.Pop(op.key)
			add("%d pop %d -> %d %v", i, op.key, x, err)
		case scTouch:
			x, ok := c.Touch(op.key)
			add("%d touch %d -> %d %v", i, op.key, x, ok)
		case scContains:
			add("%d contains %d -> %v", i, op.key, c.Contains(op.key))
		case scPopVictim:
			k, x, ok := c.PopVictim()
			add("%d popvictim -> %d %d %v", i, k, x, ok)
			if want != nil {
				if ok != (len(want) > 0) || ok && k != want[0] {
					t.Fatalf("op %d: PopVictim = %d %v; Keys() before it began %v", i, k, ok, want[:min(len(want), 8)])
				}
			}
		case scGetOrLoad:
			x, err := c.GetOrLoad(ctx, op.key, func(context.Context) (int, error) {
				if op.arg == 0 {
					return -1, loadErr
				}
				return i, nil
			})
			add("%d getorload %d -> %d %v", i, op.key, x, err)
		case scLoadMissed:
			x, ok := c.Get(op.key)
			if ok {
				add("%d get/loadmissed %d -> hit %d", i, op.key, x)
				break
			}
			x, err := c.LoadMissed(ctx, op.key, func(context.Context) (int, error) { return i, nil })
			add("%d get/loadmissed %d -> miss, loaded %d %v", i, op.key, x, err)
		case scResize:
			err := c.Resize(op.arg)
			add("%d resize %d -> %v", i, op.arg, err)
		case scClear:
			c.Clear()
			add("%d clear", i)
		case scAdvance:
			clk.Advance(time.Duration(op.arg) * 100 * time.Millisecond)
			add("%d advance %d", i, op.arg)
		}
		if v.checkBound && c.Len() > c.MaxSize() {
			t.Fatalf("op %d (%+v): Len() = %d > MaxSize() = %d", i, op, c.Len(), c.MaxSize())
		}
		if !v.expiry {
			add("%d len %d", i, c.Len())
		}
		if v.syncEvery > 0 && i%v.syncEvery == v.syncEvery-1 {
			c.Sync()
		}
		if wt, ok := c.pol.(*wtinylfu[int, int]); ok {
			c.mu.Lock()
			if wt.lruMode {
				res.lruOps++
			}
			c.mu.Unlock()
		}
	}
	c.Sync()
	closed = true
	c.Close() // waits for the maintenance goroutine's listener calls
	mu.Lock()
	defer mu.Unlock()
	return scResult{trace: slices.Clone(res.trace), expired: slices.Clone(res.expired), lruOps: res.lruOps}
}

func scEvery(n, k int) []int {
	var s []int
	for i := n / k; i < n; i += n / k {
		s = append(s, i)
	}
	return s
}

func scFirstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			lo := max(0, i-6)
			return fmt.Sprintf("at line %d:\n--- base\n%s\n--- variant\n%s", i,
				strings.Join(a[lo:min(len(a), i+4)], "\n"), strings.Join(b[lo:min(len(b), i+4)], "\n"))
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("lengths %d vs %d", len(a), len(b))
	}
	return ""
}

// scCase is one cache of TestLFUScriptVariantsAgree: its size, the sizes
// its script resizes it to, and what else the script does.
type scCase struct {
	size    int
	resizes []int
	clears  bool
	expiry  bool
	zig     bool // mostly zigzag sweeps: the duel switches to LRU mode
	reent   bool // the listener calls back into the cache
	ekind   int  // with expiry: 0 both kinds, 1 after write, 2 after access
}

// TestLFUScriptVariantsAgree runs random scripts of public operations in
// fresh LFU caches with a fixed seed, under variants that must not change
// anything the caller observes: the same script again, at GOMAXPROCS 1 and
// 2, with Sync after every operation or every seventh, with snapshots of
// Keys, Values, All and Backward between operations, and with the cache
// replaced by its Clone (or a Clone taken and dropped) along the way. Every
// result, every listener call with its cause (expirations as a set), and
// Len after each operation must be the same as in the base run; after every
// operation Len() <= MaxSize(), and PopVictim takes the first key of Keys.
// Sizes cross wtDuelSize, scripts resize across it and switch the duel to
// LRU mode, and listeners call back into the cache. (From a review
// harness; it found no defect when written, and guards what it checks.)
func TestLFUScriptVariantsAgree(t *testing.T) {
	n, seeds := 6000, uint64(2)
	if testing.Short() || raceEnabled {
		n, seeds = 1500, 1
	}
	cases := []scCase{
		{size: 8},
		{size: 64, resizes: []int{3, 30, 64, 100, 2000}, clears: true},
		{size: 300, resizes: []int{1, 50, 300, 1024, 1025, 1500}},
		{size: 1100, resizes: []int{200, 1024, 1100, 1500}},
		{size: 10, zig: true, resizes: []int{5, 10, 20}, reent: true},
		{size: 64, resizes: []int{32, 64, 128}, reent: true},
		{size: 40, zig: true, resizes: []int{20, 40, 80}, expiry: true},
		{size: 10, zig: true, resizes: []int{5, 10, 20}, expiry: true, ekind: 1},
		{size: 64, resizes: []int{32, 64, 128}, expiry: true, ekind: 2},
	}
	lruOps := 0
	for _, cs := range cases {
		for seed := uint64(1); seed <= seeds; seed++ {
			name := fmt.Sprintf("size=%d,resizes=%v,zig=%v,reentrant=%v,expiry=%v%d,seed=%d", cs.size, cs.resizes != nil, cs.zig, cs.reent, cs.expiry, cs.ekind, seed)
			t.Run(name, func(t *testing.T) {
				ops := scScript(seed, n, cs.size, cs.resizes, cs.clears, cs.expiry, cs.zig)
				base := scRun(t, seed, cs.size, ops, scVariant{expiry: cs.expiry, checkBound: true, procs: 2, reentrant: cs.reent, expiryKind: cs.ekind})
				lruOps += base.lruOps
				variants := map[string]scVariant{
					"again":     {procs: 2},
					"procs1":    {procs: 1},
					"sync":      {syncEvery: 7, procs: 2, checkBound: true},
					"sync1":     {syncEvery: 1, procs: 1},
					"snapshot":  {snapEvery: 97, procs: 2},
					"clonekeep": {cloneKeep: true, cloneAt: []int{n / 7, n / 3, n / 2, 2 * n / 3}, procs: 1},
					"clone":     {cloneAt: scEvery(n, 41), procs: 2, checkBound: true},
				}
				for _, vname := range slices.Sorted(maps.Keys(variants)) {
					v := variants[vname]
					v.expiry, v.reentrant, v.expiryKind = cs.expiry, cs.reent, cs.ekind
					got := scRun(t, seed, cs.size, ops, v)
					if d := scFirstDiff(base.trace, got.trace); d != "" {
						t.Errorf("variant %s differs from the base run %s", vname, d)
					}
					a, b := slices.Sorted(slices.Values(base.expired)), slices.Sorted(slices.Values(got.expired))
					if d := scFirstDiff(a, b); d != "" {
						t.Errorf("variant %s: expired entries differ %s", vname, d)
					}
				}
			})
		}
	}
	if lruOps == 0 {
		t.Error("no script ran while the duel was in LRU mode: the zigzag cases no longer cover it")
	}
}
