package concurrent

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/puzpuzpuz/xsync/v4"

	"github.com/clientcache/clientcache/internal/endcause"
)

var (
	// ErrLoaderPanic is matched by the error every waiter of a load receives
	// when the loader panicked (or called runtime.Goexit). The error is a
	// [*LoaderPanicError] carrying the panic value and stack.
	ErrLoaderPanic = errors.New("concurrent: loader panicked")
	// ErrRecursiveLoad is returned by [Cache.GetOrLoad] when a loader asks
	// for the key it is loading (unless an explicit write has since
	// detached that load: then it gets the written value, or a new
	// load's), directly or through loads of other keys (of this cache or
	// of others) that are waiting for each other, whoever started them:
	// waiting would deadlock. A load further up
	// whose loader has stopped waiting (its own wait timed out) is no
	// cycle: asked for, it is waited for.
	ErrRecursiveLoad = errors.New("concurrent: loader asked for the key it is loading")
)

// LoaderPanicError is the error of a load whose loader panicked.
type LoaderPanicError struct {
	Value any    // the value passed to panic, or nil after runtime.Goexit
	Stack []byte // the loader goroutine's stack at the panic
}

// Error returns "concurrent: loader panicked: <Value>" (or says that the
// loader called runtime.Goexit). It never includes the stack.
func (e *LoaderPanicError) Error() string {
	if e.Value == nil {
		return "concurrent: loader called runtime.Goexit"
	}
	return fmt.Sprintf("concurrent: loader panicked: %v", e.Value)
}

// Is makes errors.Is(err, ErrLoaderPanic) true.
func (e *LoaderPanicError) Is(target error) bool { return target == ErrLoaderPanic }

// loadNode is a load's vertex in the wait-for graph of loads (of every
// cache: a load of one cache may wait for a load of another that waits for
// a third): an edge from a load to another says that its loader (or a
// goroutine using its context) is waiting for the other in GetOrLoad. The graph has no cycle: an edge that
// would close one is refused with ErrRecursiveLoad (see Cache.waitFor).
type loadNode struct {
	done chan struct{} // closed when the load has completed
	// waitsFor holds the out-edges (one per wait in progress; the same load
	// may appear more than once), and mark the last walk that visited the
	// node. Both are guarded by waitMu.
	waitsFor []*loadNode
	mark     uint64
	// detached is set by an explicit write of the key (Set, Add, Delete,
	// Pop, Clear) made inside the map's per-key critical section: the
	// load's result then goes to its waiters but is not stored, and new
	// callers, its own loader's included, start a new load rather than
	// join this one. The load sets it too once the value it stored is
	// visible (see store): new callers then find the value, or start a new
	// load if it has gone again.
	detached atomic.Bool
}

// finished reports whether the load has completed: it waits for nothing any
// more, and nothing waits for it.
func (n *loadNode) finished() bool {
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

// call is one in-flight load of a key, shared by all its waiters.
type call[V any] struct {
	loadNode // done is closed when val and err are set
	val      V
	err      error
	waiters  atomic.Int32 // callers waiting (for tests and diagnostics)
}

// waitMu guards the wait-for graph of loads (loadNode.waitsFor and mark) and
// waitWalks, the walks of the graph made, to mark the loads each visited.
// The graph spans caches, so that an edge is the wait of the load right up
// the chain of contexts, which ends when that wait ends, whatever cache the
// load is of.
var (
	waitMu    sync.Mutex
	waitWalks uint64
)

// testHookAfterMiss, when set by a test, runs between GetOrLoad's miss and its
// registration of the load.
var testHookAfterMiss func()

// loadFrame marks a context as belonging to a load of key in cache, so that a
// loader asking for a key already being loaded up its chain fails at once,
// and so that the wait-for graph knows which load (node) a call to
// GetOrLoad waits on behalf of.
type loadFrame struct {
	cache any
	key   any
	node  *loadNode
}

type loadFrameKey struct{}

// GetOrLoad returns the value for key, loading it with loader on a miss.
//
// However many goroutines miss the same key together, loader runs once and
// all of them receive its result. The load belongs to the cache, not to any
// caller: it runs on its own goroutine with a context that keeps the values
// of the first caller's ctx but not its cancellation, bounded by
// [Options.LoadTimeout] and cancelled by [Cache.Close] (a loader error that
// is that context's then names the option, or matches [ErrClosed], as
// well as the context's error). Each caller waits
// until the load completes or its own ctx is done, in which case it returns
// ctx.Err() without affecting the load or the other waiters (a caller whose
// ctx is done when the load has already completed gets the load's result).
// A caller whose ctx is already done when it misses starts no load and
// joins none: it returns ctx.Err() (or the key's value, if one has been
// stored since the miss).
//
// On success the value is stored (counted as an insertion: the bound holds)
// unless the key was explicitly written (Set, Add, Delete, Pop, Clear) while
// the load ran: such a write wins, the load's result still goes to its
// waiters, and it never overwrites a newer value or resurrects a removed one.
// A value loaded but not stored is then handed to OnEvict with cause
// [Discarded], so that whoever owns its resources learns of it.
// A loader error reaches every waiter, with the value the loader returned
// beside it, and neither is cached (nor handed to OnEvict); the next call
// loads again. A loader panic is recovered: every waiter gets a
// [*LoaderPanicError] (errors.Is ErrLoaderPanic) and nothing stays in flight.
// If the caller that started a load panics before its loader starts (in a
// [Clock] of the caller's, say), its panic goes on up its own stack, and the
// callers that had joined the load get an error that says so.
// A loader that asks for a key it is loading gets [ErrRecursiveLoad] at once,
// provided it passes on the context it was given. So does a loader whose
// wait for another load would close a cycle of loads each waiting for the
// next, whoever started them and whatever caches they are of (a load
// started by one caller asks for a key whose load, started by another
// caller, asks for the first key): of the loaders closing the cycle, the
// last to ask gets the error instead of waiting, and the others then receive
// whatever its loader returns. This costs nothing unless a loader calls
// GetOrLoad (of any cache) for a key that is not present, and then a walk,
// under one mutex shared by every cache of the process, of the loads the
// awaited one waits for. Loads of different keys never wait on each other
// unless their loaders ask for them, or a listener asks: the listener calls
// a load's store makes (for the entry its insertion evicted, the expired
// value it replaced) and its Discarded call run on the load's goroutine
// before its waiters are released, so a listener that there waits for a
// load whose loader asked for the key being loaded waits for itself, until
// its own context ends (no ErrRecursiveLoad: a listener is no load). A slow
// load never delays hits.
//
// GetOrLoad returns an [*OptionError] if ctx or loader is nil and
// [ErrClosed] after Close.
func (c *Cache[K, V]) GetOrLoad(ctx context.Context, key K, loader func(ctx context.Context) (V, error)) (V, error) {
	if err := c.unusable("GetOrLoad"); err != nil {
		var zero V
		return zero, err
	}
	if err := checkLoad("GetOrLoad", ctx, loader); err != nil {
		var zero V
		return zero, err
	}
	if v, ok := c.Get(key); ok {
		return v, nil
	}
	return c.loadMissed(ctx, key, loader)
}

// LoadMissed is [Cache.GetOrLoad] for a caller that has just missed key with
// [Cache.Get]: it joins the load of key in flight or starts one, with every
// guarantee of GetOrLoad, without looking key up (and counting a second miss)
// first. It lets a hit allocate nothing when the loader is a closure, which
// Go allocates where the function literal is evaluated:
//
//	if v, ok := c.Get(key); ok {
//		return v, nil
//	}
//	return c.LoadMissed(ctx, key, func(ctx context.Context) (V, error) { ... })
//
// (GetOrLoad(ctx, key, func...) with a closure that captures variables
// allocates it on every call, hit or miss.) If key is present when
// LoadMissed is called, stored since the miss, its value is returned without
// calling loader, recording no access. It returns an [*OptionError] if
// ctx or loader is nil and [ErrClosed] after Close.
func (c *Cache[K, V]) LoadMissed(ctx context.Context, key K, loader func(ctx context.Context) (V, error)) (V, error) {
	if err := c.unusable("LoadMissed"); err != nil {
		var zero V
		return zero, err
	}
	if err := checkLoad("LoadMissed", ctx, loader); err != nil {
		var zero V
		return zero, err
	}
	return c.loadMissed(ctx, key, loader)
}

// checkLoad rejects the arguments of a GetOrLoad or LoadMissed (method) that
// cannot load: a nil loader, or a nil ctx (a hit would not notice it, a
// miss would panic on it).
func checkLoad[V any](method string, ctx context.Context, loader func(ctx context.Context) (V, error)) error {
	switch {
	case loader == nil:
		return &OptionError{Param: method + "(loader)", Value: "nil", Reason: "must be a function"}
	case ctx == nil:
		return &OptionError{Param: method + "(ctx)", Value: "nil", Reason: "must be a context (context.Background() if there is none)"}
	}
	return nil
}

// loadMissed is GetOrLoad after its miss.
func (c *Cache[K, V]) loadMissed(ctx context.Context, key K, loader func(ctx context.Context) (V, error)) (V, error) {
	var zero V
	if c.closed.Load() {
		return zero, ErrClosed
	}
	parent, _ := ctx.Value(loadFrameKey{}).(*loadFrame)
	var self *loadNode // the load on whose behalf we wait, if any (of any cache)
	if parent != nil {
		// The load right up the chain is the one whose loader waits; asking
		// for its own key, it would wait for itself (a fast path: the graph
		// would refuse that edge too). Loads further up are in a cycle with
		// the one asked for only if each still waits for the next, which
		// the wait-for graph knows: one that has stopped waiting (its wait
		// timed out) while its load goes on is no cycle, and is waited for.
		// The graph spans caches, so that a load of another cache in the
		// chain takes its edge with it when its wait ends, and a cycle
		// through several caches is refused too.
		// A load detached by an explicit write is no longer the key's load
		// (joinOrStart neither joins nor waits for it): its loader is then
		// served as any caller, the written value or a new load.
		if parent.cache == c && parent.key == any(key) && !parent.node.finished() && !parent.node.detached.Load() {
			return zero, ErrRecursiveLoad
		}
		self = parent.node
	}
	if err := ctx.Err(); err != nil {
		// A caller that has already given up neither starts a load nor
		// joins one: a load it started would run on after it returned
		// and store into the cache behind its back, and whether it got
		// the value or ctx.Err() would depend on which goroutine ran
		// first. A value present (stored since the miss) is returned.
		if e, ok := c.m.Load(key); ok && c.live(e.n) {
			return e.value, nil
		}
		return zero, err
	}
	if testHookAfterMiss != nil {
		testHookAfterMiss()
	}
	cl, waiting, err := c.joinOrStart(ctx, key, loader, self)
	if err != nil {
		return zero, err
	}
	if self != nil {
		if !waiting {
			if err := c.waitFor(self, &cl.loadNode); err != nil {
				return zero, err
			}
		}
		defer c.doneWaiting(self, &cl.loadNode)
	}
	cl.waiters.Add(1)
	defer cl.waiters.Add(-1)
	return cl.wait(ctx)
}

// wait returns the load's result once it has completed, or ctx.Err() if ctx
// is done first. A result already there is returned even if ctx is done too:
// the caller does not have to wait for it (a select would pick either at
// random).
func (cl *call[V]) wait(ctx context.Context) (V, error) {
	select {
	case <-cl.done:
		return cl.val, cl.err
	case <-ctx.Done():
		if cl.finished() {
			return cl.val, cl.err
		}
		var zero V
		return zero, ctx.Err()
	}
}

// waitFor records, in the wait-for graph, that the load self is about to
// wait for the load target, or returns ErrRecursiveLoad if target already
// waits for self, directly or through other loads: the wait would complete
// a cycle in which no load can finish. Checking and recording are one step
// under waitMu, so the edges of any cycle are all recorded by the time its
// last one is checked: whichever load closes it gets the error, and there is
// no window in which two loads start waiting for each other unseen. Only
// edges of loads still in flight count: a load that has completed waits for
// nothing (a goroutine still using its context delays no one).
func (c *Cache[K, V]) waitFor(self, target *loadNode) error {
	if self.finished() || target.finished() {
		return nil // no edge: doneWaiting finds none to remove
	}
	waitMu.Lock()
	defer waitMu.Unlock()
	if reachesLocked(target, self) {
		return ErrRecursiveLoad
	}
	self.waitsFor = append(self.waitsFor, target)
	return nil
}

// doneWaiting removes the edge waitFor recorded, if any.
func (c *Cache[K, V]) doneWaiting(self, target *loadNode) {
	waitMu.Lock()
	if i := slices.Index(self.waitsFor, target); i >= 0 {
		self.waitsFor = slices.Delete(self.waitsFor, i, i+1)
	}
	waitMu.Unlock()
}

// reachesLocked reports whether a path of edges of loads in flight leads
// from the load from to the load to (from itself included). The graph has no
// cycle, and marks keep the walk to one visit per load. Caller holds
// waitMu.
func reachesLocked(from, to *loadNode) bool {
	waitWalks++
	walk := waitWalks
	var buf [16]*loadNode
	stack := append(buf[:0], from)
	from.mark = walk
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == to {
			return true
		}
		if n.finished() {
			continue
		}
		for _, m := range n.waitsFor {
			if m.mark != walk {
				m.mark = walk
				stack = append(stack, m)
			}
		}
	}
	return false
}

// joinOrStart returns the in-flight call for key, starting one if there is
// none (or only a detached one). If it starts one on behalf of the load self
// (not nil), it records self's wait for it in the wait-for graph before the
// loader runs, and reports so (waiting): a new load waits for nothing, so
// the edge closes no cycle, and the loader, which may ask for self's key at
// once, finds it.
func (c *Cache[K, V]) joinOrStart(ctx context.Context, key K, loader func(context.Context) (V, error), self *loadNode) (_ *call[V], waiting bool, _ error) {
	var mine *call[V]
	cl, _ := c.loads.Compute(key, func(cur *call[V], loaded bool) (*call[V], xsync.ComputeOp) {
		if loaded && !cur.detached.Load() {
			return cur, xsync.CancelOp
		}
		mine = &call[V]{loadNode: loadNode{done: make(chan struct{})}}
		// Counted before it is visible, so that a writer that finds no load
		// counted has entered its critical section first: the lookup below
		// waits for it (see detachLoadLocked).
		c.loading.Add(1)
		return mine, xsync.UpdateOp
	})
	if mine == nil {
		return cl, false, nil
	}
	// Until mine is completed or its goroutine started, a panic here (the
	// Clock's Now, which live reads) must not leave it registered: every
	// later caller for key would join it and wait for a load that never
	// runs.
	settled := false
	defer func() {
		if !settled {
			c.finishCall(key, mine, *new(V), errLoadNotStarted)
		}
	}()
	// A load that completed between our miss and our registration has
	// stored its value (it stores before it unregisters): use it. So has
	// an explicit write of key in progress, which looked for a load to
	// detach before this one was registered: the key is looked up inside
	// its critical section, which waits for such a write to finish (a Load
	// would miss its value, not visible yet, and this load, which the
	// write did not detach, would then run and store over the write's
	// place). A write that comes after finds this load registered.
	var (
		present entry[K, V]
		found   bool
	)
	c.m.Compute(key, func(cur entry[K, V], loaded bool) (entry[K, V], xsync.ComputeOp) {
		present, found = cur, loaded
		return cur, xsync.CancelOp
	})
	if found && c.live(present.n) {
		settled = true
		c.finishCall(key, mine, present.value, nil)
		return mine, false, nil
	}
	c.loadMu.RLock()
	defer c.loadMu.RUnlock()
	settled = true // nothing below panics
	if c.loadsClosed {
		c.finishCall(key, mine, *new(V), ErrClosed)
		return mine, false, nil
	}
	if self != nil {
		waitMu.Lock()
		self.waitsFor = append(self.waitsFor, &mine.loadNode)
		waitMu.Unlock()
		waiting = true
	}
	c.loadWG.Add(1)
	go c.runLoad(ctx, key, mine, loader)
	return mine, waiting, nil
}

// runLoad runs one load on its own goroutine and completes the call, however
// the loader returns: a value, an error, a panic or runtime.Goexit.
func (c *Cache[K, V]) runLoad(callerCtx context.Context, key K, cl *call[V], loader func(context.Context) (V, error)) {
	defer c.loadWG.Done()
	ctx := context.WithValue(context.WithoutCancel(callerCtx), loadFrameKey{}, &loadFrame{cache: c, key: key, node: &cl.loadNode})
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(c.closeCtx, func() { cancel(errLoadClosed) })
	defer stop()
	if c.loadTimeout > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeoutCause(ctx, c.loadTimeout, c.loadTimeoutErr)
		defer cancelTimeout()
	}

	var (
		v   V
		err error = &LoaderPanicError{} // stays if the loader calls runtime.Goexit
	)
	start := time.Now()
	defer func() {
		c.loadNanos.Add(int64(time.Since(start)))
		unregistered, released := false, false
		defer func() {
			// A listener the store called (for the entry it evicted, the
			// value it replaced, ...), or the Discarded call below, ended
			// this goroutine with runtime.Goexit: the waiters must still
			// receive the value.
			if !released {
				if !unregistered {
					c.unregisterCall(key, cl)
				}
				c.releaseCall(cl, v, err)
			}
		}()
		stored := false
		if err != nil {
			c.loadErrors.Add(1)
		} else {
			c.loadsDone.Add(1)
			stored = c.storeLoaded(key, cl, v)
		}
		unregistered = true
		c.unregisterCall(key, cl)
		if err == nil && !stored {
			// Before the waiters have the value, as every listener call of
			// an operation is made before it returns (one goroutine then
			// sees the same calls in the same order on every run); after
			// the call is unregistered, so that a listener asking
			// GetOrLoad for the key starts a load of its own instead of
			// waiting for this one, which waits for the listener.
			c.notify(key, v, Discarded)
		}
		released = true
		c.releaseCall(cl, v, err)
	}()
	v, err = callLoader(ctx, loader)
	err = loadEnded(ctx, err)
}

// loadEnded returns err, the loader's, naming why the load's context ended
// if that is why it failed (err matches the context's error): Close (the
// result then matches ErrClosed too) or Options.LoadTimeout. The context's
// error alone ("context canceled", "context deadline exceeded") names
// neither, and a caller whose own context had no deadline and was never
// cancelled could not tell where it came from.
func loadEnded(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
		return err
	}
	if cause := context.Cause(ctx); cause != ctx.Err() && !errors.Is(err, cause) {
		return fmt.Errorf("%w: %w", cause, err)
	}
	return err
}

// errLoadNotStarted is what the waiters of a load receive when the call
// that registered it panicked before starting it (see joinOrStart).
var errLoadNotStarted = errors.New("concurrent: the load was not started: its caller panicked")

// errLoadClosed is the cause of a load's end at Close.
// It matches context.Canceled and ErrClosed (see endcause).
var errLoadClosed = endcause.Cancel(ErrClosed.Error(), ErrClosed)

// callLoader calls loader, turning a panic into a *LoaderPanicError.
func callLoader[V any](ctx context.Context, loader func(context.Context) (V, error)) (v V, err error) {
	normal := false
	defer func() {
		if !normal {
			r := recover()
			if r == nil {
				// runtime.Goexit, which goes on (this result is never
				// read), or panic(nil) under GODEBUG=panicnil=1, which
				// recover stops and reports as nil: callLoader then
				// returns, and must not return a success.
				r = new(runtime.PanicNilError)
			}
			err = &LoaderPanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	v, err = loader(ctx)
	normal = true
	return v, err
}

// finishCall unregisters a call and publishes its result.
func (c *Cache[K, V]) finishCall(key K, cl *call[V], v V, err error) {
	c.unregisterCall(key, cl)
	c.releaseCall(cl, v, err)
}

// unregisterCall removes cl from the loads in flight: callers that miss key
// from now on start a load of their own. Called once per call.
func (c *Cache[K, V]) unregisterCall(key K, cl *call[V]) {
	c.loads.Compute(key, func(cur *call[V], loaded bool) (*call[V], xsync.ComputeOp) {
		if loaded && cur == cl {
			return nil, xsync.DeleteOp
		}
		return cur, xsync.CancelOp
	})
	c.loading.Add(-1)
}

// releaseCall hands the call's result to its waiters. Called once per call,
// after unregisterCall.
func (c *Cache[K, V]) releaseCall(cl *call[V], v V, err error) {
	cl.val, cl.err = v, err
	close(cl.done)
}

// storeLoaded stores a loaded value unless an explicit write detached the
// load, a live value is present or the cache is closed, and reports whether
// it stored it.
func (c *Cache[K, V]) storeLoaded(key K, cl *call[V], v V) bool {
	return !c.closed.Load() && c.store(key, v, storeLoad, cl) == nil
}

// detachLoadLocked marks the in-flight load of key, if any, as detached.
// Called inside the map's per-key critical section of an explicit write.
func (c *Cache[K, V]) detachLoadLocked(key K) {
	if c.loading.Load() == 0 {
		return
	}
	if cl, ok := c.loads.Load(key); ok {
		cl.detached.Store(true)
	}
}
