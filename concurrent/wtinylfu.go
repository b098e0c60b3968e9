package concurrent

import "github.com/clientcache/clientcache/admission"

// W-TinyLFU: a small LRU admission window in front of a segmented LRU main
// area, whose door is kept by a TinyLFU frequency sketch, with a window size
// that adapts to the workload by hill climbing.
//
// References: G. Einziger, R. Friedman, B. Manes, "TinyLFU: A Highly
// Efficient Cache Admission Policy", ACM Transactions on Storage 13(4), 2017
// (the window, the segmented main area and the admission test); G. Einziger,
// O. Eytan, R. Friedman, B. Manes, "Adaptive Software Cache Management",
// Middleware 2018 (the hill climber); and the design of Caffeine's
// BoundedLocalCache, whose constants are used here.
//
// Layout. Four queues, each an LRU list whose front is its least recently
// used node:
//
//	doomed     contest losers waiting for the engine to evict them
//	probation  main area, entries seen once since they entered main
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
// then protected, then window, each from its front. So the cache gives up
// first the entries that lost an admission contest, then the main area's
// least recently used entries, the ones seen once before the ones seen twice,
// and the window's newest entries last. ascend's first node is always the one
// evict returns next.
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
	// The hill climber: after each sample (the sketch's sample size in
	// requests) the window moves by the step in the direction that raised
	// the hit rate; the step decays by wtStepDecay per sample and restarts
	// at wtStepPercent of the cache when the hit rate moves by more than
	// wtRestartThreshold.
	wtStepPercent      = 0.0625
	wtStepDecay        = 0.98
	wtRestartThreshold = 0.05
)

type wtinylfu[K comparable, V any] struct {
	window, probation, protected, doomed list[K, V]

	max          int // the cache's maximum
	windowMax    int // the window's share, adjusted by the climber
	protectedMax int // protected's share of the main area

	// sketch is nil until the cache first holds half its maximum: below
	// that nothing is evicted, so nothing needs an estimate.
	sketch *admission.Sketch
	seed   uint64
	rng    uint64 // splitmix64 state, for the hash-flooding defence

	// The hill climber's state: hits and misses in the current sample, the
	// previous sample's hit rate, and the signed step of the next move.
	hits, misses int
	prevHitRate  float64
	step         float64
}

// newWTinyLFU returns an empty W-TinyLFU policy for a cache of at most max
// entries. seed seeds both the sketch's hash mixing and the random admissions
// of the hash-flooding defence, so a fixed seed makes the policy
// deterministic.
func newWTinyLFU[K comparable, V any](max int, seed uint64) *wtinylfu[K, V] {
	p := &wtinylfu[K, V]{
		window:    newList[K, V](wtWindow),
		probation: newList[K, V](wtProbation),
		protected: newList[K, V](wtProtected),
		doomed:    newList[K, V](wtDoomed),
		seed:      seed,
	}
	p.rng = seed
	p.resize(max)
	return p
}

// resize sets the shares for a new maximum and restarts the climber.
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
	if p.sketch == nil && p.len()+1 >= p.max/2 {
		p.sketch = admission.New(p.max, p.seed)
	}
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

// record counts an occurrence of n's key in the sketch, once there is one.
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

// admit reports whether the candidate c should replace the victim v.
func (p *wtinylfu[K, V]) admit(c, v *node[K, V]) bool {
	cf, vf := p.frequency(c), p.frequency(v)
	if cf > vf {
		return true
	}
	return cf >= wtFloodFrequency && p.random()%wtFloodOdds == 0
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
// climber's step: towards a larger window while that raises the hit rate,
// the other way when it lowers it.
func (p *wtinylfu[K, V]) climb() {
	if p.sketch == nil {
		return
	}
	requests := p.hits + p.misses
	if requests < p.sketch.SampleSize() {
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
	p.moveWindow(int(amount))
}

// moveWindow grows (delta > 0) or shrinks the window by up to |delta|
// entries, taking the room from or giving it to the protected share. It
// keeps at least one entry of window and never evicts: a grown window fills
// with new entries while the engine evicts the main area's victims; a shrunk
// window's oldest entries move to the back of probation.
func (p *wtinylfu[K, V]) moveWindow(delta int) {
	switch {
	case delta > 0:
		delta = min(delta, p.protectedMax)
		p.windowMax += delta
		p.protectedMax -= delta
		p.demote()
	case delta < 0:
		delta = min(-delta, p.windowMax-1)
		if delta <= 0 {
			return
		}
		p.windowMax -= delta
		p.protectedMax += delta
		for p.window.len() > p.windowMax {
			p.probation.pushBack(p.window.popFront())
		}
	}
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
// method; only setMax needs it).
func wtPushFront[K comparable, V any](l *list[K, V], x *node[K, V]) {
	front := l.front()
	l.pushBack(x)
	if front == nil {
		return
	}
	// Move every node that was there before x behind it.
	for n := front; n != x; {
		next := n.next
		l.moveToBack(n)
		n = next
	}
}

func (p *wtinylfu[K, V]) clear() {
	for _, q := range p.order() {
		q.clear()
	}
	p.sketch = nil
	p.rng = p.seed
	p.resize(p.max)
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
