package bench

import (
	"fmt"
	"io"
	"strings"

	"github.com/clientcache/clientcache/internal/trace"
)

// Anatomy compares two caches request by request on one trace: it counts the
// requests that only one of them hits, by how many times the key had been
// requested before and by its reuse distance (the number of requests since
// the key's previous request) in multiples of the capacity. Where a rival
// leads, it tells which requests the lead is made of: keys reused soon after
// their first request or two (recency), or keys requested often but far
// apart (frequency).
type Anatomy struct {
	Trace          string
	Capacity       int
	Accesses       int
	Names          [2]string
	Hits           [2]int
	OnlyHits       [2]int    // requests that only Names[i] hit
	ByPrior        [][2]int  // index n: keys requested n times before (the last, MaxPrior or more)
	ByDistance     [][2]int  // index i: reuse distance at most DistanceBounds[i] x Capacity (the last, above them all)
	DistanceBounds []float64 // upper bounds of ByDistance's classes, in capacities
	MaxPrior       int       // the last class of ByPrior
	// ByRun holds each cache's hits over each run of RunLength requests
	// (ByRun[i][e]: Names[i]'s over run e; the last run may be shorter):
	// whether one leads throughout or each leads in turn, and so what a duel
	// that followed the leader could win.
	ByRun     [2][]int
	RunLength int
}

// AnatomyMinRun is the least RunLength: runs are of the capacity's number
// of requests, or this many if more (as the epochs of clientcache's duel).
const AnatomyMinRun = 100

// AnatomyFollowDecay is the decay of the scores Anatomy.Follow keeps: each
// loses 1/AnatomyFollowDecay of itself per run (as in clientcache's duel).
const AnatomyFollowDecay = 20

// Best returns the hits of the better of the two caches over each run, added
// up (trace.BestOfRuns): the most a cache that could become either one at
// the start of any run, at no cost, would hit.
func (an Anatomy) Best() int { return trace.BestOfRuns(an.ByRun[:]) }

// Follow returns the hits of a follower that, over each run, hits as the
// cache whose score led after the runs before, and how many times it
// changed caches (trace.FollowLeader, scores decayed by
// 1/AnatomyFollowDecay per run): with no margin and no noise test, and
// changing at no cost, it bounds what clientcache's duel could win if it
// switched between the two.
func (an Anatomy) Follow() (hits, switches int) {
	return trace.FollowLeader(an.ByRun[:], AnatomyFollowDecay)
}

// FollowSecond is Follow with the follower starting as the second cache
// (Names[1]) over the first run: what a cache that started as the rival and
// moved to the first cache only once it led would hit, at no cost.
func (an Anatomy) FollowSecond() (hits, switches int) {
	return trace.FollowLeader([][]int{an.ByRun[1], an.ByRun[0]}, AnatomyFollowDecay)
}

// AnatomyDistances are the upper bounds, in multiples of the capacity, of
// Anatomy.ByDistance's classes.
var AnatomyDistances = []float64{1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0 / 2, 1, 2, 4, 8}

// AnatomyMaxPrior is Anatomy.MaxPrior: keys requested this many times
// before or more share one class.
const AnatomyMaxPrior = 8

// CompareHits replays keys (the trace called name) at capacity through a
// and b side by side, one request to each in turn, from the calling
// goroutine, and returns the anatomy of their difference. A randomised
// contender is replayed once, with whatever seed it draws.
func CompareHits(name string, keys []uint64, capacity int, a, b Contender) (Anatomy, error) {
	if capacity < 1 {
		return Anatomy{}, fmt.Errorf("bench: CompareHits: capacity %d, want at least 1", capacity)
	}
	an := Anatomy{
		Trace: name, Capacity: capacity, Accesses: len(keys), Names: [2]string{a.Name, b.Name},
		ByPrior:        make([][2]int, AnatomyMaxPrior+1),
		ByDistance:     make([][2]int, len(AnatomyDistances)+1),
		DistanceBounds: AnatomyDistances,
		MaxPrior:       AnatomyMaxPrior,
		RunLength:      max(capacity, AnatomyMinRun),
	}
	var caches [2]Cache
	for i, c := range []Contender{a, b} {
		cache, err := c.New(capacity)
		if err != nil {
			return Anatomy{}, fmt.Errorf("bench: CompareHits: %s: %w", c.Name, err)
		}
		defer cache.Close()
		caches[i] = cache
	}
	type seen struct{ count, last int }
	history := make(map[uint64]seen)
	for i, k := range keys {
		var hit [2]bool
		for j, c := range caches {
			if i%an.RunLength == 0 {
				an.ByRun[j] = append(an.ByRun[j], 0)
			}
			if hit[j] = c.Get(k); hit[j] {
				an.Hits[j]++
				an.ByRun[j][len(an.ByRun[j])-1]++
			} else {
				c.Set(k)
			}
		}
		h := history[k]
		if hit[0] != hit[1] {
			only := 0
			if hit[1] {
				only = 1
			}
			an.OnlyHits[only]++
			an.ByPrior[min(h.count, AnatomyMaxPrior)][only]++
			// A cache hits only keys requested before: h.last is set.
			d, class := float64(i-h.last), 0
			for class < len(AnatomyDistances) && d > AnatomyDistances[class]*float64(capacity) {
				class++
			}
			an.ByDistance[class][only]++
		}
		history[k] = seen{h.count + 1, i}
	}
	return an, nil
}

// Write prints the anatomy as two small tables.
func (an Anatomy) Write(w io.Writer) {
	p := func(hits int) string { return fmt.Sprintf("%.2f%%", trace.Percent(hits, an.Accesses)) }
	fmt.Fprintf(w, "%s at %d entries, %d requests: %s %s, %s %s; only %s hit %d, only %s hit %d\n",
		an.Trace, an.Capacity, an.Accesses, an.Names[0], p(an.Hits[0]), an.Names[1], p(an.Hits[1]),
		an.Names[0], an.OnlyHits[0], an.Names[1], an.OnlyHits[1])
	follow, switches := an.Follow()
	fmt.Fprintf(w, "over %d runs of %d requests: the better of the two in each run %s; following the one that led the runs before (scores decayed by 1/%d a run) %s, %d switches\n",
		len(an.ByRun[0]), an.RunLength, p(an.Best()), AnatomyFollowDecay, p(follow), switches)
	follow, switches = an.FollowSecond()
	fmt.Fprintf(w, "the same follower starting as %s: %s, %d switches\n", an.Names[1], p(follow), switches)
	fmt.Fprintf(w, "\n| requests of the key before | only %s | only %s |\n|---|---:|---:|\n", an.Names[0], an.Names[1])
	for n, c := range an.ByPrior {
		label := fmt.Sprint(n)
		if n == an.MaxPrior {
			label += " or more"
		}
		if c != [2]int{} {
			fmt.Fprintf(w, "| %s | %d | %d |\n", label, c[0], c[1])
		}
	}
	fmt.Fprintf(w, "\n| reuse distance (requests, x capacity) | only %s | only %s |\n|---|---:|---:|\n", an.Names[0], an.Names[1])
	for i, c := range an.ByDistance {
		var label string
		switch {
		case i == 0:
			label = "at most " + ratio(an.DistanceBounds[0])
		case i == len(an.DistanceBounds):
			label = "above " + ratio(an.DistanceBounds[i-1])
		default:
			label = ratio(an.DistanceBounds[i-1]) + " to " + ratio(an.DistanceBounds[i])
		}
		if c != [2]int{} {
			fmt.Fprintf(w, "| %s | %d | %d |\n", label, c[0], c[1])
		}
	}
}

// ratio prints a fraction of the capacity: 1/16, 1/2, 1, 4.
func ratio(f float64) string {
	if f >= 1 {
		return strings.TrimSuffix(fmt.Sprintf("%g", f), ".0")
	}
	return fmt.Sprintf("1/%g", 1/f)
}
