package concurrent

import (
	"container/heap"
	"maps"
	"math"
	"slices"

	"github.com/clientcache/clientcache/admission"
)

// wtLab is the state of the W-TinyLFU ablations that keep some (see
// wtAblation): what the policy as shipped does not carry.
type wtLab struct {
	stale *wtStaleness // staleTie
	ind   *wtIndicator // indicatorSample
	// rateLimit: requests and window moves since the period (max requests)
	// began.
	requests, moved int
	// ties is the learnTies ablation's score, kept as the narrow lead's is
	// (wtinylfu.narrow).
	ties int64
	// stepAdapt: the steps' scale in 1/16s, the remainder of the scaled
	// moves, the net move of the current period, the direction of the last
	// one and the requests of this one.
	scale, scaleFrac, net, lastDir, periodReqs int
	// learnIdle: the score of the idle contests (in 1/wtNarrowUnit of a
	// request), the keys they watch (the staleness clock of their contest,
	// and whether the key was its candidate), and the requests since the
	// score last decayed.
	idleScore int64
	idleWatch map[uint64]wtIdleWatch
	idleAge   int
	// contests: the blindTurnover ablation's count of contests.
	contests int
	// shrunk: a victim ghost hit has shrunk the window (growNeeded).
	shrunk bool
	// ghostAge: the requests and candidate ghost hits of the current
	// period, and the requests since the last aging it made.
	gaReqs, gaGhosts, gaSince int
	// contested: the firstContest ablation has acted; fillRequests and
	// fillHits count the requests before and their hits.
	contested              bool
	fillRequests, fillHits int
}

// The firstContest ablation's actions.
const (
	wtFirstAge = 1 + iota
	wtFirstClear
)

// firstContest ages or clears the sketch s (action, see
// wtAblation.firstContest) at a cache of max entries' first contest.
func (l *wtLab) firstContest(s *admission.Sketch, action, hits, max int) {
	if l.contested || max <= wtDuelSize || s == nil {
		return
	}
	l.contested = true
	if hits > 0 && l.fillHits*100 >= hits*l.fillRequests {
		return
	}
	if action == wtFirstAge {
		s.Age()
	} else {
		s.Clear()
	}
}

// blindTurn reports whether the blindTurnover ablation (k) still makes
// ties blind in a cache of max entries.
func (l *wtLab) blindTurn(k, max int) bool {
	return k > 0 && max > wtDuelSize && l.contests <= k*max
}

// wtIdleWatch is a key watched by an idle contest of the learnIdle
// ablation.
type wtIdleWatch struct {
	clock uint64
	cand  bool
}

// wtStaleness is the staleTie ablation's record of when each key was last
// requested.
type wtStaleness struct {
	clock uint64
	last  map[uint64]uint64
}

// labRecord is the ablations' part of recording a request for the key of
// hash h.
func (p *wtinylfu[K, V]) labRecord(h uint64) {
	if st := p.lab.stale; st != nil {
		st.clock++
		st.last[h] = st.clock
		if p.off.learnIdle {
			p.lab.idleRecord(h, uint64(p.max*max(p.off.idleHorizon, 1)))
		}
	}
	if g := p.off.ghostAge; g > 0 && p.max > wtDuelSize && p.fill.done && p.sketch != nil {
		l := p.lab
		l.gaReqs++
		l.gaSince++
		if l.gaReqs >= max(p.max/4, 1) {
			if l.gaGhosts*1000 >= g*l.gaReqs && l.gaSince >= max(p.off.ghostAgeCool, 1)*p.max {
				p.sketch.Age()
				l.gaSince = 0
			}
			l.gaReqs, l.gaGhosts = 0, 0
		}
	}
	if p.off.rateLimit > 0 {
		if p.lab.requests++; p.lab.requests >= p.max {
			p.lab.requests, p.lab.moved = 0, 0
		}
	}
	if p.off.stepAdapt > 0 && p.max > wtDuelSize {
		p.lab.stepPeriod(p.max/p.off.stepAdapt, p.off.stepMin)
	}
	if p.lab.ind != nil {
		if share, done := p.lab.ind.record(h); done && !p.lruMode {
			p.moveWindow(max(1, int(share*float64(p.max)+0.5)) - p.windowMax)
		}
	}
}

// labGrowMul is the growMul ablation's window move for a ghost hit of kind
// (wtGhostVictim or not), given the policy's own move delta: a candidate
// ghost's step multiplied by growMul.
func (p *wtinylfu[K, V]) labGrowMul(delta int, kind uint64) int {
	if m := p.off.growMul; m > 0 && kind&wtGhostVictim == 0 && (!p.off.growMulSmall || p.max <= wtDuelSize) {
		return delta * m
	}
	return delta
}

// labReturnDepth is how many candidates a key that lost as one is
// returning for (see adapt), given the policy's own depth rd: max/returnBig
// above wtDuelSize entries in the returnBig ablation.
func (p *wtinylfu[K, V]) labReturnDepth(rd uint64) uint64 {
	if d := p.off.returnBig; d > 0 && p.max > wtDuelSize {
		return p.depthOf(d)
	}
	return rd
}

// labGrowNeeded is the growNeeded ablation's window move for a ghost hit
// of kind (wtGhostVictim or not) whose key lost its contest since candidates
// ago, given the policy's own move delta: a candidate ghost grows the
// window by as much as it would have needed to hold the key (capped by
// growNeededCap). It also notes the first shrink by a victim ghost.
func (p *wtinylfu[K, V]) labGrowNeeded(delta int, kind, since uint64) int {
	if kind&wtGhostVictim != 0 {
		if delta < 0 {
			p.lab.shrunk = true
		}
		return delta
	}
	g := p.off.growNeeded
	if g == 0 || g > 1 && p.lab.shrunk || g >= 3 && p.max <= wtDuelSize ||
		g >= 4 && p.fill.hits*100 < wtFillHitPercent*p.fill.requests {
		return delta
	}
	need := int(since) + 1
	switch c := p.off.growNeededCap; {
	case c > 0:
		need = min(need, max(1, p.max/c))
	case c < 0:
		need = min(need, -c)
	}
	return max(delta, need)
}

// labAdmits reports whether an ablation admits the candidate c (estimated
// cf) that the policy as shipped turns away from the victim v (estimated
// vf): blindLead, tieFrom or learnTies, which end the hash-flooding
// defence's streak as the policy's own admissions do, or staleTie, which
// leaves it as it was when that ablation was measured.
func (p *wtinylfu[K, V]) labAdmits(c, v *node[K, V], cf, vf int) bool {
	off := p.off
	admit := false
	switch {
	case off.blindLead > 0 && !p.everHit && cf <= 1 && cf < vf && vf <= cf+off.blindLead:
		c.setBlind(true)
		admit = true
	case off.tieFrom > 0 && cf == vf && cf >= off.tieFrom && (!off.bigTieOnly || p.max > wtDuelSize):
		admit = true
	case (off.learnTies || off.learnTiesBig) && p.watch != nil && cf == vf && (off.tieMax == 0 || cf <= off.tieMax):
		p.watch.put(c.hash, p.requests, wtWatchCandidate|wtWatchTie)
		p.watch.put(v.hash, p.requests, wtWatchTie)
		admit = p.lab.ties > int64(off.tieBias)*wtNarrowUnit
	}
	if !admit && off.idleHalf > 0 && bigOnly(off.idleBigOnly, p.max) {
		admit = p.lab.idleAdmits(v.hash, cf, vf, off.idleHalf*p.max/4)
		if admit && off.learnIdle {
			l := p.lab
			l.idleWatch[c.hash] = wtIdleWatch{l.stale.clock, true}
			l.idleWatch[v.hash] = wtIdleWatch{l.stale.clock, false}
			admit = l.idleScore >= -int64(off.idleBias)*wtNarrowUnit
		}
	}
	if admit {
		p.streak = 0
		return true
	}
	return p.lab.staleTieWins(v.hash, cf, vf, off, p.max)
}

// labReturnAdmits reports whether the learnReturn ablation lets a
// returning candidate's bonus admit c against v: while the score of such
// contests is above off.tieBias requests (both keys watched, as learnTies
// watches a tie's).
func (p *wtinylfu[K, V]) labReturnAdmits(c, v *node[K, V]) bool {
	if !p.off.learnReturn || p.watch == nil {
		return true
	}
	p.watch.put(c.hash, p.requests, wtWatchCandidate|wtWatchTie)
	p.watch.put(v.hash, p.requests, wtWatchTie)
	return p.lab.ties > int64(p.off.tieBias)*wtNarrowUnit
}

// idleRecord scores a request for the key of hash h if an idle contest of
// the last horizon requests watches it (see wtAblation.learnIdle), and
// every horizon requests decays the score by 1/wtNarrowDecay and forgets
// the watches older than horizon.
func (l *wtLab) idleRecord(h, horizon uint64) {
	if w, ok := l.idleWatch[h]; ok {
		delete(l.idleWatch, h)
		if l.stale.clock-w.clock <= horizon {
			if w.cand {
				l.idleScore += wtNarrowUnit
			} else {
				l.idleScore -= wtNarrowUnit
			}
		}
	}
	if l.idleAge++; uint64(l.idleAge) >= horizon {
		l.idleAge = 0
		l.idleScore -= l.idleScore / wtNarrowDecay
		for k, w := range l.idleWatch {
			if l.stale.clock-w.clock > horizon {
				delete(l.idleWatch, k)
			}
		}
	}
}

// idleAdmits reports whether the idleHalf ablation admits a candidate of
// estimate cf against a victim of hash v and estimate vf: vf halved for
// every half requests since v's key was last requested is below cf.
func (l *wtLab) idleAdmits(v uint64, cf, vf, half int) bool {
	st := l.stale
	idle := st.clock - st.last[v]
	n := idle / uint64(max(half, 1))
	return n > 0 && (n >= 8 || vf>>n < cf)
}

// staleTieWins reports whether the staleTie ablation admits a candidate of
// estimate cf against a victim of hash v and estimate vf: a tie, from an
// estimate of off.staleTieFrom, against a victim not requested in the last
// off.staleTie x max requests.
func (l *wtLab) staleTieWins(v uint64, cf, vf int, off wtAblation, max int) bool {
	st := l.stale
	return st != nil && off.staleTie > 0 && cf == vf && cf >= off.staleTieFrom &&
		st.clock-st.last[v] > uint64(off.staleTie*max)
}

// limitMove returns the part of a window move of delta entries that the
// rateLimit ablation allows in the current period, and counts it.
func (l *wtLab) limitMove(delta int, off wtAblation, max int) int {
	if off.rateLimit <= 0 || max <= wtDuelSize {
		return delta
	}
	budget := max*off.rateLimit/100 - l.moved
	delta = min(budget, delta)
	delta = -min(budget, -delta)
	if delta < 0 {
		l.moved -= delta
	} else {
		l.moved += delta
	}
	return delta
}

// bigOnly reports whether an ablation limited to caches of more than
// wtDuelSize entries when only is set applies to a cache of max entries.
func bigOnly(only bool, max int) bool { return !only || max > wtDuelSize }

// shrinkEstimate is the estimate f of a victim ghost's key as the
// shrinkCap and shrinkFloor ablations count it toward the window's shrink
// step in a cache of size entries.
func (o *wtAblation) shrinkEstimate(f, size int) int {
	if c := o.shrinkCap; c > 0 && bigOnly(o.shrinkCapBig, size) {
		f = min(f, c)
	}
	if fl := o.shrinkFloor; fl > 0 {
		f = max(f, fl)
	}
	return f
}

// scaledSize is the size a ghost's step is scaled by in a cache of size
// entries whose policy as shipped scales it by shipped, as the stepScaleCap
// ablations say (victim: a victim or growth ghost's step).
func (o *wtAblation) scaledSize(size, shipped int, victim bool) int {
	c := o.stepScaleCap
	if victim {
		c = o.stepScaleCapVictim
	}
	switch {
	case c > 0:
		return min(size, c)
	case c < 0:
		return size
	}
	return shipped
}

// growthStep returns a growth ghost's step, its divisor and whether it is
// scaled, given the key's estimate f and the step as shipped (delta,
// divisor, scaled), as the growthFactor, growthConst, growthSquare and
// growthUnit ablations reshape it in a cache of size entries.
func (o *wtAblation) growthStep(f, delta, divisor int, scaled bool, size int) (int, int, bool) {
	if g := o.growthFactor; g > 0 {
		divisor = divisor / wtGrowthStepFactor * g
	}
	if g := o.growthConst; g > 0 {
		delta = -g
	}
	if d := o.growthSquare; d > 0 && bigOnly(o.growthSquareBig, size) {
		delta = -max(f*f/d, 1)
	}
	if u := o.growthUnit; u > 0 && bigOnly(!o.growthUnitAll, size) {
		scaled = false
		if u == 1 {
			delta = -1
		}
	}
	return delta, divisor, scaled
}

// stepPeriod counts a request toward the stepAdapt ablation's period of
// reqs requests; at its end, the steps' scale doubles (up to 16/16, the
// steps as shipped) if the window moved the same way as in the last
// period, and halves (down to floor/16, at least 1/16) if it moved the
// other way.
func (l *wtLab) stepPeriod(reqs, floor int) {
	if l.periodReqs++; l.periodReqs < max(reqs, 1) {
		return
	}
	dir := 0
	if l.net > 0 {
		dir = 1
	} else if l.net < 0 {
		dir = -1
	}
	switch {
	case dir != 0 && dir == l.lastDir:
		l.scale = min(l.scale*2, 16)
	case dir != 0 && dir == -l.lastDir:
		l.scale = max(l.scale/2, floor, 1)
	}
	if dir != 0 {
		l.lastDir = dir
	}
	l.periodReqs, l.net = 0, 0
}

// scaleMove scales a window move of delta entries by the stepAdapt
// ablation's scale, and counts it toward the period's net move.
func (l *wtLab) scaleMove(delta int) int {
	l.scaleFrac += delta * l.scale
	d := l.scaleFrac / 16
	l.scaleFrac -= d * 16
	l.net += d
	return d
}

func (l *wtLab) clone() *wtLab {
	c := new(wtLab)
	*c = *l
	c.idleWatch = maps.Clone(l.idleWatch)
	if l.stale != nil {
		c.stale = &wtStaleness{clock: l.stale.clock, last: maps.Clone(l.stale.last)}
	}
	if l.ind != nil {
		c.ind = l.ind.clone()
	}
	return c
}

// The indicator: an alternative to the ghosts for sizing the window, kept as
// the indicator ablation (wtAblation.indicatorSample) so that its figures
// come from a command. It is the "indicator" of G. Einziger, O. Eytan, R.
// Friedman and B. Manes, "Adaptive Software Cache Management" (Middleware
// 2018), as Caffeine's simulator implements it (IndicatorClimber): over each
// sample of requests it averages the frequency a sketch estimated for each
// requested key before counting it (the hint, 0 to 15: how much the workload
// repeats itself) and estimates the skew of the popularity distribution from
// the 70 most frequent keys of the sample (the slope of log count against
// log rank, the keys counted by a space-saving summary of 1,000 entries);
// then indicator = hint x (1 - skew^3) / 15 (0 from a skew of 1 on), and the
// window becomes 80% x indicator of the cache: a workload that repeats
// itself without a few dominant keys wants recency, a skewed one frequency.
// The ghosts then do not move the window.
type wtIndicator struct {
	sketch  *admission.Sketch // the indicator's own, as in Caffeine's simulator
	sample  int               // requests per adaptation
	n       int               // requests in this sample
	hintSum int
	top     spaceSaving
}

const (
	wtIndicatorTopK    = 70   // keys whose counts estimate the skew
	wtIndicatorSummary = 1000 // entries of the space-saving summary
)

func newWTIndicator(max, sample int, seed uint64) *wtIndicator {
	return &wtIndicator{
		sketch: admission.New(max, wtSketchSeed(seed)^0xa0761d6478bd642f),
		sample: sample,
		top:    newSpaceSaving(wtIndicatorSummary),
	}
}

func (w *wtIndicator) clone() *wtIndicator {
	c := *w
	c.sketch = w.sketch.Clone()
	c.top = w.top.clone()
	return &c
}

// record counts a request for the key of hash h and reports, at the end of
// each sample, the window's new share of the cache (0 to 0.8).
func (w *wtIndicator) record(h uint64) (share float64, done bool) {
	w.hintSum += w.sketch.Frequency(h)
	w.sketch.Increment(h)
	w.top.offer(h)
	w.n++
	if w.n < w.sample {
		return 0, false
	}
	hint := float64(w.hintSum) / float64(w.n)
	skew := w.top.skew(wtIndicatorTopK)
	ind := 0.0
	if skew < 1 {
		ind = hint * (1 - math.Pow(skew, 3)) / 15
	}
	w.n, w.hintSum = 0, 0
	w.top = newSpaceSaving(wtIndicatorSummary)
	return ind * 0.8, true
}

// spaceSaving is the space-saving summary of A. Metwally, D. Agrawal and
// A. El Abbadi ("Efficient Computation of Frequent and Top-k Elements in Data
// Streams", ICDT 2005): at most size counters; a key without one takes the
// smallest counter's, plus one.
type spaceSaving struct {
	size int
	h    ssHeap
}

type ssItem struct {
	key   uint64
	count int
}

// ssHeap is a min-heap of counters that keeps index (key -> position in
// items) up to date.
type ssHeap struct {
	items []ssItem
	index map[uint64]int
}

func (h *ssHeap) Len() int           { return len(h.items) }
func (h *ssHeap) Less(i, j int) bool { return h.items[i].count < h.items[j].count }
func (h *ssHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.index[h.items[i].key] = i
	h.index[h.items[j].key] = j
}
func (h *ssHeap) Push(x any) {
	it := x.(ssItem)
	h.index[it.key] = len(h.items)
	h.items = append(h.items, it)
}
func (h *ssHeap) Pop() any {
	it := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	delete(h.index, it.key)
	return it
}

func newSpaceSaving(size int) spaceSaving {
	return spaceSaving{size: size, h: ssHeap{index: make(map[uint64]int, size)}}
}

func (s *spaceSaving) clone() spaceSaving {
	return spaceSaving{size: s.size, h: ssHeap{items: slices.Clone(s.h.items), index: maps.Clone(s.h.index)}}
}

func (s *spaceSaving) offer(key uint64) {
	if i, ok := s.h.index[key]; ok {
		s.h.items[i].count++
		heap.Fix(&s.h, i)
		return
	}
	if len(s.h.items) < s.size {
		heap.Push(&s.h, ssItem{key, 1})
		return
	}
	old := s.h.items[0]
	delete(s.h.index, old.key)
	s.h.items[0] = ssItem{key, old.count + 1}
	s.h.index[key] = 0
	heap.Fix(&s.h, 0)
}

// skew returns minus the slope of the least-squares line through
// (log rank, log count) of the k largest counters (0 with fewer than two).
func (s *spaceSaving) skew(k int) float64 {
	counts := make([]int, len(s.h.items))
	for i, it := range s.h.items {
		counts[i] = it.count
	}
	slices.SortFunc(counts, func(a, b int) int { return b - a }) // largest first
	counts = counts[:min(k, len(counts))]
	if len(counts) < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i, c := range counts {
		x, y := math.Log(float64(i+1)), math.Log(float64(c))
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	n := float64(len(counts))
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return -(n*sxy - sx*sy) / den
}
