package concurrent_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/testwait"
)

// hang is testwait.Hang: a bound that only turns a hang into a failure.
const hang = testwait.Hang

// result is what one GetOrLoad call returned.
type result struct {
	v   int
	err error
}

// goLoad calls GetOrLoad on its own goroutine and delivers the result.
func goLoad(c *concurrent.Cache[string, int], ctx context.Context, key string, loader func(context.Context) (int, error)) <-chan result {
	ch := make(chan result, 1)
	go func() {
		v, err := c.GetOrLoad(ctx, key, loader)
		ch <- result{v, err}
	}()
	return ch
}

func receive(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(hang):
		t.Fatal("a waiter hangs")
		return result{}
	}
}

func newIntCache(t *testing.T, o concurrent.Options[string, int]) *concurrent.Cache[string, int] {
	t.Helper()
	c, err := concurrent.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestStampedeLoadsOnce: 1,000 goroutines missing one key together make
// exactly one loader call, over 100 rounds, and all receive its value.
func TestStampedeLoadsOnce(t *testing.T) {
	rounds, goroutines := 100, 1000
	if testing.Short() {
		rounds = 10
	}
	c := newIntCache(t, concurrent.Options[string, int]{MaxSize: 4})
	for round := range rounds {
		key := fmt.Sprint("tenant-", round)
		var calls atomic.Int32
		release := make(chan struct{})
		loader := func(ctx context.Context) (int, error) {
			calls.Add(1)
			<-release // keep the load in flight until everyone has missed
			return round, nil
		}
		start := make(chan struct{})
		results := make(chan result, goroutines)
		var wg sync.WaitGroup
		for range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				v, err := c.GetOrLoad(context.Background(), key, loader)
				results <- result{v, err}
			}()
		}
		close(start)
		testwait.Until(t, "all goroutines to wait", func() bool { return c.LoadWaiters(key) == goroutines })
		close(release)
		wg.Wait()
		close(results)
		for r := range results {
			if r.err != nil || r.v != round {
				t.Fatalf("round %d: a caller got %d, %v", round, r.v, r.err)
			}
		}
		if n := calls.Load(); n != 1 {
			t.Fatalf("round %d: %d loader calls, want 1", round, n)
		}
	}
	if st := c.Stats(); st.Loads != uint64(rounds) || st.LoadErrors != 0 || st.LoadTime <= 0 {
		t.Fatalf("stats: %d loads, %d errors, %v", st.Loads, st.LoadErrors, st.LoadTime)
	}
}

// TestSequentialMissesAfterALoadDoNotLoadAgain: a caller that missed just
// before a load stored its value, and registers just after, must use the
// stored value rather than load again.
func TestSequentialMissesAfterALoadDoNotLoadAgain(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	var calls atomic.Int32
	loader := func(context.Context) (int, error) { calls.Add(1); return 7, nil }
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := c.GetOrLoad(context.Background(), "k", loader); v != 7 || err != nil {
				t.Errorf("got %d, %v", v, err)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d loader calls, want 1", calls.Load())
	}
}

func TestLoaderErrorReachesAllWaitersAndIsNotCached(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	boom := errors.New("sts: throttled")
	release := make(chan struct{})
	var calls atomic.Int32
	failing := func(context.Context) (int, error) {
		calls.Add(1)
		<-release
		return -1, boom // a value beside the error goes to the waiters as is
	}
	var chans []<-chan result
	for range 5 {
		chans = append(chans, goLoad(c, context.Background(), "k", failing))
	}
	testwait.Until(t, "5 waiters", func() bool { return c.LoadWaiters("k") == 5 })
	close(release)
	for _, ch := range chans {
		if r := receive(t, ch); !errors.Is(r.err, boom) || r.v != -1 {
			t.Fatalf("waiter got %d, %v; want the loader's -1 and error", r.v, r.err)
		}
	}
	if c.Contains("k") || c.LoadsInFlight() != 0 {
		t.Fatal("a failed load left an entry or a load in flight")
	}
	v, err := c.GetOrLoad(context.Background(), "k", func(context.Context) (int, error) { calls.Add(1); return 3, nil })
	if v != 3 || err != nil || calls.Load() != 2 {
		t.Fatalf("the next call must load again: %d, %v after %d calls", v, err, calls.Load())
	}
	if st := c.Stats(); st.Loads != 1 || st.LoadErrors != 1 {
		t.Fatalf("stats: %d loads, %d errors", st.Loads, st.LoadErrors)
	}
}

func TestLoaderPanicReleasesAllWaiters(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	release := make(chan struct{})
	panicking := func(context.Context) (int, error) {
		<-release
		panic("loader bug")
	}
	var chans []<-chan result
	for range 8 {
		chans = append(chans, goLoad(c, context.Background(), "k", panicking))
	}
	testwait.Until(t, "8 waiters", func() bool { return c.LoadWaiters("k") == 8 })
	close(release)
	for _, ch := range chans {
		r := receive(t, ch)
		var pe *concurrent.LoaderPanicError
		if !errors.Is(r.err, concurrent.ErrLoaderPanic) || !errors.As(r.err, &pe) {
			t.Fatalf("waiter got %v, want a LoaderPanicError", r.err)
		}
		if pe.Value != "loader bug" || !strings.Contains(string(pe.Stack), "TestLoaderPanicReleasesAllWaiters") {
			t.Fatalf("panic value %v; stack %s", pe.Value, pe.Stack)
		}
		if !strings.Contains(r.err.Error(), "loader panicked: loader bug") {
			t.Fatalf("message %q", r.err)
		}
	}
	if c.LoadsInFlight() != 0 || c.Contains("k") {
		t.Fatal("a panicking load left something behind")
	}
	if v, err := c.GetOrLoad(context.Background(), "k", func(context.Context) (int, error) { return 1, nil }); v != 1 || err != nil {
		t.Fatalf("the next call must load normally: %d, %v", v, err)
	}
}

func TestLoaderGoexitReleasesWaiters(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	_, err := c.GetOrLoad(context.Background(), "k", func(context.Context) (int, error) {
		runtime.Goexit()
		return 0, nil
	})
	var pe *concurrent.LoaderPanicError
	if !errors.As(err, &pe) || pe.Value != nil || !strings.Contains(err.Error(), "Goexit") {
		t.Fatalf("got %v, want a LoaderPanicError for Goexit", err)
	}
}

func TestCancelledWaiterReturnsAtOnceOthersGetTheValue(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	release := make(chan struct{})
	var loaderCtxErr atomic.Value
	loader := func(ctx context.Context) (int, error) {
		<-release
		loaderCtxErr.Store(fmt.Sprint(ctx.Err()))
		return 42, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := goLoad(c, ctx, "k", loader) // the caller that starts the load
	testwait.Until(t, "the first waiter", func() bool { return c.LoadWaiters("k") == 1 })
	second := goLoad(c, context.Background(), "k", loader)
	testwait.Until(t, "the second waiter", func() bool { return c.LoadWaiters("k") == 2 })

	cancel()
	if r := receive(t, first); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("cancelled waiter got %v, want context.Canceled", r.err)
	}
	select {
	case r := <-second:
		t.Fatalf("the other waiter returned early: %v", r)
	default:
	}
	close(release)
	if r := receive(t, second); r.v != 42 || r.err != nil {
		t.Fatalf("the other waiter got %v", r)
	}
	if got := loaderCtxErr.Load(); got != "<nil>" {
		t.Fatalf("the first caller's cancellation reached the loader: %v", got)
	}
	if v, ok := c.Get("k"); !ok || v != 42 {
		t.Fatal("the load's value was not stored")
	}
}

func TestLoaderContextKeepsCallerValues(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	type traceKey struct{}
	ctx := context.WithValue(context.Background(), traceKey{}, "trace-1")
	var seen any
	_, _ = c.GetOrLoad(ctx, "k", func(ctx context.Context) (int, error) {
		seen = ctx.Value(traceKey{})
		return 1, nil
	})
	if seen != "trace-1" {
		t.Fatalf("loader saw %v", seen)
	}
}

// TestDiscardedNoticeBeforeGetOrLoadReturns: from one goroutine, a load
// whose value an explicit write made it discard hands the value to OnEvict
// before GetOrLoad returns, as every listener call of an operation is made.
// The call used to follow the waiters' release, so it raced with the
// caller's next operation (a listener without a lock was a data race) and
// the order of listener calls changed from run to run.
func TestDiscardedNoticeBeforeGetOrLoadReturns(t *testing.T) {
	for round := range 200 {
		var causes []concurrent.Cause // no lock: one goroutine uses the cache
		c := newIntCache(t, concurrent.Options[string, int]{
			OnEvict: func(_ string, _ int, cause concurrent.Cause) { causes = append(causes, cause) },
		})
		v, err := c.GetOrLoad(context.Background(), "k", func(context.Context) (int, error) {
			_ = c.Set("k", 2) // an explicit write during the load wins
			return 1, nil
		})
		if v != 1 || err != nil {
			t.Fatalf("GetOrLoad = %d, %v; want 1, nil", v, err)
		}
		if !slices.Equal(causes, []concurrent.Cause{concurrent.Discarded}) {
			t.Fatalf("round %d: listener calls when GetOrLoad returned: %v, want [Discarded]", round, causes)
		}
		_ = c.Set("k", 3)
		if !slices.Equal(causes, []concurrent.Cause{concurrent.Discarded, concurrent.Replaced}) {
			t.Fatalf("round %d: listener calls after Set: %v, want [Discarded Replaced]", round, causes)
		}
	}
}

// TestDiscardedListenerMayLoadTheKey: the Discarded call is made before the
// waiters are released but after the load is no longer in flight, so a
// listener may ask GetOrLoad for the same key: it loads anew instead of
// waiting for the load that is waiting for the listener.
func TestDiscardedListenerMayLoadTheKey(t *testing.T) {
	var c *concurrent.Cache[string, int]
	reloaded := make(chan result, 1)
	c = newIntCache(t, concurrent.Options[string, int]{
		OnEvict: func(k string, _ int, cause concurrent.Cause) {
			if cause == concurrent.Discarded {
				v, err := c.GetOrLoad(context.Background(), k, func(context.Context) (int, error) { return 5, nil })
				reloaded <- result{v, err}
			}
		},
	})
	done := goLoad(c, context.Background(), "k", func(context.Context) (int, error) {
		c.Delete("k") // the load is detached: its value is discarded
		return 1, nil
	})
	if r := receive(t, done); r.v != 1 || r.err != nil {
		t.Fatalf("GetOrLoad = %v, want 1, nil", r)
	}
	if r := receive(t, reloaded); r.v != 5 || r.err != nil {
		t.Fatalf("the listener's GetOrLoad = %v, want 5, nil", r)
	}
	if v, ok := c.Get("k"); !ok || v != 5 {
		t.Fatalf("Get = %d, %v; want the listener's load, 5", v, ok)
	}
}

// TestExplicitWritesDuringALoadWin: Delete, Set, Add, Pop and Clear made
// while a load is in flight win: the load's value goes to its waiters but
// never resurrects a removed entry or overwrites a newer one, and callers
// arriving after the write do not join the stale load.
func TestExplicitWritesDuringALoadWin(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(c *concurrent.Cache[string, int])
		want  int // value present afterwards; -1 for absent
	}{
		{"Delete", func(c *concurrent.Cache[string, int]) { c.Delete("k") }, -1},
		{"Pop", func(c *concurrent.Cache[string, int]) { _, _ = c.Pop("k") }, -1},
		{"Clear", func(c *concurrent.Cache[string, int]) { c.Clear() }, -1},
		{"Set", func(c *concurrent.Cache[string, int]) { _ = c.Set("k", 99) }, 99},
		{"Add", func(c *concurrent.Cache[string, int]) { _ = c.Add("k", 98) }, 98},
		{"SetThenDelete", func(c *concurrent.Cache[string, int]) { _ = c.Set("k", 97); c.Delete("k") }, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec recorder
			c := newIntCache(t, concurrent.Options[string, int]{OnEvict: rec.onEvict})
			release := make(chan struct{})
			var calls atomic.Int32
			loader := func(context.Context) (int, error) {
				n := calls.Add(1)
				if n == 1 {
					<-release
				}
				return int(n), nil
			}
			waiter := goLoad(c, context.Background(), "k", loader)
			testwait.Until(t, "the waiter", func() bool { return c.LoadWaiters("k") == 1 })
			tc.write(c)
			close(release)
			if r := receive(t, waiter); r.v != 1 || r.err != nil {
				t.Fatalf("the waiter must get the load's result: %v", r)
			}
			c.Sync()
			v, ok := c.Get("k")
			if tc.want < 0 && ok {
				t.Fatalf("the load resurrected a removed entry: %d", v)
			}
			if tc.want >= 0 && (!ok || v != tc.want) {
				t.Fatalf("Get = %d,%v; the write's value %d must win", v, ok, tc.want)
			}
			// The loaded value was never stored: its owner hears of it once,
			// from the load's goroutine, before the waiters have the value.
			discarded := 0
			for _, r := range rec.calls() {
				if r.cause == concurrent.Discarded {
					discarded++
					if r.k != "k" || r.v != 1 {
						t.Fatalf("discarded %v", r)
					}
				}
			}
			if discarded != 1 {
				t.Fatalf("%d Discarded notices when the waiter had the value, want 1: %v", discarded, rec.calls())
			}
			if s := c.Stats(); s.Removed(concurrent.Discarded) != 1 {
				t.Fatalf("Stats.Removed(Discarded) = %d when the waiter had the value, want 1", s.Removed(concurrent.Discarded))
			}
		})
	}
}

func TestCallersAfterAnInvalidationStartANewLoad(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	release := make(chan struct{})
	var calls atomic.Int32
	loader := func(context.Context) (int, error) {
		n := calls.Add(1)
		if n == 1 {
			<-release
		}
		return int(n), nil
	}
	stale := goLoad(c, context.Background(), "k", loader)
	testwait.Until(t, "the first load", func() bool { return c.LoadWaiters("k") == 1 })
	c.Delete("k") // e.g. the tenant's credentials were rotated
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()
	fresh, err := c.GetOrLoad(ctx, "k", loader) // must not join the stale load
	if err != nil || fresh != 2 {
		t.Fatalf("a caller after the Delete got %d, %v; want a new load's value 2", fresh, err)
	}
	close(release)
	if r := receive(t, stale); r.v != 1 {
		t.Fatalf("the first waiter got %v", r)
	}
	if v, _ := c.Get("k"); v != 2 {
		t.Fatalf("the stale load overwrote the new value: %d", v)
	}
}

func TestRecursiveLoadFailsAtOnce(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	// Same key.
	_, err := c.GetOrLoad(context.Background(), "a", func(ctx context.Context) (int, error) {
		_, err := c.GetOrLoad(ctx, "a", func(context.Context) (int, error) { return 0, nil })
		return 0, err
	})
	if !errors.Is(err, concurrent.ErrRecursiveLoad) {
		t.Fatalf("same-key recursion: %v", err)
	}
	// Through another key: a -> b -> a.
	_, err = c.GetOrLoad(context.Background(), "a", func(ctx context.Context) (int, error) {
		return c.GetOrLoad(ctx, "b", func(ctx context.Context) (int, error) {
			return c.GetOrLoad(ctx, "a", func(context.Context) (int, error) { return 0, nil })
		})
	})
	if !errors.Is(err, concurrent.ErrRecursiveLoad) {
		t.Fatalf("a->b->a recursion: %v", err)
	}
	// A loader may load other keys normally.
	v, err := c.GetOrLoad(context.Background(), "x", func(ctx context.Context) (int, error) {
		y, err := c.GetOrLoad(ctx, "y", func(context.Context) (int, error) { return 5, nil })
		return y + 1, err
	})
	if v != 6 || err != nil || !c.Contains("y") {
		t.Fatalf("nested load of another key: %d, %v", v, err)
	}
	// Another cache's load of the same key is not recursion.
	d := newIntCache(t, concurrent.Options[string, int]{})
	v, err = c.GetOrLoad(context.Background(), "p", func(ctx context.Context) (int, error) {
		return d.GetOrLoad(ctx, "p", func(context.Context) (int, error) { return 8, nil })
	})
	if v != 8 || err != nil {
		t.Fatalf("same key in another cache: %d, %v", v, err)
	}
}

// A loader whose parent load has completed (the parent's loader gave up
// waiting for it) asks for the parent's key: that is no cycle, the key loads
// again. The recursion check used to match the parent's frame in the context
// chain whether or not its load was still in flight.
func TestNoRecursiveLoadOnceTheParentLoadCompleted(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	gate := make(chan struct{})
	nested := make(chan error, 1)
	_, errA := c.GetOrLoad(context.Background(), "a", func(ctx context.Context) (int, error) {
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		_, err := c.GetOrLoad(short, "b", func(ctx context.Context) (int, error) {
			<-gate // a's load has completed by now
			v, err := c.GetOrLoad(ctx, "a", func(context.Context) (int, error) { return 1, nil })
			nested <- err
			return v + 1, err
		})
		return 0, err // a's load fails: a is not stored
	})
	if !errors.Is(errA, context.DeadlineExceeded) {
		t.Fatalf("load of a: %v, want its wait for b to time out", errA)
	}
	close(gate)
	if err := <-nested; err != nil {
		t.Fatalf("b's loader asked for a, whose load had completed, and got %v", err)
	}
	if v, err := c.GetOrLoad(context.Background(), "b", func(context.Context) (int, error) { return -1, nil }); v != 2 || err != nil {
		t.Fatalf("b = %d, %v; want 2 (a loaded again as 1, plus one)", v, err)
	}
}

// A loader's context outlives its load when the loader hands it to a
// goroutine of its own (context.WithoutCancel keeps its values, the load's
// frame among them). Once the load has completed, that goroutine asking for
// the key is no recursion: the key is no longer being loaded. Here the load
// fails, so nothing is stored and nothing detaches it; the later GetOrLoad
// must start a new load, not get ErrRecursiveLoad.
func TestLoaderContextAskingForItsKeyAfterTheLoadFailedLoadsAgain(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	unavailable := errors.New("unavailable")
	var kept context.Context
	_, err := c.GetOrLoad(context.Background(), "k", func(ctx context.Context) (int, error) {
		kept = context.WithoutCancel(ctx)
		return 0, unavailable
	})
	if !errors.Is(err, unavailable) {
		t.Fatalf("first load: %v, want the loader's error", err)
	}
	v, err := c.GetOrLoad(kept, "k", func(context.Context) (int, error) { return 5, nil })
	if v != 5 || err != nil {
		t.Fatalf("GetOrLoad from the failed load's context = %d, %v; want 5 from a new load", v, err)
	}
}

// A cycle of loads started by different callers: the load of key i, started
// by caller i, asks for key i+1, and the last asks for the first. The
// recursion check used to follow only the calling goroutine's chain of
// contexts, which holds none of the other loads: no loader got
// ErrRecursiveLoad and every load waited for the next until Close. Now the
// loader that closes the cycle gets the error, and every caller returns.
func TestLoadCycleAcrossCallersFailsInsteadOfHanging(t *testing.T) {
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprint(n, " keys"), func(t *testing.T) {
			c := newIntCache(t, concurrent.Options[string, int]{})
			key := func(i int) string { return fmt.Sprint("k", i%n) }
			gates := make([]chan struct{}, n)
			nested := make([]chan error, n)
			callers := make([]<-chan result, n)
			for i := range n {
				gates[i], nested[i] = make(chan struct{}), make(chan error, 1)
				callers[i] = goLoad(c, context.Background(), key(i), func(ctx context.Context) (int, error) {
					<-gates[i]
					v, err := c.GetOrLoad(ctx, key(i+1), func(context.Context) (int, error) { return 0, nil })
					nested[i] <- err
					return v + 1, err
				})
				testwait.Until(t, "load "+key(i)+" in flight", func() bool { return c.LoadWaiters(key(i)) == 1 })
			}
			// Loaders 0 to n-2 start waiting, in turn, for the next load.
			for i := range n - 1 {
				close(gates[i])
				testwait.Until(t, "loader "+key(i)+" waiting", func() bool { return c.LoadWaiters(key(i+1)) == 2 })
			}
			close(gates[n-1]) // its request closes the cycle
			select {
			case err := <-nested[n-1]:
				if !errors.Is(err, concurrent.ErrRecursiveLoad) {
					t.Fatalf("the loader closing the cycle got %v, want ErrRecursiveLoad", err)
				}
			case <-time.After(hang):
				t.Fatal("the loads of the cycle wait for each other: deadlock until Close")
			}
			for i := range n {
				if r := receive(t, callers[i]); !errors.Is(r.err, concurrent.ErrRecursiveLoad) {
					t.Fatalf("caller of %s got %d, %v; want the cycle's ErrRecursiveLoad", key(i), r.v, r.err)
				}
			}
			if c.LoadsInFlight() != 0 {
				t.Fatalf("%d loads still in flight", c.LoadsInFlight())
			}
		})
	}
}

// Two loaders asking for each other's key at the same moment: the check and
// the record of a wait are one step, so one of them always sees the other's
// wait and gets ErrRecursiveLoad; they never both wait.
func TestLoadersAskingForEachOtherAtOnceNeverHang(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	for round := range rounds {
		a, b := fmt.Sprint("a", round), fmt.Sprint("b", round)
		start := make(chan struct{})
		var direct atomic.Int32
		loader := func(other string) func(context.Context) (int, error) {
			return func(ctx context.Context) (int, error) {
				<-start
				_, err := c.GetOrLoad(ctx, other, func(context.Context) (int, error) { return 0, nil })
				if errors.Is(err, concurrent.ErrRecursiveLoad) && c.LoadsInFlight() == 2 {
					direct.Add(1) // the other load is still in flight: this one was refused
				}
				return 1, err
			}
		}
		ra, rb := goLoad(c, context.Background(), a, loader(b)), goLoad(c, context.Background(), b, loader(a))
		testwait.Until(t, "both loads in flight", func() bool { return c.LoadWaiters(a) == 1 && c.LoadWaiters(b) == 1 })
		close(start)
		r1, r2 := receive(t, ra), receive(t, rb)
		if !errors.Is(r1.err, concurrent.ErrRecursiveLoad) || !errors.Is(r2.err, concurrent.ErrRecursiveLoad) || direct.Load() != 1 {
			t.Fatalf("round %d: callers got %v and %v, %d loaders refused; want one refusal reaching both", round, r1.err, r2.err, direct.Load())
		}
	}
}

func TestSlowLoadDelaysNeitherOtherLoadsNorHits(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	_ = c.Set("hot", 1)
	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	// After a failure below, the cache's Close (an earlier cleanup) would
	// wait for the slow load for ever, and the failure's message would
	// never be printed.
	t.Cleanup(releaseOnce)
	slow := goLoad(c, context.Background(), "slow", func(context.Context) (int, error) { <-release; return 1, nil })
	testwait.Until(t, "the slow load", func() bool { return c.LoadWaiters("slow") == 1 })
	// While it is in flight, hits and other keys' loads complete.
	for i := range 100 {
		if v, ok := c.Get("hot"); !ok || v != 1 {
			t.Fatal("hit failed during a slow load")
		}
		if _, err := c.GetOrLoad(context.Background(), fmt.Sprint("other-", i), func(context.Context) (int, error) { return i, nil }); err != nil {
			t.Fatal(err)
		}
	}
	releaseOnce()
	receive(t, slow)
}

func TestLoadTimeoutBoundsTheLoad(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{LoadTimeout: 20 * time.Millisecond})
	_, err := c.GetOrLoad(context.Background(), "k", untilDone)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the loader's DeadlineExceeded", err)
	}
}

func TestCloseCancelsLoadsAndReleasesWaiters(t *testing.T) {
	c, err := concurrent.New(concurrent.Options[string, int]{})
	if err != nil {
		t.Fatal(err)
	}
	waiter := goLoad(c, context.Background(), "k", untilDone)
	testwait.Until(t, "the waiter", func() bool { return c.LoadWaiters("k") == 1 })
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if r := receive(t, waiter); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("waiter got %v after Close", r.err)
	}
	if _, err := c.GetOrLoad(context.Background(), "k", func(context.Context) (int, error) { return 1, nil }); !errors.Is(err, concurrent.ErrClosed) {
		t.Fatalf("GetOrLoad after Close = %v", err)
	}
}

// untilDone is a loader that returns when its context ends, or after hang
// with an error that says the context never ended (so that a test whose
// cache fails to end it fails with that message, not by timing out).
func untilDone(ctx context.Context) (int, error) {
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(hang):
		return 0, errors.New("the loader's context never ended")
	}
}

func TestGetOrLoadRejectsANilLoader(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	_, err := c.GetOrLoad(context.Background(), "k", nil)
	var oe *concurrent.OptionError
	if !errors.As(err, &oe) || oe.Param != "GetOrLoad(loader)" {
		t.Fatalf("got %v", err)
	}
}

// TestLoadsRejectANilContext: a nil ctx is an error naming it, on a hit as
// on a miss; a miss used to panic on it with a nil dereference, and a hit
// to return the value.
func TestLoadsRejectANilContext(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	_ = c.Set("hit", 1)
	loader := func(context.Context) (int, error) { return 1, nil }
	var nilCtx context.Context
	for _, tc := range []struct {
		name, param string
		call        func() (int, error)
	}{
		{"GetOrLoad miss", "GetOrLoad(ctx)", func() (int, error) { return c.GetOrLoad(nilCtx, "miss", loader) }},
		{"GetOrLoad hit", "GetOrLoad(ctx)", func() (int, error) { return c.GetOrLoad(nilCtx, "hit", loader) }},
		{"LoadMissed", "LoadMissed(ctx)", func() (int, error) { return c.LoadMissed(nilCtx, "miss", loader) }},
	} {
		_, err := tc.call()
		var oe *concurrent.OptionError
		if !errors.As(err, &oe) || oe.Param != tc.param || !errors.Is(err, concurrent.ErrInvalidOption) {
			t.Errorf("%s with a nil ctx: %v, want an *OptionError naming %s", tc.name, err, tc.param)
		}
	}
	if c.Contains("miss") {
		t.Error("a load with a nil ctx stored a value")
	}
}

// TestLoadMissedAfterGet: the pattern LoadMissed documents (Get, and on a
// miss LoadMissed with a closure) loads once under a stampede, counts a miss
// once (GetOrLoad after a Get would count it twice), and its hits allocate
// nothing, where GetOrLoad with the same closure allocates it on
// every call.
func TestLoadMissedAfterGet(t *testing.T) {
	var calls atomic.Int32
	get := func(c *concurrent.Cache[string, int], key string, v int) (int, error) {
		if got, ok := c.Get(key); ok {
			return got, nil
		}
		return c.LoadMissed(context.Background(), key, func(context.Context) (int, error) {
			calls.Add(1)
			return v, nil
		})
	}
	c := newIntCache(t, concurrent.Options[string, int]{RecordStats: true})
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := get(c, "k", 7); v != 7 || err != nil {
				t.Errorf("got %d, %v", v, err)
			}
		}()
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d loader calls, want 1", n)
	}
	// Misses are counted exactly (hits under contention by sampling).
	if st := c.Stats(); st.Misses < 1 || st.Misses > 200 || st.Loads != 1 {
		t.Fatalf("stats after 200 calls: %d misses, %d loads; want 1 to 200 misses, 1 load", st.Misses, st.Loads)
	}

	// One goroutine, from here: every count is exact.
	c = newIntCache(t, concurrent.Options[string, int]{RecordStats: true})
	if v, err := get(c, "a", 1); v != 1 || err != nil {
		t.Fatalf("miss: got %d, %v", v, err)
	}
	if v, err := get(c, "a", 2); v != 1 || err != nil {
		t.Fatalf("hit: got %d, %v", v, err)
	}
	if st := c.Stats(); st.Hits != 1 || st.Misses != 1 || st.Loads != 1 {
		t.Fatalf("one miss then one hit: %d hits, %d misses, %d loads", st.Hits, st.Misses, st.Loads)
	}
	v := 3
	if n := testing.AllocsPerRun(100, func() { _, _ = get(c, "a", v) }); n != 0 {
		t.Errorf("a hit through Get and LoadMissed allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		_, _ = c.GetOrLoad(context.Background(), "a", func(context.Context) (int, error) { return v, nil })
	}); n != 1 {
		t.Errorf("a hit through GetOrLoad with a closure allocates %v times; the comparison expects 1", n)
	}
}

// TestLoadMissedOfAPresentKeyReturnsIt: a key stored between the caller's
// miss and its LoadMissed is returned without calling the loader.
func TestLoadMissedOfAPresentKeyReturnsIt(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	if err := c.Set("k", 5); err != nil {
		t.Fatal(err)
	}
	v, err := c.LoadMissed(context.Background(), "k", func(context.Context) (int, error) {
		t.Error("loader called for a present key")
		return 0, nil
	})
	if v != 5 || err != nil {
		t.Fatalf("got %d, %v; want 5, nil", v, err)
	}
	if st := c.Stats(); st.Hits != 0 || st.Misses != 0 || st.Loads != 0 {
		t.Fatalf("LoadMissed counted %d hits, %d misses, %d loads; want none", st.Hits, st.Misses, st.Loads)
	}
}

func TestLoadMissedRejectsANilLoaderAndAClosedCache(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	_, err := c.LoadMissed(context.Background(), "k", nil)
	var oe *concurrent.OptionError
	if !errors.As(err, &oe) || oe.Param != "LoadMissed(loader)" {
		t.Fatalf("nil loader: got %v, want an *OptionError naming LoadMissed(loader)", err)
	}
	_ = c.Close()
	if _, err := c.LoadMissed(context.Background(), "k", func(context.Context) (int, error) { return 1, nil }); !errors.Is(err, concurrent.ErrClosed) {
		t.Fatalf("after Close: got %v, want ErrClosed", err)
	}
}

func TestLoadedValuesRespectTheBound(t *testing.T) {
	var rec recorder
	c := newIntCache(t, concurrent.Options[string, int]{MaxSize: 2, OnEvict: rec.onEvict})
	for i := range 5 {
		k := fmt.Sprint(i)
		if _, err := c.GetOrLoad(context.Background(), k, func(context.Context) (int, error) { return i, nil }); err != nil {
			t.Fatal(err)
		}
		if c.Len() > 2 {
			t.Fatalf("Len %d > 2 after loading %s", c.Len(), k)
		}
	}
	if len(rec.calls()) != 3 {
		t.Fatalf("evictions %v", rec.calls())
	}
}

// A load that completes after Close cannot be stored: it is Discarded.
func TestLoadCompletingAfterCloseIsDiscarded(t *testing.T) {
	var rec recorder
	c, err := concurrent.New(concurrent.Options[string, int]{OnEvict: rec.onEvict})
	if err != nil {
		t.Fatal(err)
	}
	waiter := goLoad(c, context.Background(), "k", func(ctx context.Context) (int, error) {
		<-ctx.Done() // Close cancels the load; this loader returns a value anyway
		return 5, nil
	})
	testwait.Until(t, "the waiter", func() bool { return c.LoadWaiters("k") == 1 })
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if r := receive(t, waiter); r.v != 5 || r.err != nil {
		t.Fatalf("waiter got %v", r)
	}
	if want := []removal{{"k", 5, concurrent.Discarded}}; !slices.Equal(rec.calls(), want) {
		t.Fatalf("calls %v, want %v", rec.calls(), want)
	}
	if st := c.Stats(); st.Removed(concurrent.Discarded) != 1 {
		t.Fatalf("stats: %d discarded", st.Removed(concurrent.Discarded))
	}
}

// TestListenerAskingForTheKeyALoadIsStoringDoesNotWaitForItself pins that a
// listener call a load's store makes on the load's goroutine (here for the
// entry its insertion evicted), before the load's waiters are released, can
// ask for the loaded key once it has gone again (here expired: the listener
// took longer than ExpireAfterWrite, modelled by advancing the clock): it
// starts a new load. It used to join the load running it and wait for
// itself: for ever with a context without deadline, and Close then waited
// for ever for the load.
func TestListenerAskingForTheKeyALoadIsStoringDoesNotWaitForItself(t *testing.T) {
	clock := concurrent.NewFakeClock()
	var c *concurrent.Cache[string, int]
	refreshed := make(chan result, 1)
	c = newIntCache(t, concurrent.Options[string, int]{
		MaxSize: 1, ExpireAfterWrite: time.Minute, Clock: clock,
		OnEvict: func(k string, _ int, _ concurrent.Cause) {
			if k != "a" {
				return
			}
			clock.Advance(time.Minute) // the value just loaded for k expires
			// A deadline, so that the old hang fails the test (after the
			// load's waiter, which the listener holds up, gets its value).
			ctx, cancel := context.WithTimeout(context.Background(), hang/2)
			defer cancel()
			v, err := c.GetOrLoad(ctx, "k", func(context.Context) (int, error) { return 3, nil })
			refreshed <- result{v, err}
		},
	})
	_ = c.Set("a", 1)
	// Storing k's value evicts a, on the load's goroutine.
	r := receive(t, goLoad(c, context.Background(), "k", func(context.Context) (int, error) { return 2, nil }))
	if r.v != 2 || r.err != nil {
		t.Fatalf("GetOrLoad = %v, want 2", r)
	}
	// receive, not a bare receive: a listener that is never called for a
	// would leave the test waiting for ever, with no message.
	if r := receive(t, refreshed); r.v != 3 || r.err != nil {
		t.Fatalf("the listener's GetOrLoad of k = %d, %v; want a new load's 3", r.v, r.err)
	}
}

// TestLoaderPanicNilUnderGODEBUGPanicnilIsAPanic: under GODEBUG=panicnil=1 (a supported setting, which the runtime reads
// again when the variable changes) panic(nil) is recovered with recover()
// returning nil, as before Go 1.21. The loader's panic then went unnoticed:
// callLoader returned normally with no error, and the load cached the zero
// value as a success.
func TestLoaderPanicNilUnderGODEBUGPanicnilIsAPanic(t *testing.T) {
	t.Setenv("GODEBUG", "panicnil=1")
	c := newIntCache(t, concurrent.Options[string, int]{})
	v, err := c.GetOrLoad(context.Background(), "k", func(context.Context) (int, error) {
		panic(nil)
	})
	if !errors.Is(err, concurrent.ErrLoaderPanic) {
		t.Errorf("GetOrLoad = %d, %v; want ErrLoaderPanic", v, err)
	}
	if c.Contains("k") {
		t.Errorf("the panicking load cached a value")
	}
	if st := c.Stats(); st.Loads != 0 || st.LoadErrors != 1 {
		t.Errorf("stats: %d loads, %d errors; want 0, 1", st.Loads, st.LoadErrors)
	}
}

// TestNoRecursiveLoadOnceTheParentStoppedWaiting: a loader of a starts the
// load of b under its own context but stops waiting for it (its wait times
// out) and goes on loading a. b's loader then asks for a: a waits for
// nothing, so waiting for a cannot deadlock, and b's loader must receive a's
// value. The recursion check matched a's frame in b's chain of contexts
// while a's load was still in flight, whether or not a still waited for b,
// and refused the wait with ErrRecursiveLoad ("waiting would deadlock") at
// once.
func TestNoRecursiveLoadOnceTheParentStoppedWaiting(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	parentStoppedWaiting(t, c, func(ctx context.Context, asker func(context.Context) (int, error)) error {
		_, err := c.GetOrLoad(ctx, "b", asker)
		return err
	})
	testwait.Until(t, "b loaded", func() bool { v, ok := c.Get("b"); return ok && v == 8 })
}

// parentStoppedWaiting runs the load of a (cache c), whose loader calls via
// under a context that times out, stops waiting for it, and then loads 7.
// via starts loads further down a chain whose last loader, asker, asks c for
// a once a has stopped waiting: it must wait for a's 7, not get
// ErrRecursiveLoad.
func parentStoppedWaiting(t *testing.T, c *concurrent.Cache[string, int], via func(ctx context.Context, asker func(context.Context) (int, error)) error) {
	t.Helper()
	gave, gate, finish := make(chan struct{}), make(chan struct{}), make(chan struct{})
	asked := make(chan result, 1)
	asker := func(ctx context.Context) (int, error) {
		<-gate // a's loader no longer waits
		v, err := c.GetOrLoad(ctx, "a", func(context.Context) (int, error) { return -1, nil })
		asked <- result{v, err}
		return v + 1, err
	}
	a := goLoad(c, context.Background(), "a", func(ctx context.Context) (int, error) {
		short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		if err := via(short, asker); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a's wait down the chain: %v, want its own deadline", err)
		}
		close(gave)
		select { // a's load goes on without the chain
		case <-finish:
			return 7, nil
		case <-ctx.Done(): // Close, after a failure
			return 0, ctx.Err()
		}
	})
	<-gave
	close(gate)
	// The asker either waits for a (a second waiter) or was refused.
	for c.LoadWaiters("a") != 2 {
		select {
		case r := <-asked:
			close(finish)
			receive(t, a)
			t.Fatalf("the loader down the chain asked for a, which waits for nothing, and got %d, %v; want to wait for a's 7", r.v, r.err)
		case <-time.After(time.Millisecond):
		}
	}
	close(finish)
	if r := receive(t, a); r.v != 7 || r.err != nil {
		t.Fatalf("a = %v", r)
	}
	if r := receive(t, asked); r.v != 7 || r.err != nil {
		t.Fatalf("the asker's GetOrLoad(a) = %d, %v; want 7", r.v, r.err)
	}
}

// gateClock is a fake clock whose Now, once armed, blocks the given call
// (counted from the arming) until released: a test can hold a write inside
// the map's per-key critical section, where a new node reads the clock.
type gateClock struct {
	mu      sync.Mutex
	now     time.Time
	blockAt int // the call to block, counted from arming; 0: disarmed
	calls   int
	reached chan struct{}
	release chan struct{}
}

func newGateClock() *gateClock {
	return &gateClock{now: time.Unix(1_700_000_000, 0), reached: make(chan struct{}), release: make(chan struct{})}
}

func (g *gateClock) arm(call int) {
	g.mu.Lock()
	g.blockAt, g.calls = call, 0
	g.mu.Unlock()
}

func (g *gateClock) Now() time.Time {
	g.mu.Lock()
	now := g.now
	if g.blockAt == 0 {
		g.mu.Unlock()
		return now
	}
	g.calls++
	block := g.calls == g.blockAt
	if block {
		g.blockAt = 0
	}
	g.mu.Unlock()
	if block {
		close(g.reached)
		<-g.release
	}
	return now
}

// setRacingALoadStart holds a Set of an absent key "k" inside its critical
// section (after it has looked for loads of k to detach, before its value
// is visible) while another caller's LoadMissed of k starts a load, then lets
// the Set finish. It returns the load's first waiter and a function that lets
// the loader return 7. If the load's start waits for the Set (the loader is
// not called within a second), the Set is let go then.
func setRacingALoadStart(t *testing.T, c *concurrent.Cache[string, int], clock *gateClock) (first <-chan result, finish func()) {
	t.Helper()
	started, release := make(chan struct{}), make(chan struct{})
	loader := func(context.Context) (int, error) {
		close(started)
		<-release
		return 7, nil
	}
	// store reads the clock once before its critical section and once
	// inside it, for the new node.
	clock.arm(2)
	set := make(chan error, 1)
	go func() { set <- c.Set("k", 5) }()
	<-clock.reached
	ch := make(chan result, 1)
	go func() {
		v, err := c.LoadMissed(context.Background(), "k", loader)
		ch <- result{v, err}
	}()
	select {
	case <-started:
	case <-time.After(time.Second):
	}
	close(clock.release)
	if err := <-set; err != nil {
		t.Fatal(err)
	}
	// Unless the loader runs already, the caller's lookup waited for the
	// Set: let it finish (with the Set's value) before the test goes on.
	select {
	case <-started:
	case r := <-ch:
		ch <- r
	case <-time.After(hang):
		t.Fatal("the racing LoadMissed hangs")
	}
	return ch, func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}
}

// TestSetWinsOverALoadStartingDuringIt: a Set of k and a load of k that
// starts while the Set is storing are concurrent, but once Set has returned
// the Set has happened while the load ran, so it wins (GetOrLoad's
// documentation): a LoadMissed called afterwards returns the present value
// without joining the load, and the load's value is Discarded, never stored.
func TestSetWinsOverALoadStartingDuringIt(t *testing.T) {
	clock := newGateClock()
	var rec recorder
	c := newIntCache(t, concurrent.Options[string, int]{ExpireAfterWrite: time.Hour, Clock: clock, OnEvict: rec.onEvict})
	first, finish := setRacingALoadStart(t, c, clock)
	defer finish()

	after := make(chan result, 1)
	go func() {
		v, err := c.LoadMissed(context.Background(), "k", func(context.Context) (int, error) { return 9, nil })
		after <- result{v, err}
	}()
	// Either it returns at once (the present value), or it has joined the
	// load in flight: let the loader return then.
	var r result
	deadline := time.After(hang)
wait:
	for {
		select {
		case r = <-after:
			break wait
		case <-deadline:
			t.Fatal("LoadMissed hangs")
		default:
			if c.LoadWaiters("k") == 2 {
				finish()
				r = receive(t, after)
				break wait
			}
			time.Sleep(time.Millisecond)
		}
	}
	finish()
	receive(t, first)
	if r.v != 5 || r.err != nil {
		t.Errorf("LoadMissed after Set(k, 5) returned = %d, %v; want 5, nil (the present value)", r.v, r.err)
	}
	if v, ok := c.Get("k"); v != 5 || !ok {
		t.Errorf("Get(k) = %d, %v; want 5", v, ok)
	}
}

// TestLoadOverlappingASetDoesNotStoreAfterTheSetsValueIsEvicted: the Set
// happened while the load ran, so the load's value must not be stored, even
// once the Set's value has been evicted for the bound (the write won: the
// loaded value, possibly older than the Set's, is Discarded).
func TestLoadOverlappingASetDoesNotStoreAfterTheSetsValueIsEvicted(t *testing.T) {
	clock := newGateClock()
	var rec recorder
	c := newIntCache(t, concurrent.Options[string, int]{MaxSize: 1, ExpireAfterWrite: time.Hour, Clock: clock, OnEvict: rec.onEvict})
	first, finish := setRacingALoadStart(t, c, clock)
	defer finish()
	if err := c.Set("other", 1); err != nil { // evicts k's 5 for the bound
		t.Fatal(err)
	}
	finish()
	// The first caller was concurrent with the Set: it may get the Set's 5
	// or the loaded 7.
	r := receive(t, first)
	if (r.v != 5 && r.v != 7) || r.err != nil {
		t.Fatalf("the load's waiter got %v, want 5 or 7", r)
	}
	if v, ok := c.Get("k"); ok {
		t.Errorf("Get(k) = %d after the load that overlapped Set(k, 5) completed; want absent (the Set won)", v)
	}
	if r.v == 7 && !slices.Contains(rec.calls(), removal{"k", 7, concurrent.Discarded}) {
		t.Errorf("listener calls %v: the loaded 7 was not Discarded", rec.calls())
	}
}

// TestLoadMissedOfItsOwnKeyFromALoaderReturnsThePresentValue: a loader
// that asks LoadMissed for the key it is loading once a Set has stored it
// (the Set won over the load) gets the present value, as GetOrLoad gives it
// and as LoadMissed documents for a present key ("its value is returned
// without calling loader"): nothing would wait, so there is no recursive
// load to refuse.
func TestLoadMissedOfItsOwnKeyFromALoaderReturnsThePresentValue(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	started, stored, asked := make(chan struct{}), make(chan struct{}), make(chan result, 2)
	waiter := goLoad(c, context.Background(), "k", func(ctx context.Context) (int, error) {
		close(started)
		<-stored
		v, err := c.GetOrLoad(ctx, "k", func(context.Context) (int, error) { return 9, nil })
		asked <- result{v, err}
		v, err = c.LoadMissed(ctx, "k", func(context.Context) (int, error) { return 9, nil })
		asked <- result{v, err}
		return 7, nil
	})
	<-started
	if err := c.Set("k", 5); err != nil {
		t.Fatal(err)
	}
	close(stored)
	receive(t, waiter)
	if r := <-asked; r.v != 5 || r.err != nil {
		t.Errorf("the loader's GetOrLoad of its own key, present = %d, %v; want 5, nil", r.v, r.err)
	}
	if r := <-asked; r.v != 5 || r.err != nil {
		t.Errorf("the loader's LoadMissed of its own key, present = %d, %v; want 5, nil", r.v, r.err)
	}
}

// TestLoaderOfADetachedLoadAskingForItsKeyGetsANewLoad: once an explicit
// write has detached a load, the load is no longer its key's: its loader
// asking for the key is served as any caller. With the written value gone
// again (Set, then Delete), that is a new load, not ErrRecursiveLoad (which
// the loader got while the recursion test looked only at the key).
func TestLoaderOfADetachedLoadAskingForItsKeyGetsANewLoad(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	started, written, asked := make(chan struct{}), make(chan struct{}), make(chan result, 2)
	waiter := goLoad(c, context.Background(), "k", func(ctx context.Context) (int, error) {
		close(started)
		<-written
		v, err := c.GetOrLoad(ctx, "k", func(context.Context) (int, error) { return 9, nil })
		asked <- result{v, err}
		v, err = c.LoadMissed(ctx, "k", func(context.Context) (int, error) { return 8, nil })
		asked <- result{v, err}
		return 7, nil
	})
	<-started
	if err := c.Set("k", 5); err != nil {
		t.Fatal(err)
	}
	c.Delete("k")
	close(written)
	receive(t, waiter)
	if r := receive(t, asked); r.v != 9 || r.err != nil {
		t.Errorf("the detached load's loader's GetOrLoad of its key = %d, %v; want a new load's 9", r.v, r.err)
	}
	if r := receive(t, asked); r.v != 9 || r.err != nil {
		t.Errorf("then its LoadMissed of the key = %d, %v; want the 9 stored by that load", r.v, r.err)
	}
}
