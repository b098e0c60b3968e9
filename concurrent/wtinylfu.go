package concurrent

import "github.com/clientcache/clientcache/admission"

// W-TinyLFU: a small LRU admission window in front of a segmented LRU main
// area, whose door is kept by a TinyLFU frequency sketch, with a window size
// that adapts to the workload by hill climbing.
//
// References: G. Einziger, R. Friedman, B. Manes, "TinyLFU: A Highly
// Efficient Cache Admission Policy", ACM Transactions on Storage 13(4), 2017
// (the window, the segmented main area, the admission test, the doorkeeper);
// G. Einziger, O. Eytan, R. Friedman, B. Manes, "Adaptive Software Cache
// Management", Middleware 2018 (the hill climber); and the design of
// Caffeine's BoundedLocalCache, whose constants are used here.
//
// Layout. Four queues, each an LRU list whose front is its least recently
// used node:
//
//	doomed     contest losers waiting for the engine to evict them
//	probation  main area, entries not hit since they entered it
//	protected  main area, entries hit while in probation (at most ~80% of main)
//	window     the newest entries (~1% of the cache at first)
//
// A new entry enters the window. When the window outgrows its share, its
// least recent entry (the candidate) moves to the back of probation if the
// main area has room; otherwise it contests the main area's victim (the front
// of probation, or of protected when probation is empty): the sketch's
// frequency estimates decide, and the loser joins the doomed queue. A hit in
// probation promotes the entry to protected; protected overflow is demoted to
// the back of probation.
//
// Eviction order, the order of ascend and of evict: doomed, then probation,
// then protected, then window, each from its front. The cache gives up first
// the entries that lost an admission contest, then the main area's least
// recently used entries, those not hit since admission before those hit, and
// the window's entries, the newest, last. ascend's first node is always the
// one evict returns next.
//
// Choices measured on the project's traces (TestSimAblations): the sketch
// counts from the first request (Caffeine starts at half full; counting early
// helped most on the short Glimpse trace), it has a doorkeeper, and a climber
// sample is max(maximum, min(10 x maximum, 5,000)) requests rather than the
// sketch's 10 x maximum, which let the window grow in time on recency traces
// (corda, web, scarab) at large sizes.
const (
	wtWindow uint8 = 1 + iota
	wtProbation
	wtProtected
	wtDoomed
)

const (
	// wtMainPercent of the cache is the main area at first: the window
	// starts at 1% (at least one entry).
	wtMainPercent = 99
	// wtProtectedPercent of the main area may be protected.
	wtProtectedPercent = 80
	// A losing candidate whose estimated frequency is at least
	// wtFloodFrequency is still admitted with probability 1/wtFloodOdds, so
	// that keys crafted to collide with a hot victim in the sketch cannot
	// keep every newcomer out.
	wtFloodFrequency = 6
	wtFloodOdds      = 128
	// The hill climber: after each sample of requests the window moves by
	// the step, in the same direction if the hit rate did not fall and in
	// the other if it did; the step decays by wtStepDecay per sample and
	// restarts at wtStepPercent of the cache when the hit rate moves by
	// wtRestartThreshold or more. A sample is the maximum, at least
	// wtSampleFloor requests, at most 10 x the maximum.
	wtStepPercent      = 0.0625
	wtStepDecay        = 0.98
	wtRestartThreshold = 0.05
	wtSampleFloor      = 5000
)

type wtinylfu[K comparable, V any] struct {
	window, probation, protected, doomed list[K, V]

	max          int // the cache's maximum
	windowMax    int // the window's share, adjusted by the climber
	protectedMax int // protected's share of the main area

	sketch *admission.Sketch // sized for max; 8 + 10 bytes per entry of max
	seed   uint64
	rng    uint64 // splitmix64 state, for the hash-flooding defence

	// The hill climber's state: hits and misses in the current sample, the
	// previous sample's hit rate, and the signed step of the next move.
	hits, misses int
	prevHitRate  float64
	step         float64

	off wtAblation
}

// wtAblation switches parts of the design off, or back to the alternative
// it was measured against, for TestSimAblations. The zero value is the
// policy as shipped; nothing else sets it.
type wtAblation struct {
	lazySketch   bool // no sketch (no counting) until the cache is half full, as in Caffeine
	noDoorkeeper bool // a sketch without a doorkeeper
	sketchSample bool // climber samples of 10 x maximum requests
	noClimb      bool // the window stays at 1%
	noFlood      bool // no random admission of losing candidates
	noBounce     bool // the climber keeps its direction at a bound
}

// newWTinyLFU returns an empty W-TinyLFU policy for a cache of at most max
// entries. seed seeds both the sketch's hash mixing and the random admissions
// of the hash-flooding defence, so a fixed seed makes the policy
// deterministic.
func newWTinyLFU[K comparable, V any](max int, seed uint64) *wtinylfu[K, V] {
	return newWTinyLFUAblated[K, V](max, seed, wtAblation{})
}

func newWTinyLFUAblated[K comparable, V any](max int, seed uint64, off wtAblation) *wtinylfu[K, V] {
	p := &wtinylfu[K, V]{
		window:    newList[K, V](wtWindow),
		probation: newList[K, V](wtProbation),
		protected: newList[K, V](wtProtected),
		doomed:    newList[K, V](wtDoomed),
		seed:      seed,
		off:       off,
	}
	p.reset(max)
	return p
}

// reset forgets everything learned: shares, climber, random sequence and
// sketch start over for a cache of max entries.
func (p *wtinylfu[K, V]) reset(max int) {
	p.rng = p.seed
	p.sketch = nil
	p.resize(max)
	p.ensureSketch()
}

// ensureSketch creates the sketch unless it exists or the lazySketch
// ablation defers it.
func (p *wtinylfu[K, V]) ensureSketch() {
	switch {
	case p.sketch != nil || (p.off.lazySketch && p.len()+1 < p.max/2):
	case p.off.noDoorkeeper:
		p.sketch = admission.New(p.max, wtSketchSeed(p.seed))
	default:
		p.sketch = admission.NewWithDoorkeeper(p.max, wtSketchSeed(p.seed))
	}
}

// wtSketchSeed derives the sketch's seed from the policy's, so that the
// sketch's mixing differs from the engine's key hash under the same seed.
func wtSketchSeed(seed uint64) uint64 { return (seed ^ 0x5851f42d4c957f2d) * 0x9e3779b97f4a7c15 }

// resize sets the shares for a new maximum, resizes the sketch (which loses
// its counts if its table changes size) and restarts the climber.
func (p *wtinylfu[K, V]) resize(max int) {
	p.max = max
	p.windowMax = max - max*wtMainPercent/100
	p.protectedMax = (max - p.windowMax) * wtProtectedPercent / 100
	p.hits, p.misses, p.prevHitRate = 0, 0, 0
	p.step = -wtStepPercent * float64(max)
	if p.sketch != nil {
		p.sketch.Resize(max)
	}
}

func (p *wtinylfu[K, V]) mainLen() int { return p.probation.len() + p.protected.len() }

func (p *wtinylfu[K, V]) len() int {
	return p.window.len() + p.probation.len() + p.protected.len() + p.doomed.len()
}

func (p *wtinylfu[K, V]) add(n *node[K, V]) {
	p.ensureSketch()
	p.record(n)
	p.misses++
	p.window.pushBack(n)
	p.admitFromWindow()
	p.climb()
}

func (p *wtinylfu[K, V]) access(n *node[K, V]) {
	p.touch(n)
	p.hits++
	p.climb()
}

func (p *wtinylfu[K, V]) replace(old, n *node[K, V]) {
	p.queue(old.queue).replace(old, n)
	p.touch(n)
}

func (p *wtinylfu[K, V]) remove(n *node[K, V]) { p.queue(n.queue).remove(n) }

// record counts an occurrence of n's key in the sketch.
func (p *wtinylfu[K, V]) record(n *node[K, V]) {
	if p.sketch != nil {
		p.sketch.Increment(n.hash)
	}
}

func (p *wtinylfu[K, V]) frequency(n *node[K, V]) int {
	if p.sketch == nil {
		return 0
	}
	return p.sketch.Frequency(n.hash)
}

// touch records a request for the linked node n and reorders it.
func (p *wtinylfu[K, V]) touch(n *node[K, V]) {
	p.record(n)
	switch n.queue {
	case wtWindow:
		p.window.moveToBack(n)
	case wtProbation:
		p.probation.remove(n)
		p.protected.pushBack(n)
		p.demote()
	case wtProtected:
		p.protected.moveToBack(n)
	case wtDoomed:
		// It lost its contest; the engine is about to evict it.
	}
}

// demote moves protected overflow to the back of probation.
func (p *wtinylfu[K, V]) demote() {
	for p.protected.len() > p.protectedMax {
		p.probation.pushBack(p.protected.popFront())
	}
}

// admitFromWindow moves window overflow into the main area, through an
// admission contest when the main area is full.
func (p *wtinylfu[K, V]) admitFromWindow() {
	for p.window.len() > p.windowMax {
		c := p.window.popFront()
		if p.mainLen() < p.max-p.windowMax {
			p.probation.pushBack(c)
			continue
		}
		v := p.probation.front()
		if v == nil {
			v = p.protected.front()
		}
		if v == nil || !p.admit(c, v) {
			p.doomed.pushBack(c)
			continue
		}
		p.queue(v.queue).remove(v)
		p.doomed.pushBack(v)
		p.probation.pushBack(c)
	}
}

// admit reports whether the candidate c should replace the victim v: if it
// is estimated more frequent, or, being warm (frequency >= 6), with
// probability 1/128 (the hash-flooding defence).
func (p *wtinylfu[K, V]) admit(c, v *node[K, V]) bool {
	cf, vf := p.frequency(c), p.frequency(v)
	if cf > vf {
		return true
	}
	return !p.off.noFlood && cf >= wtFloodFrequency && p.random()%wtFloodOdds == 0
}

// random returns the next number of a splitmix64 sequence.
func (p *wtinylfu[K, V]) random() uint64 {
	p.rng += 0x9e3779b97f4a7c15
	z := p.rng
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// climb ends a sample when it is complete and moves the window by the
// climber's step.
func (p *wtinylfu[K, V]) climb() {
	if p.sketch == nil || p.off.noClimb {
		return
	}
	requests := p.hits + p.misses
	if requests < p.sampleSize() {
		return
	}
	if p.len() < p.max/2 {
		// Not evicting: the hit rate says nothing about the split.
		p.hits, p.misses = 0, 0
		return
	}
	rate := float64(p.hits) / float64(requests)
	change := rate - p.prevHitRate
	amount := p.step
	if change < 0 {
		amount = -amount
	}
	if change >= wtRestartThreshold || change <= -wtRestartThreshold {
		p.step = wtStepPercent * float64(p.max)
		if amount < 0 {
			p.step = -p.step
		}
	} else {
		p.step = wtStepDecay * amount
	}
	p.prevHitRate = rate
	p.hits, p.misses = 0, 0
	if p.moveWindow(int(amount)) == 0 && int(amount) != 0 && !p.off.noBounce {
		// The window is at a bound: turn around rather than push against
		// it. Without this, a workload whose hit rate stays flat (all
		// misses while the window is too small to catch any reuse) keeps
		// the climber pressing on the lower bound forever.
		p.step = -p.step
	}
}

// sampleSize is the number of requests in a climber sample: the maximum, but
// at least wtSampleFloor (so that a small cache's hit rate is measured over
// enough requests to tell a step's effect from noise) and at most 10 x the
// maximum.
func (p *wtinylfu[K, V]) sampleSize() int {
	if p.off.sketchSample {
		return p.sketch.SampleSize()
	}
	return max(p.max, min(10*p.max, wtSampleFloor), 1)
}

// moveWindow grows (delta > 0) or shrinks the window by up to |delta|
// entries, taking the room from or giving it to the protected share, and
// returns how far it moved. It keeps at least one entry of window and never
// evicts: a grown window fills with new entries while the engine evicts the
// main area's victims; a shrunk window's oldest entries move to the back of
// probation.
func (p *wtinylfu[K, V]) moveWindow(delta int) int {
	switch {
	case delta > 0:
		delta = min(delta, p.protectedMax)
		p.windowMax += delta
		p.protectedMax -= delta
		p.demote()
		return delta
	case delta < 0:
		delta = max(min(-delta, p.windowMax-1), 0)
		p.windowMax -= delta
		p.protectedMax += delta
		for p.window.len() > p.windowMax {
			p.probation.pushBack(p.window.popFront())
		}
		return delta
	}
	return 0
}

func (p *wtinylfu[K, V]) evict() *node[K, V] {
	for _, q := range p.order() {
		if n := q.popFront(); n != nil {
			return n
		}
	}
	return nil
}

// order returns the queues in eviction order.
func (p *wtinylfu[K, V]) order() [4]*list[K, V] {
	return [4]*list[K, V]{&p.doomed, &p.probation, &p.protected, &p.window}
}

func (p *wtinylfu[K, V]) ascend(yield func(*node[K, V]) bool) {
	for _, q := range p.order() {
		if !q.ascend(yield) {
			return
		}
	}
}

func (p *wtinylfu[K, V]) descend(yield func(*node[K, V]) bool) {
	order := p.order()
	for i := len(order) - 1; i >= 0; i-- {
		if !order[i].descend(yield) {
			return
		}
	}
}

// setMax resizes the shares and the sketch and restarts the climber. Contest
// losers go back to the front of probation (their contest was for the old
// size), window overflow to the back of probation, protected overflow too;
// the engine then evicts from the front of the order until the cache fits.
func (p *wtinylfu[K, V]) setMax(max int) {
	p.resize(max)
	for n := p.doomed.back(); n != nil; n = p.doomed.back() {
		p.doomed.remove(n)
		wtPushFront(&p.probation, n)
	}
	for p.window.len() > p.windowMax {
		p.probation.pushBack(p.window.popFront())
	}
	p.demote()
}

// wtPushFront links the unlinked node x at the front of l (list has no such
// method; only setMax needs it, and it is not on a hot path).
func wtPushFront[K comparable, V any](l *list[K, V], x *node[K, V]) {
	front := l.front()
	l.pushBack(x)
	for n := front; n != nil && n != x; {
		next := n.next
		l.moveToBack(n)
		n = next
	}
}

func (p *wtinylfu[K, V]) clear() {
	for _, q := range p.order() {
		q.clear()
	}
	p.reset(p.max)
}

func (p *wtinylfu[K, V]) clone(mapped func(*node[K, V]) *node[K, V]) policy[K, V] {
	c := *p
	c.window = newList[K, V](wtWindow)
	c.probation = newList[K, V](wtProbation)
	c.protected = newList[K, V](wtProtected)
	c.doomed = newList[K, V](wtDoomed)
	dst := c.order()
	for i, q := range p.order() {
		q.ascend(func(x *node[K, V]) bool {
			dst[i].pushBack(mapped(x))
			return true
		})
	}
	if p.sketch != nil {
		c.sketch = p.sketch.Clone()
	}
	return &c
}

// queue returns the list whose id is id.
func (p *wtinylfu[K, V]) queue(id uint8) *list[K, V] {
	switch id {
	case wtWindow:
		return &p.window
	case wtProbation:
		return &p.probation
	case wtProtected:
		return &p.protected
	case wtDoomed:
		return &p.doomed
	}
	panic("concurrent: W-TinyLFU node in no queue")
}
