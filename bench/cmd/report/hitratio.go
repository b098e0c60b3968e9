package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clientcache/clientcache/bench"
	"github.com/clientcache/clientcache/internal/trace"
	"gonum.org/v1/plot/plotter"
)

// quickTraces are the traces of -quick: small, of different characters.
var quickTraces = []string{"oltp", "gli", "2_pools", "corda", "web07"}

// Small-cache sweep: client caches are small.
var (
	sweepTraces     = []string{"zipf", "oltp"}
	sweepCapacities = []int{8, 16, 32, 64, 128, 256, 512}
	quickSweep      = []int{8, 64, 512}
)

// again is clientcache's LFU replayed a second time, to check that runs are
// identical.
const again = "clientcache-LFU (2nd run)"

type table struct {
	title string
	label string
	caps  []int
}

type jobKey struct {
	label string
	cap   int
}

func runHitRatio(cfg config, s *section) error {
	dir, err := trace.Dir()
	if err != nil {
		return err
	}
	if err := bench.CheckLabels(cfg.traces); err != nil {
		return err
	}
	selected := cfg.traces
	if len(selected) == 0 && cfg.quick {
		selected = quickTraces
	}
	var (
		tables []table
		jobs   []bench.Job
		seen   = map[jobKey]bool{}
	)
	add := func(f trace.File, caps []int) {
		for _, c := range caps {
			if k := (jobKey{f.Label, c}); !seen[k] {
				seen[k] = true
				jobs = append(jobs, bench.Job{File: f, Capacity: c})
			}
		}
	}
	for _, f := range trace.Files {
		if len(selected) > 0 && !slices.Contains(selected, f.Label) {
			continue
		}
		tables = append(tables, table{f.Label, f.Label, f.Capacities})
		add(f, f.Capacities)
	}
	sweep := sweepCapacities
	if cfg.quick {
		sweep = quickSweep
	}
	for _, label := range sweepTraces {
		f, ok := trace.Lookup(label)
		if !ok || (len(cfg.traces) > 0 && !slices.Contains(cfg.traces, label)) {
			continue
		}
		tables = append(tables, table{label + ", small caches", label, sweep})
		add(f, sweep)
	}
	lfu, _ := bench.Lookup("clientcache-LFU")
	lfu.Name = again
	contenders := append(slices.Clone(bench.AllContenders), lfu)

	start := time.Now()
	progress("hitratio", "%d replays (%d traces × capacities) of %d caches each (randomly seeded bounded rivals %d times)", len(jobs), len(tables), len(contenders), cfg.rivalRuns)
	rows, err := bench.RunWithProgress(dir, jobs, contenders, cfg.rivalRuns, func(done int, j bench.Job) {
		eta := time.Duration(float64(time.Since(start)) / float64(done) * float64(len(jobs)-done))
		progress("hitratio", "%d/%d %s@%d (about %v left)", done, len(jobs), j.File.Label, j.Capacity, eta.Round(time.Second))
	})
	if err != nil {
		return err
	}
	byKey := map[jobKey]bench.Row{}
	for _, r := range rows {
		byKey[jobKey{r.Trace, r.Capacity}] = r
	}
	return writeHitRatio(cfg, s, tables, byKey)
}

func writeHitRatio(cfg config, s *section, tables []table, rows map[jobKey]bench.Row) error {
	s.printf("## Hit ratio\n\n")
	s.printf("Each trace is replayed from one goroutine through each cache's public API: a Get, and on a miss a Set. ")
	s.printf("Percent of accesses that hit. OPT is Bélády's optimum (evict the key used farthest in the future), the ceiling of any policy that holds at most that many entries (the unbounded rows, which held more, can pass it); ")
	s.printf("textbook LRU is a plain list-and-map LRU. Rivals that bound their size only eventually are replayed twice: ")
	s.printf("bounded (otter with its maintenance on the calling goroutine (a synchronous `Executor`: with the default one, reads are dropped while the drain goroutine it started is pending) and `CleanUp()`, theine and ristretto with `Wait()` after each write; these are the figures compared) and as users call them (`-unbounded`, with the peak size they reached). ")
	s.printf("ristretto is configured as documented (NumCounters 10× capacity, BufferItems 64, cost 1 per entry with IgnoreInternalCost). ")
	above, both := 0, 0 // points where ristretto-unbounded hit more than bounded ristretto
	for _, r := range rows {
		b, okB := r.Result("ristretto")
		u, okU := r.Result("ristretto-unbounded")
		if okB && okU && b.Err == nil && u.Err == nil {
			both++
			if u.Hits > b.Hits {
				above++
			}
		}
	}
	s.printf("ristretto applies its writes, and the reads it records, on a goroutine of its own, and drops reads when that goroutine lags: bounded, its figures depend on how busy the machine is (it is replayed alone, after the other jobs); unbounded, a key written is not in the cache until that goroutine has applied the write, which costs ristretto-unbounded hits, down to 0.00 (peak 0) where the goroutine did not run during the replay, and it never holds more than its bound; yet its one run hit more than bounded ristretto's median run at %d of %d points here. The unbounded rows are one run each, and their hits and peaks depend on scheduling too. ", above, both)
	s.printf("mutexmap evicts an arbitrary key (Go's randomised map order) when full; seedport-LFU is the original's exact LFU, which never ages its counts. ")
	if cfg.rivalRuns > 1 {
		s.printf("**otter, theine, ristretto and mutexmap seed themselves at random, so their figures vary from run to run: bounded, each is replayed %d times and its median run is shown and compared (the list below the tables also compares with each rival's best run); unbounded, once. clientcache's LFU uses a fixed seed (%d).** ", cfg.rivalRuns, bench.Seed)
	} else {
		s.printf("**otter, theine, ristretto and mutexmap seed themselves at random, so their figures vary from run to run (one run each here); clientcache's LFU uses a fixed seed (%d).** ", bench.Seed)
	}
	s.printf("\"best bounded rival\" is the best of every bounded rival (otter, theine, ristretto, golang-lru LRU/2Q/ARC, mutexmap, seedport LRU/LFU).\n\n")

	var (
		lfuAtLeast, measured int
		lruSame, lruRows     int
		againSame, againRows int
		misses               []string
		drawAtLeast          int      // points where LFU >= every rival's best run
		drawMisses           []string // the others
		lfuFracs, lruFracs   []float64
	)
	for _, t := range tables {
		s.printf("### %s\n\n", t.title)
		s.printf("| policy \\ capacity |")
		for _, c := range t.caps {
			s.printf(" %d |", c)
		}
		s.printf("\n|---|")
		for range t.caps {
			s.printf("---:|")
		}
		s.printf("\n")
		cell := func(name string, f func(bench.Row) string) {
			s.printf("| %s |", name)
			for _, c := range t.caps {
				r, ok := rows[jobKey{t.label, c}]
				if !ok {
					s.printf(" n/a |")
					continue
				}
				s.printf(" %s |", f(r))
			}
			s.printf("\n")
		}
		pct := func(name string) func(bench.Row) string {
			return func(r bench.Row) string {
				x, ok := r.Result(name)
				if !ok || x.Err != nil {
					return "n/a"
				}
				v := fmt.Sprintf("%.2f", r.Percent(x.Hits))
				if !x.Bounded {
					v += fmt.Sprintf(" (peak %d)", x.Peak)
				}
				return v
			}
		}
		cell("**OPT (Bélády)**", func(r bench.Row) string { return fmt.Sprintf("%.2f", r.Percent(r.Optimal)) })
		cell("textbook LRU", func(r bench.Row) string { return fmt.Sprintf("%.2f", r.Percent(r.LRU)) })
		cell("**clientcache-LRU**", pct("clientcache-LRU"))
		cell("**clientcache-LFU**", pct("clientcache-LFU"))
		cell("LFU ÷ OPT", func(r bench.Row) string {
			x, _ := r.Result("clientcache-LFU")
			return fmt.Sprintf("%.3f", frac(x.Hits, r.Optimal))
		})
		cell("LRU ÷ OPT", func(r bench.Row) string {
			x, _ := r.Result("clientcache-LRU")
			return fmt.Sprintf("%.3f", frac(x.Hits, r.Optimal))
		})
		for _, c := range bench.AllContenders {
			if c.Rival && c.Bounded {
				cell(c.Name, pct(c.Name))
			}
		}
		cell("best bounded rival", func(r bench.Row) string {
			b, ok := r.BestBounded()
			if !ok {
				return "n/a"
			}
			return fmt.Sprintf("%.2f %s", r.Percent(b.Hits), b.Name)
		})
		cell("LFU − best rival (points)", func(r bench.Row) string {
			b, okB := r.BestBounded()
			x, okX := r.Result("clientcache-LFU")
			if !okB || !okX || x.Err != nil {
				return "n/a"
			}
			d := r.Percent(x.Hits) - r.Percent(b.Hits)
			if d < 0 {
				return fmt.Sprintf("**%+.2f**", d)
			}
			return fmt.Sprintf("%+.2f", d)
		})
		for _, c := range bench.AllContenders {
			if !c.Bounded {
				cell(c.Name, pct(c.Name))
			}
		}
		s.printf("\n")

		var (
			lines []series
			caps  []float64
		)
		for _, c := range t.caps {
			caps = append(caps, float64(c))
		}
		opt := series{name: "OPT (Bélády)", black: true, dashed: true}
		for _, c := range t.caps {
			if r, ok := rows[jobKey{t.label, c}]; ok {
				opt.xy = append(opt.xy, plotter.XY{X: float64(c), Y: r.Percent(r.Optimal)})
			}
		}
		lines = append(lines, opt)
		for _, con := range bench.AllContenders {
			if !con.Bounded {
				continue
			}
			l := series{name: con.Name}
			for _, c := range t.caps {
				r, ok := rows[jobKey{t.label, c}]
				if !ok {
					continue
				}
				if x, ok := r.Result(con.Name); ok && x.Err == nil {
					l.xy = append(l.xy, plotter.XY{X: float64(c), Y: r.Percent(x.Hits)})
				}
			}
			lines = append(lines, l)
		}
		png := "hitratio-" + strings.NewReplacer(", ", "-", " ", "-").Replace(t.title) + ".png"
		if err := lineChart(cfg.results(png), "Hit ratio: "+t.title+" (bounded caches)", "capacity (entries, log)", "hit %", true, false, caps, lines); err != nil {
			return err
		}
		s.printf("![hit ratio, %s](results/%s)\n\n", t.title, png)
	}

	// Goals, over every distinct (trace, capacity).
	keys := make([]jobKey, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b jobKey) int {
		if c := strings.Compare(a.label, b.label); c != 0 {
			return c
		}
		return a.cap - b.cap
	})
	for _, k := range keys {
		r := rows[k]
		lfu, okL := r.Result("clientcache-LFU")
		lfu2, okA := r.Result(again)
		lru, okR := r.Result("clientcache-LRU")
		if okL && okA && lfu.Err == nil && lfu2.Err == nil {
			againRows++
			if lfu.Hits == lfu2.Hits {
				againSame++
			}
		}
		if okR && lru.Err == nil {
			lruRows++
			if lru.Hits == r.LRU {
				lruSame++
			}
			lruFracs = append(lruFracs, frac(lru.Hits, r.Optimal))
		}
		best, okB := r.BestBounded()
		if okL && lfu.Err == nil && okB {
			measured++
			lfuFracs = append(lfuFracs, frac(lfu.Hits, r.Optimal))
			if lfu.Hits >= best.Hits {
				lfuAtLeast++
			} else {
				misses = append(misses, fmt.Sprintf("%s@%d %.3f vs %.3f (%s%s)", k.label, k.cap, r.Percent(lfu.Hits), r.Percent(best.Hits), best.Name, runRange(r, best)))
			}
			if d, ok := r.BestBoundedDraw(); ok {
				if lfu.Hits >= d.MaxHits {
					drawAtLeast++
				} else {
					drawMisses = append(drawMisses, fmt.Sprintf("%s@%d %.3f vs %.3f (%s)", k.label, k.cap, r.Percent(lfu.Hits), r.Percent(d.MaxHits), d.Name))
				}
			}
		}
	}
	fig := fmt.Sprintf("%d of %d (trace, capacity) points", lfuAtLeast, measured)
	if cfg.rivalRuns > 1 {
		fig = fmt.Sprintf("%d of %d (trace, capacity) points against the rivals' median of %d runs (%d against their best runs)", lfuAtLeast, measured, cfg.rivalRuns, drawAtLeast)
	}
	if len(misses) > 0 {
		fig += "; below at: " + strings.Join(misses, "; ")
	}
	s.goal("Hit ratio: clientcache-LFU at or above the best bounded rival on every trace and capacity", status(measured > 0, lfuAtLeast == measured), fig)
	s.goal("Hit ratio: clientcache-LFU identical from run to run", status(againRows > 0, againSame == againRows), fmt.Sprintf("two replays equal at %d of %d points", againSame, againRows))
	s.goal("Hit ratio: clientcache-LRU identical to a textbook LRU", status(lruRows > 0, lruSame == lruRows), fmt.Sprintf("equal at %d of %d points", lruSame, lruRows))
	s.goal("Hit ratio: both stated as a fraction of the optimum", status(measured > 0, true), fmt.Sprintf("LFU ÷ OPT %s; LRU ÷ OPT %s (per point in the tables)", spread(lfuFracs), spread(lruFracs)))
	if len(misses) > 0 {
		s.printf("**clientcache-LFU is below the best bounded rival at %d of %d points:** %s.\n\n", len(misses), measured, strings.Join(misses, "; "))
	}
	if cfg.rivalRuns > 1 && len(drawMisses) > 0 {
		s.printf("Against each randomly seeded rival's best of its %d runs, clientcache-LFU is below at %d of %d points: %s.\n\n", cfg.rivalRuns, len(drawMisses), measured, strings.Join(drawMisses, "; "))
	}
	return nil
}

// runRange is ", runs lo..hi" for a rival replayed several times, or "".
func runRange(r bench.Row, x bench.Result) string {
	if x.Runs < 2 {
		return ""
	}
	return fmt.Sprintf(", runs %.3f..%.3f", r.Percent(x.MinHits), r.Percent(x.MaxHits))
}

func frac(hits, optimal int) float64 {
	if optimal == 0 {
		return 0
	}
	return float64(hits) / float64(optimal)
}

func spread(v []float64) string {
	if len(v) == 0 {
		return "n/a"
	}
	s := slices.Sorted(slices.Values(v))
	return fmt.Sprintf("from %.3f to %.3f, median %.3f", s[0], s[len(s)-1], median(s))
}

// median returns the median of the sorted values s (the mean of the two
// middle ones for an even count).
func median(s []float64) float64 {
	m := len(s) / 2
	if len(s)%2 == 0 {
		return (s[m-1] + s[m]) / 2
	}
	return s[m]
}
