package concurrent

import (
	"fmt"
	"runtime"
	"time"
)

// DefaultMaxSize is the bound used when [Options.MaxSize] is 0: the default of
// the original boto3-client-cache.
const DefaultMaxSize = 10

// Options configures a [Cache]. The zero value is valid: an LRU cache of
// [DefaultMaxSize] entries without a listener.
type Options[K comparable, V any] struct {
	// MaxSize is the hard bound on the number of entries. 0 means
	// DefaultMaxSize; a negative value is an error, and so is a value above
	// MaxLFUSize with Policy LFU.
	MaxSize int

	// Policy chooses whom to evict: LRU (the default) or LFU. Any other value
	// is an error.
	Policy Policy

	// OnEvict, if set, is called exactly once for every entry that leaves the
	// cache, with the reason (and for every value GetOrLoad loaded but did
	// not store: cause Discarded). It runs on the goroutine whose operation removed
	// the entry (the writer whose insertion overflowed the bound, the caller
	// of Delete, Clear, Close, ...) after the cache has released its internal
	// locks, so it may call back into the cache, except to Close it (a Close
	// in progress holds off other calls of Close until its listener calls
	// are done: see [Cache.Close]). Calls for one operation are
	// made in eviction order (expired entries in the order they expire:
	// see ExpireAfterAccess for ties) before that operation returns; for a load,
	// before its waiters receive the value, so a listener called on a
	// load's goroutine must not wait for a load that waits for that one
	// (see [Cache.GetOrLoad]). A panic in
	// OnEvict is recovered, counted in [Stats.ListenerPanics] and reported to
	// OnListenerPanic; it never stops maintenance or loses the calls after it.
	OnEvict func(key K, value V, cause Cause)

	// OnListenerPanic, if set, receives the value and stack of each panic
	// recovered from OnEvict. If nil, such panics are logged with
	// [log/slog.Default] at level Error (the panic value and cause only, never
	// the entry's key or value), as is a panic of OnListenerPanic itself,
	// which is recovered too. Setting it without OnEvict is an error.
	OnListenerPanic func(recovered any, stack []byte)

	// ExpireAfterWrite, if positive, removes an entry this long after its
	// value was written (inserted or replaced). 0 means never; negative is an
	// error.
	ExpireAfterWrite time.Duration

	// ExpireAfterAccess, if positive, removes an entry that has not been
	// read or written for this long: tenants that went quiet. Accesses are
	// stored with a resolution of one millisecond, or of a tenth of
	// ExpireAfterAccess if that is shorter. 0 means never; negative is an
	// error.
	//
	// An expired entry is invisible to Get, Contains and GetOrLoad at once;
	// it is removed, with cause Expired, by the next maintenance (the
	// maintenance goroutine arms one timer for the next deadline) and
	// counts towards Len until then. Entries expiring at the same instant
	// are removed in the order their access times were set: a read within
	// the tick of the entry's last access does not move it, so that order
	// can differ from the eviction order. Under contention, reads are recorded
	// out of order, and an idle entry can wait behind one read later until
	// that one expires too (or until an operation that settles the cache
	// puts the order right first: Sync, Resize, Clone, Clear, Close and the
	// iterators All, Backward, Keys and Values). PopVictim does not return such an
	// entry, and neither it nor an eviction for the bound that reaches it
	// gives it any cause but Expired.
	ExpireAfterAccess time.Duration

	// Clock is the time source for expiry; nil means the system's monotonic
	// clock. Tests inject a fake one to make expiry exact. Nothing else reads
	// it (LoadTimeout and the load statistics use the system's clock), so
	// setting it without ExpireAfterWrite or ExpireAfterAccess is an error.
	// A Clock that goes back (a wall clock set back) is read as standing
	// still until it passes its latest reading again: no entry's lifetime
	// starts before another's that was written earlier. New calls Now
	// once: a Clock whose Now panics (a nil pointer, a nil func) is an
	// error, not the system's clock. Now is called on the cache's
	// maintenance goroutine too, where a panic, which no caller could
	// recover, ends the program; on a caller's goroutine it goes up the
	// caller's stack, and leaves no load registered.
	Clock Clock

	// LoadTimeout, if positive, bounds each load started by GetOrLoad: the
	// loader's context is cancelled after this long, and a loader error that
	// is that context's (errors.Is context.DeadlineExceeded) reaches the
	// waiters naming Options.LoadTimeout. 0 means no bound (Close still
	// cancels loads); negative is an error.
	LoadTimeout time.Duration

	// RecordStats makes the cache count its requests: Hits, Misses and
	// DroppedReads in [Cache.Stats], which stay 0 without it (the other
	// counters, removals by cause, loads and listener panics, are always
	// kept). Counting is off by default, as in Caffeine and otter, because
	// under contention it was about half of what a hit cost beyond the map
	// lookup: a contended hit that counts itself draws a random number and,
	// 1 time in 16, adds to a counter. BenchmarkGet (bench_test.go) measured
	// an LRU hit from 2 goroutines at 6.9 ns without counting and 7.9 ns
	// with it, against 5.4 ns for a bare xsync.Map load (medians of 6 runs).
	// From one goroutine a hit is counted for free.
	RecordStats bool

	// Seed fixes the randomness of the LFU policy (its key hashing, the
	// sketch's mixing and its admission coin) so that runs can be replayed
	// exactly: caches with the same nonzero Seed, given the same operations
	// from one goroutine, hit, evict and iterate alike. That holds within a
	// process for every key type. Across processes it holds only for keys
	// whose type is exactly string, int, int32, int64, uint, uint32 or
	// uint64, which the package hashes itself; keys of other types (structs,
	// arrays, pointers, other integer types, named string types) are hashed
	// with hash/maphash under a seed drawn once per process and shared by
	// all its caches, so their eviction order changes from one process to
	// the next. 0 means a seed drawn at random for each cache, which keeps
	// crafted keys from aiming at sketch collisions ([Cache.Clone] keeps the
	// original's). LRU uses no randomness: it is deterministic whatever
	// the Seed, which it accepts (unlike a Clock without expiry, a Seed
	// is not a setting LRU ignores but one it has no need of), so that code
	// choosing the policy at run time can pass one Seed to both.
	Seed uint64
}

// Cause says why an entry left the cache.
type Cause uint8

const (
	// Explicit: removed by Delete, Pop or PopVictim.
	Explicit Cause = iota + 1
	// Replaced: its value was replaced by Set.
	Replaced
	// Size: evicted to keep the cache within its maximum size.
	Size
	// Expired: its lifetime ended (see the expiry options).
	Expired
	// Cleared: removed by Clear.
	Cleared
	// Closed: removed by Close.
	Closed
	// Discarded: a value loaded by GetOrLoad that was never stored, because
	// an explicit write of its key won while it loaded, or the cache was
	// closed. Its waiters received it; the listener is its owner's one
	// notice that the cache will not hold it.
	Discarded

	numCauses = int(Discarded) + 1
)

// String returns the cause's name.
func (c Cause) String() string {
	switch c {
	case Explicit:
		return "Explicit"
	case Replaced:
		return "Replaced"
	case Size:
		return "Size"
	case Expired:
		return "Expired"
	case Cleared:
		return "Cleared"
	case Closed:
		return "Closed"
	case Discarded:
		return "Discarded"
	}
	return fmt.Sprintf("Cause(%d)", uint8(c))
}

// Evicted reports whether the cache removed the entry on its own (Size or
// Expired) rather than because the caller asked.
func (c Cause) Evicted() bool { return c == Size || c == Expired }

// lfuSizeReason is the reason of the error for a bound above MaxLFUSize.
var lfuSizeReason = fmt.Sprintf("must be at most MaxLFUSize (%d) with Policy LFU", MaxLFUSize)

// validated returns the options with defaults applied and, if a Clock is
// set, its reading (New calls its Now once), or an *OptionError
// naming the first invalid option in the order Options declares its fields
// (a bound above MaxLFUSize is MaxSize's error, checked once Policy is known
// to be valid).
func (o Options[K, V]) validated() (Options[K, V], time.Time, error) {
	var now time.Time // the Clock's reading, New's one call of its Now
	if o.MaxSize < 0 {
		return o, now, &OptionError{Param: "Options.MaxSize", Value: o.MaxSize, Reason: "must be 0 (default 10) or positive"}
	}
	if o.MaxSize == 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.Policy != LRU && o.Policy != LFU {
		return o, now, &OptionError{Param: "Options.Policy", Value: o.Policy, Reason: "must be LRU or LFU"}
	}
	if o.Policy == LFU && o.MaxSize > MaxLFUSize {
		return o, now, &OptionError{Param: "Options.MaxSize", Value: o.MaxSize, Reason: lfuSizeReason}
	}
	if o.OnListenerPanic != nil && o.OnEvict == nil {
		return o, now, &OptionError{Param: "Options.OnListenerPanic", Value: fmt.Sprintf("%T", o.OnListenerPanic), Reason: "receives only panics of OnEvict: set OnEvict, or leave OnListenerPanic nil"}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Options.ExpireAfterWrite", o.ExpireAfterWrite}, {"Options.ExpireAfterAccess", o.ExpireAfterAccess}} {
		if d.v < 0 {
			return o, now, &OptionError{Param: d.name, Value: d.v, Reason: "must be 0 (none) or positive"}
		}
	}
	if o.Clock != nil && o.ExpireAfterWrite == 0 && o.ExpireAfterAccess == 0 {
		// The clock's type, not its value: the error may be logged.
		return o, now, &OptionError{Param: "Options.Clock", Value: fmt.Sprintf("%T", o.Clock), Reason: "is used only for expiry: set ExpireAfterWrite or ExpireAfterAccess, or leave Clock nil"}
	}
	if o.Clock != nil {
		// A nil pointer or nil func in the interface is not nil: New
		// used to panic calling its Now (a nil dereference), not name the
		// option.
		var r any
		if now, r = nowPanics(o.Clock); r != nil {
			return o, now, &OptionError{Param: "Options.Clock", Value: fmt.Sprintf("%T", o.Clock), Reason: fmt.Sprintf("its Now panicked (%v): a nil pointer or func? Leave Clock nil for the system's clock", r)}
		}
	}
	if o.LoadTimeout < 0 {
		return o, now, &OptionError{Param: "Options.LoadTimeout", Value: o.LoadTimeout, Reason: "must be 0 (none) or positive"}
	}
	return o, now, nil
}

// nowPanics calls clk.Now and returns its reading, or what it panicked with,
// if it did.
func nowPanics(clk Clock) (now time.Time, r any) {
	normal := false
	defer func() {
		if !normal {
			r = recover()
			if r == nil { // panic(nil) under GODEBUG=panicnil=1, which recover stops (a Goexit goes on)
				r = new(runtime.PanicNilError)
			}
		}
	}()
	now = clk.Now()
	normal = true
	return now, nil
}
