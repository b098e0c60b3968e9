package concurrent_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientcache/clientcache/concurrent"
)

// A conservation harness: every value handed to the cache (stored by Add or
// Set, or loaded by GetOrLoad) is reported to OnEvict exactly once by the end
// (after Close), values that were rejected are never reported, Pop's and
// PopVictim's values are reported Explicit, stats agree with the listener,
// and a quiescent cache's All agrees with Len and with what was stored and
// not yet reported.

type consCfg struct {
	policy     concurrent.Policy
	eaw, eaa   time.Duration
	workers    int
	ops        int
	reentrant  bool
	closeRaces bool
	realClock  bool
}

type consLedger struct {
	mu       sync.Mutex
	stored   map[int]string // value -> how it entered
	rejected map[int]bool   // values the cache refused
	reports  map[int][]concurrent.Cause
	explicit map[int]string // values returned by Pop/PopVictim
	byCause  [16]uint64
	next     atomic.Int64
}

func (l *consLedger) fresh() int { return int(l.next.Add(1)) }

func (l *consLedger) store(v int, how string) {
	l.mu.Lock()
	l.stored[v] = how
	l.mu.Unlock()
}

func (l *consLedger) reject(v int) {
	l.mu.Lock()
	l.rejected[v] = true
	l.mu.Unlock()
}

func (l *consLedger) popped(v int, how string) {
	l.mu.Lock()
	l.explicit[v] = how
	l.mu.Unlock()
}

func runConservation(t *testing.T, cfg consCfg, seed uint64) {
	t.Helper()
	led := &consLedger{stored: map[int]string{}, rejected: map[int]bool{}, reports: map[int][]concurrent.Cause{}, explicit: map[int]string{}}
	const keys = 12
	var c *concurrent.Cache[int, int]
	var ready atomic.Bool
	reentry := rand.New(rand.NewPCG(seed, 7))
	var reMu sync.Mutex
	opts := concurrent.Options[int, int]{
		MaxSize:           4,
		Policy:            cfg.policy,
		ExpireAfterWrite:  cfg.eaw,
		ExpireAfterAccess: cfg.eaa,
		RecordStats:       true,
		Seed:              seed | 1,
	}
	var clk *concurrent.FakeClock
	if (cfg.eaw > 0 || cfg.eaa > 0) && !cfg.realClock {
		clk = concurrent.NewFakeClock()
		opts.Clock = clk
	}
	opts.OnEvict = func(k, v int, cause concurrent.Cause) {
		led.mu.Lock()
		led.reports[v] = append(led.reports[v], cause)
		led.byCause[cause]++
		led.mu.Unlock()
		if !cfg.reentrant || !ready.Load() {
			return
		}
		reMu.Lock()
		op, key := reentry.IntN(10), reentry.IntN(keys)
		reMu.Unlock()
		switch op {
		case 0:
			c.Get(key)
		case 1:
			nv := led.fresh()
			switch err := c.Set(key, nv); {
			case err == nil:
				led.store(nv, "reentrant Set")
			case errors.Is(err, concurrent.ErrClosed):
				led.reject(nv)
			default:
				panic(err)
			}
		case 2:
			if v, err := c.Pop(key); err == nil {
				led.popped(v, "reentrant Pop")
			}
		case 3:
			if _, v, ok := c.PopVictim(); ok {
				led.popped(v, "reentrant PopVictim")
			}
		case 4:
			_ = c.Resize(1 + key%5)
		case 5:
			if key == 0 {
				c.Clear()
			}
		case 6:
			c.Sync()
		case 7:
			for range c.All() {
			}
		case 8:
			nv := led.fresh()
			switch err := c.Add(key, nv); {
			case err == nil:
				led.store(nv, "reentrant Add")
			case errors.Is(err, concurrent.ErrClosed), errors.Is(err, concurrent.ErrExists):
				led.reject(nv)
			default:
				panic(err)
			}
		case 9:
			_, _ = c.GetOrLoad(context.Background(), key, func(context.Context) (int, error) {
				v := led.fresh()
				led.store(v, "reentrant load")
				return v, nil
			})
		}
	}
	var err error
	c, err = concurrent.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ready.Store(true)

	work := func(w int, n int) {
		r := rand.New(rand.NewPCG(seed, uint64(w)+100))
		for range n {
			k := r.IntN(keys)
			switch op := r.IntN(20); op {
			case 0, 1, 2:
				c.Get(k)
			case 3:
				c.Touch(k)
			case 4:
				c.Contains(k)
			case 5, 6:
				v := led.fresh()
				switch err := c.Add(k, v); {
				case err == nil:
					led.store(v, "Add")
				case errors.Is(err, concurrent.ErrExists), errors.Is(err, concurrent.ErrClosed):
					led.reject(v)
				default:
					panic(err)
				}
			case 7, 8, 9:
				v := led.fresh()
				switch err := c.Set(k, v); {
				case err == nil:
					led.store(v, "Set")
				case errors.Is(err, concurrent.ErrClosed):
					led.reject(v)
				default:
					panic(err)
				}
			case 10:
				c.Delete(k)
			case 11:
				if v, err := c.Pop(k); err == nil {
					led.popped(v, "Pop")
				}
			case 12:
				if _, v, ok := c.PopVictim(); ok {
					led.popped(v, "PopVictim")
				}
			case 13:
				_, _ = c.GetOrLoad(context.Background(), k, func(context.Context) (int, error) {
					v := led.fresh()
					led.store(v, "load")
					return v, nil
				})
			case 14:
				_ = c.Resize(1 + r.IntN(6))
			case 15:
				if r.IntN(4) == 0 {
					c.Clear()
				}
			case 16:
				c.Sync()
			case 17:
				for range c.All() {
				}
			case 18:
				if clk != nil {
					clk.Advance(time.Duration(r.IntN(4)) * time.Millisecond)
				}
			case 19:
				c.Stats()
			}
		}
	}
	var wg sync.WaitGroup
	for w := range cfg.workers {
		wg.Add(1)
		go func() { defer wg.Done(); work(w, cfg.ops) }()
	}
	wg.Wait()

	// Quiescent: Sync, then All must agree with Len and with the ledger.
	check := func() error {
		c.Sync()
		got := map[int]bool{}
		n := 0
		for _, v := range c.All() {
			got[v] = true
			n++
		}
		if n != c.Len() {
			return fmt.Errorf("All yields %d entries, Len %d", n, c.Len())
		}
		led.mu.Lock()
		defer led.mu.Unlock()
		for v := range got {
			if len(led.reports[v]) != 0 {
				return fmt.Errorf("value %d is in the cache and was reported %v", v, led.reports[v])
			}
		}
		for v, how := range led.stored {
			if len(led.reports[v]) == 0 && !got[v] {
				return fmt.Errorf("value %d (%s) is neither in the cache nor reported", v, how)
			}
		}
		return nil
	}
	var qerr error
	for range 50 { // listener calls of the maintenance goroutine may still run
		if qerr = check(); qerr == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if qerr != nil {
		t.Errorf("quiescent: %v", qerr)
	}

	if cfg.closeRaces {
		var wg2 sync.WaitGroup
		for w := range cfg.workers {
			wg2.Add(1)
			go func() { defer wg2.Done(); work(w+50, cfg.ops/4) }()
		}
		time.Sleep(time.Millisecond)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		wg2.Wait()
	} else if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	led.mu.Lock()
	defer led.mu.Unlock()
	errorf := firstErrors(t, "")
	for v, how := range led.stored {
		if rs := led.reports[v]; len(rs) != 1 {
			errorf("value %d (%s): reported %d times %v, want once", v, how, len(rs), rs)
		}
	}
	for v := range led.rejected {
		if rs := led.reports[v]; len(rs) != 0 {
			errorf("rejected value %d: reported %v", v, rs)
		}
	}
	for v := range led.reports {
		if _, ok := led.stored[v]; !ok {
			errorf("value %d reported %v but never stored", v, led.reports[v])
		}
	}
	for v, how := range led.explicit {
		if rs := led.reports[v]; len(rs) != 1 || rs[0] != concurrent.Explicit {
			errorf("value %d returned by %s: reported %v, want [Explicit]", v, how, rs)
		}
	}
	st := c.Stats()
	for cause := concurrent.Explicit; cause <= concurrent.Discarded; cause++ {
		if st.Removed(cause) != led.byCause[cause] {
			errorf("Stats.Removed(%v) = %d, listener saw %d", cause, st.Removed(cause), led.byCause[cause])
		}
	}
	if cfg.eaw == 0 && cfg.eaa == 0 && led.byCause[concurrent.Expired] != 0 {
		errorf("%d Expired removals without expiry", led.byCause[concurrent.Expired])
	}
	if st.Len != 0 {
		errorf("Len after Close = %d", st.Len)
	}
}

func TestConservationOfValues(t *testing.T) {
	// CLIENTCACHE_CONSERVATION_SEEDS=n (and _BASE=b) runs seeds b+1..b+n
	// instead.
	seeds := []uint64{1, 2}
	if n, _ := strconv.Atoi(os.Getenv("CLIENTCACHE_CONSERVATION_SEEDS")); n > 0 {
		base, _ := strconv.Atoi(os.Getenv("CLIENTCACHE_CONSERVATION_BASE"))
		seeds = nil
		for i := range n {
			seeds = append(seeds, uint64(base+i+1))
		}
	}
	ops := 1000
	if testing.Short() {
		ops = 400
	}
	for _, pol := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		for _, exp := range []struct {
			name     string
			eaw, eaa time.Duration
			real     bool
		}{{"real", 300 * time.Microsecond, 200 * time.Microsecond, true}, {"none", 0, 0, false}, {"write", 5 * time.Millisecond, 0, false}, {"access", 0, 3 * time.Millisecond, false}, {"both", 8 * time.Millisecond, 3 * time.Millisecond, false}} {
			for _, re := range []bool{false, true} {
				for _, cr := range []bool{false, true} {
					name := fmt.Sprintf("%v/exp=%s/reentrant=%v/closeRaces=%v", pol, exp.name, re, cr)
					t.Run(name, func(t *testing.T) {
						for _, s := range seeds {
							runConservation(t, consCfg{policy: pol, eaw: exp.eaw, eaa: exp.eaa, workers: 4, ops: ops, reentrant: re, closeRaces: cr, realClock: exp.real}, s)
						}
					})
				}
			}
		}
	}
}

// From one goroutine, Hits+Misses equal the Gets (and GetOrLoads) made, and
// Hits equal the Gets that found their key.
func TestConservationStatsOneGoroutine(t *testing.T) {
	for _, pol := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		for _, exp := range []bool{false, true} {
			for _, re := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/expiry=%v/reentrant=%v", pol, exp, re), func(t *testing.T) {
					for seed := uint64(1); seed <= 5; seed++ {
						var c *concurrent.Cache[int, int]
						var hits, misses uint64
						var calls atomic.Uint64
						var clk *concurrent.FakeClock
						o := concurrent.Options[int, int]{MaxSize: 5, Policy: pol, RecordStats: true, Seed: seed}
						if exp {
							clk = concurrent.NewFakeClock()
							o.Clock, o.ExpireAfterAccess, o.ExpireAfterWrite = clk, 3*time.Millisecond, 7*time.Millisecond
						}
						var inListener atomic.Int32
						o.OnEvict = func(k, v int, cause concurrent.Cause) {
							calls.Add(1)
							if re && !exp && inListener.Add(1) == 1 { // only on the caller's goroutine
								if _, ok := c.Get(k + 1); ok {
									hits++
								} else {
									misses++
								}
								c.Touch(k + 2)
								_ = c.Set(k+3, v)
							}
							inListener.Add(-1)
						}
						var err error
						if c, err = concurrent.New(o); err != nil {
							t.Fatal(err)
						}
						r := rand.New(rand.NewPCG(seed, 3))
						for i := range 20000 {
							k := r.IntN(14)
							switch r.IntN(10) {
							case 0, 1, 2, 3:
								if _, ok := c.Get(k); ok {
									hits++
								} else {
									misses++
								}
							case 4:
								c.Touch(k)
							case 5, 6:
								_ = c.Set(k, i)
							case 7:
								_ = c.Add(k, i)
							case 8:
								c.Delete(k)
							case 9:
								if clk != nil {
									clk.Advance(time.Millisecond)
								} else {
									c.Contains(k)
								}
							}
						}
						st := c.Stats()
						if st.Hits != hits || st.Misses != misses {
							t.Fatalf("seed %d: Stats Hits %d Misses %d, want %d %d (DroppedReads %d)", seed, st.Hits, st.Misses, hits, misses, st.DroppedReads)
						}
						_ = c.Close()
					}
				})
			}
		}
	}
}

// firstErrors returns a t.Errorf that reports only the first ten failures,
// each after prefix: one broken invariant fails a run many times over.
func firstErrors(t *testing.T, prefix string) func(format string, args ...any) {
	bad := 0
	return func(format string, args ...any) {
		if bad++; bad <= 10 {
			t.Errorf(prefix+format, args...)
		}
	}
}

// loadLedger is consLedger for loads: it also keeps the values returned
// beside a loader error, and counts the loader calls.
type loadLedger struct {
	consLedger
	failed   map[int]bool // values returned beside a loader error: never reported
	okLoads  atomic.Uint64
	errLoads atomic.Uint64
}

// TestConservationOfLoadedValues: loads that succeed, fail, panic, time out,
// are abandoned by their waiters, or whose loaders write their own key,
// racing Set, Delete, Clear, Resize and Close: every loaded value is
// reported exactly once (stored then removed, or Discarded), no failed
// load's value is ever reported, and Stats agree with the loader calls and
// with the listener.
func TestConservationOfLoadedValues(t *testing.T) {
	for _, pol := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		for _, exp := range []time.Duration{0, 3 * time.Millisecond} {
			for _, closeRace := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/exp=%v/close=%v", pol, exp, closeRace), func(t *testing.T) {
					for seed := uint64(1); seed <= 3; seed++ {
						runLoadConservation(t, pol, exp, closeRace, seed)
					}
				})
			}
		}
	}
}

func runLoadConservation(t *testing.T, pol concurrent.Policy, exp time.Duration, closeRace bool, seed uint64) {
	t.Helper()
	led := &loadLedger{consLedger: consLedger{stored: map[int]string{}, reports: map[int][]concurrent.Cause{}}, failed: map[int]bool{}}
	const keys = 6
	var cRef atomic.Pointer[concurrent.Cache[int, int]]
	opts := concurrent.Options[int, int]{
		MaxSize: 3, Policy: pol, Seed: seed, LoadTimeout: 50 * time.Millisecond,
		OnEvict: func(k, v int, cause concurrent.Cause) {
			led.mu.Lock()
			led.reports[v] = append(led.reports[v], cause)
			led.byCause[cause]++
			led.mu.Unlock()
			if v%7 == 0 { // listeners may call back into the cache, loads included
				_, _ = cRef.Load().GetOrLoad(context.Background(), k, func(context.Context) (int, error) {
					nv := led.fresh()
					led.store(nv, "listener load")
					led.okLoads.Add(1)
					return nv, nil
				})
			}
		},
	}
	var clk *concurrent.FakeClock
	if exp > 0 {
		clk = concurrent.NewFakeClock()
		opts.Clock, opts.ExpireAfterWrite, opts.ExpireAfterAccess = clk, exp, exp/2
	}
	c, err := concurrent.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	cRef.Store(c)
	boom := errors.New("boom")
	work := func(w, n int) {
		r := rand.New(rand.NewPCG(seed, uint64(w)))
		for range n {
			k := r.IntN(keys)
			switch r.IntN(12) {
			case 0, 1, 2, 3:
				mode := r.IntN(10)
				ctx := context.Background()
				var cancel context.CancelFunc = func() {}
				if r.IntN(4) == 0 {
					ctx, cancel = context.WithTimeout(ctx, time.Duration(r.IntN(200))*time.Microsecond)
				}
				_, _ = c.GetOrLoad(ctx, k, func(lctx context.Context) (int, error) {
					v := led.fresh()
					if r := rand.IntN(3); r > 0 {
						time.Sleep(time.Duration(r*50) * time.Microsecond)
					}
					switch mode {
					case 0:
						led.mu.Lock()
						led.failed[v] = true
						led.mu.Unlock()
						led.errLoads.Add(1)
						return v, boom
					case 1:
						led.errLoads.Add(1)
						panic("loader panic")
					case 2: // the loader writes its own key
						nv := led.fresh()
						if err := c.Set(k, nv); err == nil {
							led.store(nv, "loader Set")
						}
					case 3:
						c.Delete(k)
					case 5: // ends its goroutine
						led.errLoads.Add(1)
						runtime.Goexit()
					case 6:
						if rand.IntN(4) == 0 {
							c.Clear()
						}
					case 4: // asks for another key
						_, _ = c.GetOrLoad(lctx, (k+1)%keys, func(context.Context) (int, error) {
							v2 := led.fresh()
							led.store(v2, "nested load")
							led.okLoads.Add(1)
							return v2, nil
						})
					}
					led.store(v, "load")
					led.okLoads.Add(1)
					return v, nil
				})
				cancel()
			case 4, 5:
				v := led.fresh()
				if err := c.Set(k, v); err == nil {
					led.store(v, "Set")
				}
			case 6:
				c.Delete(k)
			case 7:
				if r.IntN(4) == 0 {
					c.Clear()
				}
			case 8:
				_ = c.Resize(1 + r.IntN(4))
			case 9:
				c.Get(k)
			case 10:
				if clk != nil {
					clk.Advance(time.Millisecond)
				}
			case 11:
				c.Sync()
			}
		}
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); work(w, 300) }()
	}
	if closeRace {
		time.Sleep(2 * time.Millisecond)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	led.mu.Lock()
	defer led.mu.Unlock()
	errorf := firstErrors(t, fmt.Sprintf("seed %d: ", seed))
	for v, how := range led.stored {
		if rs := led.reports[v]; len(rs) != 1 {
			errorf("value %d (%s): reported %v, want once", v, how, rs)
		}
	}
	for v := range led.failed {
		if rs := led.reports[v]; len(rs) != 0 {
			errorf("failed load's value %d reported %v", v, rs)
		}
	}
	for v, rs := range led.reports {
		if _, ok := led.stored[v]; !ok {
			errorf("value %d reported %v, never stored", v, rs)
		}
	}
	st := c.Stats()
	for cause := concurrent.Explicit; cause <= concurrent.Discarded; cause++ {
		if st.Removed(cause) != led.byCause[cause] {
			errorf("Stats.Removed(%v) = %d, listener saw %d", cause, st.Removed(cause), led.byCause[cause])
		}
	}
	if st.Loads != led.okLoads.Load() || st.LoadErrors != led.errLoads.Load() {
		errorf("Stats Loads/LoadErrors = %d/%d, loader calls %d/%d", st.Loads, st.LoadErrors, led.okLoads.Load(), led.errLoads.Load())
	}
	if st.Len != 0 || c.LoadsInFlight() != 0 {
		errorf("after Close: Len %d, loads in flight %d", st.Len, c.LoadsInFlight())
	}
}

// TestLoadsAreDeterministicFromOneGoroutine: the same operations from one
// goroutine, loads included (loaders that fail, write their own key, read
// other keys or load them), with expiry on a fake clock, give the same
// results, listener calls and Len on every run, and Len never exceeds
// MaxSize.
func TestLoadsAreDeterministicFromOneGoroutine(t *testing.T) {
	for _, pol := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		for _, exp := range []time.Duration{0, 5 * time.Millisecond} {
			t.Run(fmt.Sprintf("%v/exp=%v", pol, exp), func(t *testing.T) {
				runs := 20
				if concurrent.RaceEnabled {
					runs = 5
				}
				var first []string
				for run := range runs {
					tr := loadDeterministicRun(t, pol, exp)
					if run == 0 {
						first = tr
						continue
					}
					for i := range min(len(tr), len(first)) {
						if tr[i] != first[i] {
							lo := max(0, i-8)
							t.Fatalf("run %d differs at step %d:\n got %q\nfirst %q", run, i, tr[lo:min(len(tr), i+4)], first[lo:min(len(first), i+4)])
						}
					}
					if len(tr) != len(first) {
						t.Fatalf("run %d: %d steps, first run %d", run, len(tr), len(first))
					}
				}
			})
		}
	}
}

func loadDeterministicRun(t *testing.T, pol concurrent.Policy, exp time.Duration) []string {
	t.Helper()
	var tr []string
	var mu sync.Mutex
	log := func(s string) { mu.Lock(); tr = append(tr, s); mu.Unlock() }
	expired := map[int]int{}
	opts := concurrent.Options[int, int]{
		MaxSize: 4, Policy: pol, Seed: 42,
		OnEvict: func(k, v int, cause concurrent.Cause) {
			if cause == concurrent.Expired { // may come from the maintenance goroutine at any time (doc.go)
				mu.Lock()
				expired[v]++
				mu.Unlock()
				return
			}
			log(fmt.Sprintf("evict %d=%d %v", k, v, cause))
		},
	}
	var clk *concurrent.FakeClock
	if exp > 0 {
		clk = concurrent.NewFakeClock()
		opts.Clock, opts.ExpireAfterWrite, opts.ExpireAfterAccess = clk, 2*exp, exp
	}
	c, err := concurrent.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := rand.New(rand.NewPCG(9, 9))
	boom := errors.New("boom")
	next := 0
	for i := range 3000 {
		k := r.IntN(10)
		next++
		v := next
		switch op := r.IntN(10); op {
		case 0, 1, 2:
			mode := r.IntN(6)
			k2 := r.IntN(10)
			got, err := c.GetOrLoad(context.Background(), k, func(ctx context.Context) (int, error) {
				switch mode {
				case 0:
					return v, boom
				case 1:
					_ = c.Set(k, -v)
				case 2:
					c.Get(k2)
				case 3:
					_, _ = c.GetOrLoad(ctx, k2, func(context.Context) (int, error) { return v + 100000, nil })
				case 4:
					c.Delete(k)
				}
				return v, nil
			})
			log(fmt.Sprintf("%d load %d = %d %v", i, k, got, err))
		case 3, 4:
			got, ok := c.Get(k)
			log(fmt.Sprintf("%d get %d = %d %v", i, k, got, ok))
		case 5:
			log(fmt.Sprintf("%d set %d %v", i, k, c.Set(k, v)))
		case 6:
			log(fmt.Sprintf("%d delete %d %v", i, k, c.Delete(k)))
		case 7:
			if clk != nil {
				clk.Advance(time.Millisecond)
			}
		case 8:
			if r.IntN(10) == 0 {
				_ = c.Resize(2 + r.IntN(4))
			}
		case 9:
			kk, vv, ok := c.PopVictim()
			log(fmt.Sprintf("%d popvictim %d=%d %v", i, kk, vv, ok))
		}
		if c.Len() > c.MaxSize() {
			t.Fatalf("step %d: Len %d > MaxSize %d", i, c.Len(), c.MaxSize())
		}
		if clk == nil { // with expiry, Len counts expired entries until the maintenance goroutine removes them
			log(fmt.Sprintf("len %d", c.Len()))
		} else if i%100 == 0 {
			c.Sync()
			log(fmt.Sprintf("len after Sync %d", c.Len()))
		}
	}
	var keys []int
	for k := range c.Keys() {
		keys = append(keys, k)
	}
	log(fmt.Sprint("keys ", keys))
	c.Close()
	mu.Lock()
	defer mu.Unlock()
	return append(tr, fmt.Sprint("expired ", expired))
}
