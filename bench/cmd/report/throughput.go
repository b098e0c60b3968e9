package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientcache/clientcache/bench"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"gonum.org/v1/plot/plotter"
)

// point identifies one configuration of the throughput benchmark.
type point struct {
	cache string
	reads int
	procs int
}

// stat is the summary of one configuration's runs.
type stat struct {
	ns     benchmath.Summary // ns/op: median and 95% interval
	allocs float64           // median allocs/op, as go test prints it: truncated to an integer
	bytes  float64           // median B/op (also truncated): above 0 where allocs/op 0 means below 1
	hit    float64           // median hit percentage of the reads
	hitN   int               // runs that reported a hit percentage
	n      int               // runs
}

func benchArgs(cfg config) []string {
	return []string{"test", "-run", "^$", "-bench", "^BenchmarkThroughput$", "-benchmem",
		"-count", strconv.Itoa(cfg.count), "-cpu", cfg.cpu, "-benchtime", cfg.benchtime, "-timeout", "0", "."}
}

func runThroughput(cfg config, s *section) error {
	args := benchArgs(cfg)
	raw := cfg.results("throughput.txt")
	if cfg.fromRaw {
		progress("throughput", "summarising %s", raw)
		b, err := os.ReadFile(raw)
		if err != nil {
			return err
		}
		if saved, err := os.ReadFile(cfg.results("throughput.args")); err == nil {
			args = strings.Split(strings.TrimSpace(string(saved)), "\n")
		}
		s.load = "not recorded"
		if saved, err := os.ReadFile(cfg.results("throughput.load")); err == nil {
			s.load = strings.TrimSpace(string(saved))
		}
		return summariseRaw(cfg, s, b, args)
	}
	if err := os.WriteFile(cfg.results("throughput.args"), []byte(strings.Join(args, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	// The load of the run before describes that run's raw output, which
	// this one replaces: a run that fails leaves its partial output with no
	// load rather than with another measurement's.
	if err := os.Remove(cfg.results("throughput.load")); err != nil && !os.IsNotExist(err) {
		return err
	}
	cpus := len(split(cfg.cpu))
	total := cfg.count * cpus * len(bench.Mixes) * (len(bench.Kinds) + 1)
	progress("throughput", "go %s (%d results expected)", shellJoin(args), total)
	f, err := os.Create(raw)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	start, done := time.Now(), 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(f, line)
		if strings.HasPrefix(line, "Benchmark") && strings.Contains(line, "ns/op") {
			done++
			name, _, _ := strings.Cut(line, "\t")
			eta := time.Duration(float64(time.Since(start)) / float64(done) * float64(total-done))
			progress("throughput", "%d/%d %s (about %v left)", done, total, strings.TrimSpace(name), eta.Round(time.Second))
		}
	}
	if err := cmd.Wait(); err != nil {
		f.Close()
		return fmt.Errorf("go test: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	// Kept beside the raw output, for -from-raw to report the load the
	// figures were measured under, not the load when it summarises them.
	s.load = loadAverage()
	if err := os.WriteFile(cfg.results("throughput.load"), []byte(s.load+"\n"), 0o644); err != nil {
		return err
	}

	rawBytes, err := os.ReadFile(raw)
	if err != nil {
		return err
	}
	return summariseRaw(cfg, s, rawBytes, args)
}

// summariseRaw writes the throughput section from the raw output raw of go
// args, and benchstat's table of it.
func summariseRaw(cfg config, s *section, raw []byte, args []string) error {
	stats, err := summarise(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	if cpu := rawCPU(raw); cpu != "" {
		s.cpu = cpu
	}
	runBenchstat(cfg)
	return writeThroughput(cfg, s, stats, args)
}

// runBenchstat saves benchstat's own table of the raw results; a failure is
// reported in the file, not fatal.
func runBenchstat(cfg config) {
	progress("throughput", "benchstat")
	out, err := exec.Command("go", benchstatArgs(cfg.results("throughput.txt"))...).CombinedOutput()
	if err != nil {
		out = append(out, []byte(fmt.Sprintf("\nbenchstat failed: %v\n", err))...)
	}
	if err := os.WriteFile(cfg.results("throughput-benchstat.txt"), out, 0o644); err != nil {
		progress("throughput", "writing benchstat output: %v", err)
	}
}

func benchstatArgs(file string) []string {
	return []string{"run", "golang.org/x/perf/cmd/benchstat", "-table", "/reads", "-row", "/gomaxprocs", "-col", "/cache", file}
}

// summarise parses go test -bench output and summarises each configuration
// as benchstat does: the median and its 95% confidence interval, assuming
// nothing about the distribution.
func summarise(r io.Reader) (map[point]stat, error) {
	type samples struct{ ns, allocs, bytes, hit []float64 }
	all := map[point]*samples{}
	br := benchfmt.NewReader(r, "throughput.txt")
	for br.Scan() {
		res, ok := br.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		p, ok := parseName(res.Name)
		if !ok {
			continue
		}
		smp := all[p]
		if smp == nil {
			smp = &samples{}
			all[p] = smp
		}
		for _, v := range res.Values {
			switch v.Unit {
			case "sec/op":
				smp.ns = append(smp.ns, v.Value*1e9)
			case "ns/op":
				smp.ns = append(smp.ns, v.Value)
			case "allocs/op":
				smp.allocs = append(smp.allocs, v.Value)
			case "B/op":
				smp.bytes = append(smp.bytes, v.Value)
			case "hit%":
				smp.hit = append(smp.hit, v.Value)
			}
		}
	}
	if err := br.Err(); err != nil {
		return nil, err
	}
	stats := map[point]stat{}
	for p, smp := range all {
		if len(smp.ns) == 0 {
			continue
		}
		stats[p] = stat{n: len(smp.ns), ns: summary(smp.ns),
			allocs: center(smp.allocs), bytes: center(smp.bytes), hit: center(smp.hit), hitN: len(smp.hit)}
	}
	return stats, nil
}

// summary is benchmath's median and 95% confidence interval of xs.
func summary(xs []float64) benchmath.Summary {
	return benchmath.AssumeNothing.Summary(benchmath.NewSample(xs, &benchmath.DefaultThresholds), 0.95)
}

// center is summary(xs)'s center, the median, or 0 if xs is empty.
func center(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return summary(xs).Center
}

// rawCPU returns the processor named by go test's "cpu:" line in raw, or "".
func rawCPU(raw []byte) string {
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "cpu:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// parseName reads Throughput/cache=NAME/reads=N[-PROCS].
func parseName(n benchfmt.Name) (point, bool) {
	base, parts := n.Parts()
	if string(base) != "Throughput" {
		return point{}, false
	}
	p := point{procs: 1}
	for _, part := range parts {
		s := string(part)
		switch {
		case strings.HasPrefix(s, "/cache="):
			p.cache = strings.TrimPrefix(s, "/cache=")
		case strings.HasPrefix(s, "/reads="):
			r, err := strconv.Atoi(strings.TrimPrefix(s, "/reads="))
			if err != nil {
				return point{}, false
			}
			p.reads = r
		case strings.HasPrefix(s, "-"):
			g, err := strconv.Atoi(s[1:])
			if err != nil {
				return point{}, false
			}
			p.procs = g
		}
	}
	return p, p.cache != ""
}

func writeThroughput(cfg config, s *section, stats map[point]stat, args []string) error {
	procsSet := map[int]bool{}
	for p := range stats {
		procsSet[p.procs] = true
	}
	procs := slices.Sorted(maps.Keys(procsSet))
	caches := []string{}
	for _, k := range append(bench.Kinds[:len(bench.Kinds):len(bench.Kinds)], bench.Ceiling) {
		caches = append(caches, k.Name)
	}

	s.printf("## Throughput\n\n")
	s.printf("Caffeine's get/put benchmark in Go: each cache holds every key of a %d-key stream drawn from a scrambled Zipf distribution (θ = %.2f) over %d keys, with capacity %d (so reads hit and nothing is evicted); ",
		bench.WorkloadSize, bench.ZipfTheta, bench.WorkloadItems, bench.WorkloadCapacity)
	s.printf("`b.RunParallel` goroutines walk the stream from different offsets; a read is a Get, a write a Set of the stream's key (seedport, which refuses to overwrite, gets Set, then Delete and Set). ")
	s.printf("Every cache is called through the same interface, the bare `xsync.Map` (the ceiling: a Load, no policy) included. ")
	runs := 0
	for _, st := range stats {
		runs = max(runs, st.n)
	}
	s.printf("Figures: median ns/op of %d runs ± the 95%% confidence interval (±? where there are too few runs for one: benchmath needs 6), from `go %s`. ", runs, shellJoin(args))
	s.printf("allocs/op are go test's, truncated to an integer; \"<1\" marks a median of 0 allocs/op with bytes allocated per op (fewer than one allocation per op, not none). ")
	s.printf("**This machine has %d CPUs: at `-cpu` above that, goroutines share cores, and the figures measure contention, not parallel speed-up.**\n\n", numCPU())
	s.printf("Raw output: [results/throughput.txt](results/throughput.txt); benchstat's table: [results/throughput-benchstat.txt](results/throughput-benchstat.txt).\n\n")

	for _, reads := range bench.Mixes {
		s.printf("### %d%% reads, %d%% writes\n\n", reads, 100-reads)
		procHeader(s, "cache", procs, " -cpu %d ns/op | allocs |", "---:|---:|")
		for _, c := range caches {
			s.printf("| %s |", c)
			for _, p := range procs {
				st, ok := stats[point{c, reads, p}]
				if !ok {
					s.printf(" n/a | |")
					continue
				}
				s.printf(" %s | %s |", fmtNs(st), fmtAllocs(st))
			}
			s.printf("\n")
		}
		s.printf("\n")
		s.printf("Ratios: otter's and seedport's ns/op ÷ clientcache's (higher is better for clientcache), and clientcache's ns/op ÷ the bare map's (lower is better: 1× would be a bare load; the goal is 1.5× or below).\n\n")
		procHeader(s, "ratio", procs, " -cpu %d |", "---:|")
		for _, cc := range []string{"clientcache-LRU", "clientcache-LFU"} {
			for _, ref := range []struct{ name, label string }{{"otter", "otter ÷ " + cc}, {"seedport-" + cc[len(cc)-3:], "seedport-" + cc[len(cc)-3:] + " ÷ " + cc}} {
				s.printf("| %s |", ref.label)
				for _, p := range procs {
					s.printf(" %s |", ratio(stats, point{ref.name, reads, p}, point{cc, reads, p}))
				}
				s.printf("\n")
			}
			s.printf("| %s ÷ xsync.Map |", cc)
			for _, p := range procs {
				s.printf(" %s |", ratio(stats, point{cc, reads, p}, point{"xsync.Map", reads, p}))
			}
			s.printf("\n")
		}
		s.printf("\n")
		if !slices.ContainsFunc(caches, func(c string) bool {
			return slices.ContainsFunc(procs, func(p int) bool { st, ok := stats[point{c, reads, p}]; return ok && st.ns.Center > 0 })
		}) {
			continue // nothing to chart at this mix (a log axis of no values panics)
		}
		png := fmt.Sprintf("throughput-reads%d.png", reads)
		if err := throughputChart(cfg.results(png), stats, caches, procs, reads); err != nil {
			return err
		}
		s.printf("![throughput, %d%% reads](results/%s)\n\n", reads, png)
	}
	throughputGoals(s, stats, procs)
	return nil
}

// procHeader prints a table header: first, then for each -cpu value the
// columns cell (a format taking the value) with their alignment row align.
func procHeader(s *section, first string, procs []int, cell, align string) {
	s.printf("| %s |", first)
	for _, p := range procs {
		s.printf(cell, p)
	}
	s.printf("\n|---|")
	for range procs {
		s.printf("%s", align)
	}
	s.printf("\n")
}

func numCPU() int { return runtime.NumCPU() }

func fmtNs(st stat) string {
	if st.ns.Center == 0 {
		return "n/a"
	}
	pct := " ±?" // too few runs for a 95% interval
	if half := max(st.ns.Hi-st.ns.Center, st.ns.Center-st.ns.Lo); !math.IsInf(half, 0) && !math.IsNaN(half) {
		pct = fmt.Sprintf(" ±%.0f%%", 100*half/st.ns.Center)
	}
	return fmt.Sprintf("%.1f%s", st.ns.Center, pct)
}

// fmtAllocs formats the median allocs/op. go test prints allocs/op
// truncated to an integer, so 0 with bytes allocated per op means some
// allocations, fewer than one per op: "<1", not 0.
func fmtAllocs(st stat) string {
	if st.allocs == 0 && st.bytes > 0 {
		return "<1"
	}
	return fmtNum(st.allocs)
}

func fmtNum(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return fmt.Sprintf("%.2f", v)
}

// ratio returns a's ns/op divided by b's.
func ratio(stats map[point]stat, a, b point) string {
	x, okA := stats[a]
	y, okB := stats[b]
	if !okA || !okB || y.ns.Center == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", x.ns.Center/y.ns.Center)
}

// missedReads returns ", reads hit X%" for a configuration whose reads, all
// of keys stored before the clock started, did not all hit (its ns/op then
// times misses, not the hits the read goals are about), or "".
func missedReads(name string, st stat) string {
	if st.hitN == 0 || st.hit >= 100 {
		return ""
	}
	return fmt.Sprintf(", %s's reads hit %.2f%%", name, st.hit)
}

func throughputGoals(s *section, stats map[point]stat, procs []int) {
	const reads = 100
	for _, cc := range []string{"clientcache-LRU", "clientcache-LFU"} {
		pol := cc[len(cc)-3:]
		var figs []string
		ok, measured := true, false
		for _, p := range procs {
			a, okA := stats[point{cc, reads, p}]
			o, okO := stats[point{"otter", reads, p}]
			if !okA || !okO {
				continue
			}
			measured = true
			miss := missedReads(cc, a) + missedReads("otter", o)
			ok = ok && a.ns.Center <= o.ns.Center && miss == ""
			figs = append(figs, fmt.Sprintf("-cpu %d: %.1f vs %.1f ns/op%s", p, a.ns.Center, o.ns.Center, miss))
		}
		s.goal(fmt.Sprintf("Reads: %s at or above otter's throughput at every -cpu", cc), status(measured, ok), strings.Join(figs, "; "))

		a, okA := stats[point{cc, reads, 2}]
		sp, okS := stats[point{"seedport-" + pol, reads, 2}]
		if okA && okS {
			r := sp.ns.Center / a.ns.Center
			miss := missedReads(cc, a) + missedReads("seedport-"+pol, sp)
			s.goal(fmt.Sprintf("Reads: %s at least 5× seedport-%s at -cpu 2", cc, pol), met(r >= 5 && miss == ""), fmt.Sprintf("%.2f× (%.1f vs %.1f ns/op%s)", r, a.ns.Center, sp.ns.Center, miss))
		} else {
			s.goal(fmt.Sprintf("Reads: %s at least 5× seedport at -cpu 2", cc), "not measured", "no -cpu 2 run")
		}

		figs, ok, measured = nil, true, false
		for _, p := range procs {
			a, okA := stats[point{cc, reads, p}]
			m, okM := stats[point{"xsync.Map", reads, p}]
			if !okA || !okM {
				continue
			}
			measured = true
			r := a.ns.Center / m.ns.Center
			miss := missedReads(cc, a) + missedReads("xsync.Map", m)
			ok = ok && r <= 1.5 && miss == ""
			figs = append(figs, fmt.Sprintf("-cpu %d: %.2f×%s", p, r, miss))
		}
		s.goal(fmt.Sprintf("Reads: a %s hit within 1.5× of a bare xsync.Map load", cc), status(measured, ok), strings.Join(figs, "; "))

		figs, ok, measured = nil, true, false
		for _, p := range procs {
			a, okA := stats[point{cc, reads, p}]
			if !okA {
				continue
			}
			measured = true
			ok = ok && a.allocs == 0 && a.bytes == 0
			figs = append(figs, fmt.Sprintf("-cpu %d: %s", p, fmtAllocs(a)))
		}
		s.goal(fmt.Sprintf("Reads: %s 0 allocs/op", cc), status(measured, ok), strings.Join(figs, "; "))
	}
}

func status(measured, ok bool) string {
	if !measured {
		return "not measured"
	}
	return met(ok)
}

func throughputChart(path string, stats map[point]stat, caches []string, procs []int, reads int) error {
	var (
		lines []series
		xs    []float64
	)
	for _, p := range procs {
		xs = append(xs, float64(p))
	}
	for _, c := range caches {
		var xy plotter.XYs
		for _, p := range procs {
			if st, ok := stats[point{c, reads, p}]; ok && st.ns.Center > 0 {
				xy = append(xy, plotter.XY{X: float64(p), Y: st.ns.Center})
			}
		}
		lines = append(lines, series{name: c, xy: xy, dashed: c == "xsync.Map"})
	}
	return lineChart(path, fmt.Sprintf("Throughput, %d%% reads (lower is better; %d CPUs)", reads, runtime.NumCPU()),
		"-cpu (goroutines)", "ns/op (log)", true, true, xs, lines)
}

// shellJoin joins args for a shell, quoting those with special characters.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if strings.ContainsAny(a, "^$*?[]() '\"|&;<>") {
			out[i] = "'" + a + "'"
		}
	}
	return strings.Join(out, " ")
}
