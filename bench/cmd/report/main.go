// Command report regenerates every published benchmark figure of clientcache
// and writes RESULTS.md, with PNG charts and raw data in results/.
//
//	cd bench && go run ./cmd/report                 # everything (about 60 minutes on 2 cores)
//	cd bench && go run ./cmd/report -quick          # the same harness at small scale
//	cd bench && go run ./cmd/report -only memory,client
//
// Sections: throughput (go test -bench BenchmarkThroughput in a subprocess,
// -count 10 -cpu 1,2,4,8, summarised as benchstat does), hitratio (every
// trace at its capacities and a small-cache sweep, with Bélády's optimum),
// memory (bytes per entry, each cache in a fresh process) and client
// (stampede and head-of-line blocking). Each section writes
// results/SECTION.md and results/SECTION.goals.json; RESULTS.md is then
// assembled from whatever sections exist, so a subset run keeps the other
// sections' last figures (each says when and how it was made).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientcache/clientcache/bench"
)

// sections in the order RESULTS.md shows them.
var sections = []string{"throughput", "hitratio", "memory", "client"}

type config struct {
	quick     bool
	only      []string
	count     int
	cpu       string
	benchtime string
	traces    []string // hit-ratio traces; nil for the default of the mode
	out       string   // directory of RESULTS.md; results/ beneath it
	cmdline   string
	fromRaw   bool // throughput: summarise the existing raw output, run nothing
	rivalRuns int  // hit ratio: replays of each randomly seeded bounded rival
}

func (c config) results(name string) string { return filepath.Join(c.out, "results", name) }

func main() {
	var (
		cfg       config
		only      = flag.String("only", strings.Join(sections, ","), "comma-separated sections to regenerate: "+strings.Join(sections, ","))
		traces    = flag.String("traces", "", "comma-separated trace labels for the hit-ratio section (default: all; with -quick: "+strings.Join(quickTraces, ",")+")")
		memChild  = flag.String("memory-child", "", "internal: measure one cache, NAME:N, in this process and print JSON")
		assemble  = flag.Bool("assemble", false, "only rebuild RESULTS.md from the sections in results/")
		countFlag = flag.Int("count", 0, "benchmark -count (default 10; 2 with -quick)")
		runsFlag  = flag.Int("rival-runs", 0, "hit ratio: replays of each randomly seeded bounded rival, scored by the median (default 3; 1 with -quick)")
	)
	flag.BoolVar(&cfg.quick, "quick", false, "small-scale run to validate the harness: -count 2, -benchtime 100ms, fewer traces")
	flag.StringVar(&cfg.cpu, "cpu", "1,2,4,8", "benchmark -cpu list")
	flag.StringVar(&cfg.benchtime, "benchtime", "", "benchmark -benchtime (default 1s; 100ms with -quick)")
	flag.StringVar(&cfg.out, "out", ".", "directory to write RESULTS.md and results/ into")
	flag.BoolVar(&cfg.fromRaw, "from-raw", false, "throughput: summarise the existing results/throughput.txt instead of running the benchmarks")
	flag.Parse()

	if *memChild != "" {
		if err := memoryChild(*memChild); err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
		return
	}
	cfg.cmdline = "go run ./cmd/report " + strings.Join(os.Args[1:], " ")
	cfg.only = split(*only)
	cfg.traces = split(*traces)
	// 0 stands for "not given" (the default depends on -quick); given, 0 is
	// refused like any value below 1, not silently replaced by the default.
	given := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	if cfg.count, err = orDefault("count", *countFlag, given["count"], cfg.quick, 10, 2); err != nil {
		fatal(err)
	}
	if cfg.rivalRuns, err = orDefault("rival-runs", *runsFlag, given["rival-runs"], cfg.quick, 3, 1); err != nil {
		fatal(err)
	}
	if cfg.benchtime == "" {
		cfg.benchtime = "1s"
		if cfg.quick {
			cfg.benchtime = "100ms"
		}
	}
	for _, s := range cfg.only {
		if !slices.Contains(sections, s) {
			fatal(fmt.Errorf("unknown section %q (sections: %s)", s, strings.Join(sections, ",")))
		}
	}
	if err := cfg.validate(); err != nil {
		fatal(err) // before any section runs or overwrites results/
	}
	if err := os.MkdirAll(cfg.results(""), 0o755); err != nil {
		fatal(err)
	}
	if !*assemble {
		run := map[string]func(config, *section) error{
			"throughput": runThroughput, "hitratio": runHitRatio, "memory": runMemory, "client": runClient,
		}
		for _, name := range sections {
			if !slices.Contains(cfg.only, name) {
				continue
			}
			start := time.Now()
			progress(name, "starting")
			s := newSection(name)
			if err := run[name](cfg, s); err != nil {
				fatal(fmt.Errorf("%s: %w", name, err))
			}
			s.footer(cfg, time.Since(start))
			if err := s.save(cfg); err != nil {
				fatal(err)
			}
			progress(name, "done in %v", time.Since(start).Round(time.Second))
		}
	}
	if err := assembleResults(cfg); err != nil {
		fatal(err)
	}
	progress("report", "wrote %s", filepath.Join(cfg.out, "RESULTS.md"))
}

// validate checks the flags that the sections pass on (to go test, or to
// the hit-ratio run) before anything runs: go test's own complaint went to
// results/throughput.txt, which it overwrote, and the report said only "go
// test: exit status 1"; an unknown -traces label failed only once the
// throughput section (47 minutes) was done.
func (c config) validate() error {
	if c.count < 1 {
		return fmt.Errorf("-count must be at least 1 (0 for the default), got %d", c.count)
	}
	cpus := split(c.cpu)
	if len(cpus) == 0 {
		return fmt.Errorf("-cpu %q: must list at least one number of CPUs", c.cpu)
	}
	for _, f := range cpus {
		if n, err := strconv.Atoi(f); err != nil || n < 1 {
			return fmt.Errorf("-cpu %q: %q is not a positive integer", c.cpu, f)
		}
	}
	if n, ok := strings.CutSuffix(c.benchtime, "x"); ok {
		if k, err := strconv.Atoi(n); err != nil || k < 1 {
			return fmt.Errorf("-benchtime %q: Nx needs a positive integer N", c.benchtime)
		}
	} else if d, err := time.ParseDuration(c.benchtime); err != nil || d <= 0 {
		return fmt.Errorf("-benchtime %q: must be a positive duration (1s) or a count (100x)", c.benchtime)
	}
	if err := bench.CheckLabels(c.traces); err != nil {
		return fmt.Errorf("-traces: %w", err)
	}
	return nil
}

// orDefault returns the value v of the flag -name if it was given (refused
// below 1), or else its default: full, or short with -quick.
func orDefault(name string, v int, given, quick bool, full, short int) (int, error) {
	switch {
	case given && v < 1:
		return 0, fmt.Errorf("-%s must be at least 1, got %d", name, v)
	case given:
		return v, nil
	case quick:
		return short, nil
	}
	return full, nil
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "report:", err)
	os.Exit(1)
}

func progress(section, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s [%s] %s\n", time.Now().Format("15:04:05"), section, fmt.Sprintf(format, args...))
}

// Goal is one of the goals with what this run shows.
type Goal struct {
	Goal   string `json:"goal"`
	Status string `json:"status"` // met, MISSED, not measured
	Figure string `json:"figure"`
	// Mode and Load say how the figure was made: quick or full mode, and
	// the machine's load average then.
	Mode string `json:"mode"`
	Load string `json:"load"`
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// section collects the markdown and goals of one section.
type section struct {
	name  string
	md    bytes.Buffer
	goals []Goal
	// cpu is the processor the figures were measured on: this machine's,
	// or the one named in the raw output they were summarised from.
	cpu string
	// load is the load average at the end of the measurement, when that
	// was not now (the figures were summarised from earlier raw output);
	// "" for the load average now.
	load string
}

// measuredLoad is the load average at the end of the section's measurement.
func (s *section) measuredLoad() string {
	if s.load != "" {
		return s.load
	}
	return loadAverage()
}

func newSection(name string) *section { return &section{name: name, cpu: cpuModel()} }

func (s *section) printf(format string, args ...any) { fmt.Fprintf(&s.md, format, args...) }

func (s *section) goal(goal, status, figure string) {
	s.goals = append(s.goals, Goal{Goal: goal, Status: status, Figure: figure})
}

func (s *section) footer(cfg config, took time.Duration) {
	s.printf("\n<sub>Section generated %s in %v by `cd bench && %s` (%s), figures measured on %s; machine load at the end of the measurement: %s.</sub>\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), took.Round(time.Second), strings.TrimSpace(cfg.cmdline), modeName(cfg.quick), s.cpu, s.measuredLoad())
}

func modeName(quick bool) string {
	if quick {
		return quickMarker
	}
	return "full mode"
}

// quickMarker marks a section made in quick mode; RESULTS.md's banner looks
// for it.
const quickMarker = "quick mode"

func (s *section) save(cfg config) error {
	load := s.measuredLoad()
	for i := range s.goals {
		s.goals[i].Mode, s.goals[i].Load = modeName(cfg.quick), load
	}
	if err := os.WriteFile(cfg.results(s.name+".md"), s.md.Bytes(), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s.goals, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(cfg.results(s.name+".goals.json"), append(b, '\n'), 0o644)
}

// loadAverage returns the first three fields of /proc/loadavg, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ") + " (1, 5, 15 min)"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func goVersion() string {
	out, err := exec.Command("go", "version").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.Join(strings.Fields(line)[1:], " ")
}

// The RESULTS.md banner and the goals' note on timing, for a report with a
// quick-mode section and for a full one.
const (
	quickBanner = "> **Provisional.** Sections marked quick mode were generated with `-quick` (`-count 2`, `-benchtime 100ms`, fewer traces) to validate the harness, on a shared 2-core machine (load average below each section); their timings say little. Regenerate with `cd bench && go run ./cmd/report` before quoting them.\n\n"
	fullBanner  = "> Measured on a shared 2-core virtual machine. Its CPU time is shared with other guests, so timings vary between runs (hence the medians, confidence intervals and the load average given below each section); hit ratios (but bounded ristretto's, which the hit-ratio section explains), memory and loader counts do not depend on the load. Every figure here comes from the command under its section.\n\n"
	quickTiming = "Timing goals (throughput, head-of-line) judged from a quick-mode run say little either way; "
	fullTiming  = "Timing goals (throughput, head-of-line) are judged from medians on a shared machine; "
)

// assembleResults writes RESULTS.md: the machine, the commands, the goals of
// every section present, then the sections.
func assembleResults(cfg config) error {
	var bodies, unnamed []string // unnamed: sections whose footer names no CPU (made before it did)
	for _, name := range sections {
		md, err := os.ReadFile(cfg.results(name + ".md"))
		if err == nil {
			bodies = append(bodies, string(md))
			if !bytes.Contains(md, []byte(", figures measured on ")) {
				unnamed = append(unnamed, name)
			}
		}
	}
	quick := slices.ContainsFunc(bodies, func(md string) bool { return strings.Contains(md, "("+quickMarker+")") })
	var b bytes.Buffer
	fmt.Fprintf(&b, "# clientcache benchmark results\n\n")
	banner, timing := fullBanner, fullTiming
	if quick {
		banner, timing = quickBanner, quickTiming
	}
	b.WriteString(banner)
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	host, _ := os.Hostname()
	cpus := "each section names the CPU its figures were measured on"
	if len(unnamed) > 0 {
		cpus = "each section names the CPU its figures were measured on, but " + strings.Join(unnamed, ", ") + ", made before footers did"
	}
	fmt.Fprintf(&b, "| machine (where assembled; %s) | %s, %s/%s, %s RAM (host %s) |\n", cpus, cpuModel(), runtime.GOOS, runtime.GOARCH, memTotal(), host)
	fmt.Fprintf(&b, "| CPUs | %d logical (GOMAXPROCS %d): `-cpu 4` and `-cpu 8` oversubscribe them |\n", runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(&b, "| Go | %s |\n", goVersion())
	fmt.Fprintf(&b, "| assembled | %s |\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "| load average when assembled | %s |\n\n", loadAverage())

	b.WriteString(commandsDoc)

	fmt.Fprintf(&b, "## Goals\n\nThe issue's goals, with what these figures show. A goal marked MISSED is missed by the figure beside it. ")
	b.WriteString(timing)
	fmt.Fprintf(&b, "hit ratio, memory and stampede figures do not depend on the load (except the rivals' random seeds, and bounded ristretto's hit ratios, which do).\n\n")
	fmt.Fprintf(&b, "| section | goal | status | figure | made in |\n|---|---|---|---|---|\n")
	for _, name := range sections {
		_, err := os.Stat(cfg.results(name + ".md"))
		if errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(&b, "| %s | (section not generated yet) | not measured | | |\n", name)
			continue
		}
		if err != nil {
			return err
		}
		var goals []Goal
		if raw, err := os.ReadFile(cfg.results(name + ".goals.json")); err == nil {
			if err := json.Unmarshal(raw, &goals); err != nil {
				return fmt.Errorf("%s.goals.json: %w", name, err)
			}
		}
		for _, g := range goals {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s, load %s |\n", name, g.Goal, g.Status, g.Figure, g.Mode, g.Load)
		}
	}
	b.WriteString("\n")
	for _, body := range bodies {
		b.WriteString(body)
	}
	b.WriteString(creditsDoc)
	return os.WriteFile(filepath.Join(cfg.out, "RESULTS.md"), b.Bytes(), 0o644)
}

const commandsDoc = "## How to regenerate\n\n" +
	"```sh\n" +
	"cd bench && go run ./cmd/report                    # everything: -count 10 -cpu 1,2,4,8, every trace (roughly 60 minutes on 2 cores)\n" +
	"cd bench && go run ./cmd/report -quick             # the whole harness at small scale (-count 2, -benchtime 100ms, 5 traces, small-cache sweep at 8, 64, 512)\n" +
	"cd bench && go run ./cmd/report -only hitratio -traces oltp,gli   # one section, some traces\n" +
	"cd bench && go run ./cmd/report -assemble          # rebuild RESULTS.md from results/*.md\n" +
	"```\n\n" +
	"Flags: `-only throughput,hitratio,memory,client`, `-quick`, `-count N`, `-cpu 1,2,4,8`, `-benchtime D`, `-traces a,b`, `-rival-runs N` (replays of each randomly seeded bounded rival in the hit-ratio section, scored by the median; default 3, 1 with `-quick`), `-out DIR`, `-from-raw` (re-summarise `results/throughput.txt` without running benchmarks). " +
	"The throughput section runs, as a subprocess,\n\n" +
	"```sh\n" +
	"go test -run '^$' -bench '^BenchmarkThroughput$' -benchmem -count 10 -cpu 1,2,4,8 -benchtime 1s -timeout 0 .\n" +
	"```\n\n" +
	"keeps its raw output in `results/throughput.txt` (and the load average at its end in `results/throughput.load`, which `-from-raw` reports), summarises it with `golang.org/x/perf/benchmath` (median and 95% confidence interval, as benchstat does) " +
	"and runs `go run golang.org/x/perf/cmd/benchstat -table /reads -row /gomaxprocs -col /cache results/throughput.txt` into `results/throughput-benchstat.txt`. " +
	"The other sections run in the report's process, except memory, where each cache is measured by a fresh child process (`report -memory-child NAME:N`).\n\n"

const creditsDoc = "## Credits\n\n" +
	"Traces: the ARC (OLTP, P3), LIRS and cache2k sets and a generated Zipf trace, read from `../shared/traces`. " +
	"The cache2k web traces (web07, web12) are CC BY 4.0 (cache2k-LICENSE.txt in the trace folder). " +
	"The throughput workload follows Caffeine's GetPutBenchmark (scrambled Zipf keys, θ = 0.99, YCSB's generator).\n"
