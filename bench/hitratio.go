package bench

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/clientcache/clientcache/internal/trace"
)

// Result is one cache's score on one trace at one capacity.
type Result struct {
	Name string
	// Hits is the cache's hits; for a randomised cache replayed several
	// times, the median run's (the lower of the two middle runs for an
	// even number), and MinHits and MaxHits the extremes. Runs is the
	// number of replays.
	Hits             int
	MinHits, MaxHits int
	Runs             int
	Peak             int // most entries seen after a Set, in any run
	Bounded          bool
	Rival            bool
	Judged           bool
	Err              error // the cache could not be built, or capacity or trace was unusable (a capacity below 1, no accesses)
}

// Row is every score on one trace at one capacity.
type Row struct {
	Trace    string
	Capacity int
	Accesses int
	Optimal  int // Bélády's optimum
	LRU      int // a textbook LRU
	Results  []Result
}

// Result returns the result of the contender called name.
func (r Row) Result(name string) (Result, bool) {
	for _, x := range r.Results {
		if x.Name == name {
			return x, true
		}
	}
	return Result{}, false
}

// Percent returns hits as a percentage of the row's accesses.
func (r Row) Percent(hits int) float64 { return trace.Percent(hits, r.Accesses) }

// BestBoundedRival returns the judged rival (all bounded) with the most hits,
// the first listed among equals.
func (r Row) BestBoundedRival() (Result, bool) {
	return r.best(func(x Result) bool { return x.Judged }, func(x Result) int { return x.Hits })
}

// BestBounded returns the bounded rival with the most hits, the first listed
// among equals: the figure cmd/report compares clientcache's LFU with.
func (r Row) BestBounded() (Result, bool) {
	return r.best(func(x Result) bool { return x.Rival && x.Bounded }, func(x Result) int { return x.Hits })
}

// BestBoundedDraw returns the bounded rival whose best run (MaxHits) had the
// most hits: the strictest comparison, against the luckiest seed any
// randomised rival drew.
func (r Row) BestBoundedDraw() (Result, bool) {
	return r.best(func(x Result) bool { return x.Rival && x.Bounded }, func(x Result) int { return x.MaxHits })
}

// best returns the result that keep accepts, that was built, and whose score
// is highest, the first listed among equals.
func (r Row) best(keep func(Result) bool, score func(Result) int) (Result, bool) {
	var best Result
	found := false
	for _, x := range r.Results {
		if keep(x) && x.Err == nil && (!found || score(x) > score(best)) {
			best, found = x, true
		}
	}
	return best, found
}

// Measure replays keys (the trace called name) at capacity through every
// contender, one after another on the calling goroutine. A bounded
// contender that seeds itself at random (Contender.Random) is replayed runs
// times (at least once) and scored by its median run, so that one lucky or
// unlucky seed does not decide a comparison; every other contender, being
// deterministic, or unbounded and shown only for context, is replayed once.
// A capacity below 1 or a trace with no accesses is every result's Err:
// the caches would take 0 for a default size or for no bound, and score
// above the optimum, or every cache would tie at 0.
func Measure(name string, keys []uint64, capacity int, contenders []Contender, runs int) Row {
	row := Row{Trace: name, Capacity: capacity, Accesses: len(keys)}
	if capacity >= 1 { // the references panic below 0
		row.Optimal, row.LRU = trace.Optimal(keys, capacity), trace.LRUHits(keys, capacity)
	}
	for _, c := range contenders {
		row.Results = append(row.Results, measureOne(keys, capacity, c, runs))
	}
	return row
}

// measureOne replays keys through contender c at capacity (runs times if
// it is randomised and bounded, see Measure).
func measureOne(keys []uint64, capacity int, c Contender, runs int) Result {
	res := Result{Name: c.Name, Bounded: c.Bounded, Rival: c.Rival, Judged: c.Judged}
	switch {
	case capacity < 1:
		res.Err = fmt.Errorf("bench: capacity %d: must be at least 1", capacity)
		return res
	case len(keys) == 0:
		res.Err = errors.New("bench: the trace has no accesses")
		return res
	}
	n := 1
	if c.Random && c.Bounded {
		n = max(runs, 1)
	}
	var hits []int
	for range n {
		cache, err := c.New(capacity)
		if err != nil {
			res.Err = err
			break
		}
		hits = append(hits, trace.Replay(keys, cache))
		res.Peak = max(res.Peak, cache.Peak())
		cache.Close()
	}
	if res.Err == nil {
		slices.Sort(hits)
		res.Runs = len(hits)
		res.Hits, res.MinHits, res.MaxHits = hits[(len(hits)-1)/2], hits[0], hits[len(hits)-1]
	}
	return res
}

// Job is one trace at one capacity.
type Job struct {
	File     trace.File
	Capacity int
}

// CheckLabels returns an error naming the first of labels that is no
// trace's short name (see internal/trace.Files), or nil. A trace's file
// name is not its short name: trace.Lookup finds it, but Jobs selects by
// short name, so a file name selected nothing and the run printed an empty
// table.
func CheckLabels(labels []string) error {
	for _, label := range labels {
		f, ok := trace.Lookup(label)
		if ok && f.Label != label {
			return fmt.Errorf("no trace %q: use its short name, %q", label, f.Label)
		}
		if !ok {
			return fmt.Errorf("no trace %q (see internal/trace.Files)", label)
		}
	}
	return nil
}

// Jobs lists every trace at every capacity, keeping those whose short name
// is in only (all if only is empty).
func Jobs(only []string) []Job {
	var jobs []Job
	for _, f := range trace.Files {
		if len(only) > 0 && !contains(only, f.Label) {
			continue
		}
		for _, c := range f.Capacities {
			jobs = append(jobs, Job{f, c})
		}
	}
	return jobs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Run measures every job with up to GOMAXPROCS jobs at a time and returns
// the rows in job order; randomised rivals are replayed runs times (see
// Measure). Traces are loaded once each. Each replay stays on one
// goroutine, so the figures of synchronous caches do not depend on the
// parallelism; the contenders that apply recorded reads on a goroutine of
// their own (Contender.Background) would lose reads beside busy replays,
// so they are replayed afterwards, one replay at a time.
func Run(dir string, jobs []Job, contenders []Contender, runs int) ([]Row, error) {
	return RunWithProgress(dir, jobs, contenders, runs, nil)
}

// RunWithProgress is Run, calling progress (if not nil) after each job with
// the number of jobs done and the job just finished (before the background
// contenders' replays, which follow all jobs). Calls are serialised.
func RunWithProgress(dir string, jobs []Job, contenders []Contender, runs int, progress func(done int, j Job)) ([]Row, error) {
	keys := map[string][]uint64{}
	for _, j := range jobs {
		if _, ok := keys[j.File.Name]; ok {
			continue
		}
		k, err := j.File.Load(dir)
		if err != nil {
			return nil, err
		}
		keys[j.File.Name] = k
	}
	rows := make([]Row, len(jobs))
	// The largest replays first, so the tail of the run stays parallel.
	order := make([]int, len(jobs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return len(keys[jobs[order[a]].File.Name]) > len(keys[jobs[order[b]].File.Name])
	})
	var foreground []Contender
	for _, c := range contenders {
		if !c.Background {
			foreground = append(foreground, c)
		}
	}
	work := make(chan int)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex // serialises progress
		done int
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				j := jobs[i]
				rows[i] = Measure(j.File.Label, keys[j.File.Name], j.Capacity, foreground, runs)
				if progress != nil {
					mu.Lock()
					done++
					progress(done, j)
					mu.Unlock()
				}
			}
		}()
	}
	for _, i := range order {
		work <- i
	}
	close(work)
	wg.Wait()
	// The background contenders, alone on the machine, then every row's
	// results back in the contenders' order.
	for i, j := range jobs {
		byName := map[string]Result{}
		for _, res := range rows[i].Results {
			byName[res.Name] = res
		}
		for _, c := range contenders {
			if c.Background {
				byName[c.Name] = measureOne(keys[j.File.Name], j.Capacity, c, runs)
			}
		}
		rows[i].Results = rows[i].Results[:0]
		for _, c := range contenders {
			rows[i].Results = append(rows[i].Results, byName[c.Name])
		}
	}
	return rows, nil
}

// WriteTable prints the rows: hit percentages, with clientcache's LFU and
// the best bounded rival also as a fraction of the optimum, and the peak size
// of the unbounded rivals.
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintf(w, "%-10s %7s | %5s | %5s %-4s | %5s %5s | %5s %5s %-11s | %5s %5s %5s %5s | %-15s | %-15s | %s\n",
		"trace", "cap", "OPT", "LRU", "=tb", "LFU", "/OPT", "rival", "/OPT", "best", "otter", "theine", "ARC", "2Q",
		"otter-u (peak)", "theine-u (peak)", "LFU-rival")
	fmt.Fprintln(w, strings.Repeat("-", 150))
	for _, r := range rows {
		pct := func(name string) string {
			x, ok := r.Result(name)
			if !ok || x.Err != nil {
				return "  n/a"
			}
			return fmt.Sprintf("%5.2f", r.Percent(x.Hits))
		}
		withPeak := func(name string) string {
			x, ok := r.Result(name)
			if !ok || x.Err != nil {
				return "n/a"
			}
			return fmt.Sprintf("%5.2f (%d)", r.Percent(x.Hits), x.Peak)
		}
		same := "?"
		if x, ok := r.Result("clientcache-LRU"); ok && x.Err == nil {
			same = "no"
			if x.Hits == r.LRU {
				same = "yes"
			}
		}
		opt := float64(max(r.Optimal, 1))
		lfu, lfuOK := r.Result("clientcache-LFU")
		best, bestOK := r.BestBoundedRival()
		lfuFrac, rival, rivalFrac, diff := "  n/a", "  n/a", "  n/a", "n/a"
		if lfuOK && lfu.Err == nil {
			lfuFrac = fmt.Sprintf("%5.3f", float64(lfu.Hits)/opt)
		}
		if bestOK {
			rival = fmt.Sprintf("%5.2f", r.Percent(best.Hits))
			rivalFrac = fmt.Sprintf("%5.3f", float64(best.Hits)/opt)
			if lfuOK && lfu.Err == nil {
				diff = fmt.Sprintf("%+.2f", r.Percent(lfu.Hits)-r.Percent(best.Hits))
			}
		}
		fmt.Fprintf(w, "%-10s %7d | %5.2f | %5s %-4s | %5s %5s | %5s %5s %-11s | %5s %5s %5s %5s | %-15s | %-15s | %s\n",
			r.Trace, r.Capacity, r.Percent(r.Optimal), pct("clientcache-LRU"), same,
			pct("clientcache-LFU"), lfuFrac, rival, rivalFrac, best.Name,
			pct("otter"), pct("theine"), pct("ARC"), pct("2Q"),
			withPeak("otter-unbounded"), withPeak("theine-unbounded"), diff)
	}
}

// Summary counts the rows where clientcache's LFU scored at least the best
// judged bounded rival, and finds the largest shortfall.
func Summary(rows []Row) (atLeast, measured int, worst float64, worstRow string) {
	for _, r := range rows {
		lfu, ok := r.Result("clientcache-LFU")
		best, bestOK := r.BestBoundedRival()
		if !ok || lfu.Err != nil || !bestOK {
			continue
		}
		measured++
		d := r.Percent(lfu.Hits) - r.Percent(best.Hits)
		if d >= 0 {
			atLeast++
		}
		if d < worst {
			worst, worstRow = d, fmt.Sprintf("%s@%d (%s)", r.Trace, r.Capacity, best.Name)
		}
	}
	return atLeast, measured, worst, worstRow
}
