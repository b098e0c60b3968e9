package bench

// Cache is a cache under measurement, driven by trace.Replay.
type Cache interface {
	Get(key uint64) bool
	Set(key uint64)
	// Peak returns the most entries the cache was seen to hold after a
	// Set.
	Peak() int
	Close()
}

// Contender names a cache and builds one of a given capacity.
type Contender struct {
	Name string
	// Bounded is false for a rival measured as users call it, whose
	// buffered writes may let it hold more than its maximum.
	Bounded bool
	// Rival is false for clientcache's own policies.
	Rival bool
	// Judged marks the rivals that cmd/hitratio's "rival" column compares
	// clientcache's LFU with: otter v2 with CleanUp (maintenance inline), theine with Wait, and
	// golang-lru's ARC. (cmd/report compares with every bounded rival.)
	Judged bool
	// Random is true for a cache that seeds itself at random (its hashes,
	// its sampling or Go's map order), so that its hit ratio varies from
	// run to run: otter, theine, ristretto and mutexmap.
	Random bool
	// Background is true for a cache that applies the reads it records on
	// a goroutine of its own, and drops them when that goroutine lags:
	// ristretto, whose Wait applies its buffered writes only. Its hit
	// ratio then depends on how busy the machine is, so RunWithProgress
	// replays it alone.
	Background bool
	New        func(capacity int) (Cache, error)
}

// Contenders is the set cmd/hitratio measures, clientcache first.
var Contenders = []Contender{
	contender("clientcache-LRU", "", false),
	contender("clientcache-LFU", "", false),
	contender("otter", "", true),
	contender("theine", "", true),
	contender("ARC", "", true),
	contender("2Q", "", false),
	contender("golang-lru", "", false),
	contender("otter", "-unbounded", false),
	contender("theine", "-unbounded", false),
}

// AllContenders is the full set of the report: every cache of Kinds, and the
// rivals that bound their size only eventually (otter, theine, ristretto)
// once more as users call them.
var AllContenders = func() []Contender {
	var all []Contender
	for _, k := range Kinds {
		all = append(all, contender(k.Name, "", k.Name == "otter" || k.Name == "theine" || k.Name == "ARC"))
	}
	for _, name := range []string{"otter", "theine", "ristretto"} {
		all = append(all, contender(name, "-unbounded", false))
	}
	return all
}()

// randomised lists the caches that seed themselves at random.
var randomised = map[string]bool{"otter": true, "theine": true, "ristretto": true, "mutexmap": true}

// background lists the caches that apply recorded reads on a goroutine of
// their own (see Contender.Background).
var background = map[string]bool{"ristretto": true}

// eventual lists the caches whose writes take effect, bound included, only
// when their buffers are drained: bounded, they are replayed with a Sync after
// each write.
var eventual = map[string]bool{"otter": true, "theine": true, "ristretto": true}

// contender adapts the kind called name; suffix "-unbounded" replays it
// without a Sync after each write.
func contender(name, suffix string, judged bool) Contender {
	k, ok := LookupKind(name)
	if !ok {
		panic("bench: no cache kind " + name)
	}
	bounded := suffix == ""
	syncEach := bounded && eventual[name]
	if bounded && name == "otter" {
		k.New = newOtterInline // see newOtterInline
	}
	return Contender{
		Name: name + suffix, Bounded: bounded, Rival: k.Rival, Judged: judged, Random: randomised[name], Background: background[name],
		New: func(n int) (Cache, error) {
			kv, err := k.New(n)
			if err != nil {
				return nil, err
			}
			return &replayed{kv: kv, sync: syncEach}, nil
		},
	}
}

// Lookup returns the contender called name, from AllContenders.
func Lookup(name string) (Contender, bool) {
	for _, c := range AllContenders {
		if c.Name == name {
			return c, true
		}
	}
	return Contender{}, false
}

// replayed drives a KV as trace.Replay does: a Get, and on a miss a Set, with
// a Sync after it when the cache must be kept within its bound.
type replayed struct {
	kv   KV
	sync bool
	// untracked skips the peak bookkeeping, a Len after each Set, whose
	// cost differs from cache to cache (an atomic load for clientcache, a
	// read lock of every shard for theine): benchGetOrSet times a replay
	// without it.
	untracked bool
	peak      int
}

func (c *replayed) Get(k uint64) bool { _, ok := c.kv.Get(k); return ok }
func (c *replayed) Set(k uint64) {
	c.kv.Set(k, k)
	if c.sync {
		c.kv.Sync()
	}
	if !c.untracked {
		c.peak = max(c.peak, c.kv.Len())
	}
}
func (c *replayed) Peak() int { return c.peak }
func (c *replayed) Close()    { c.kv.Close() }
