package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/clientcache/clientcache/bench
BenchmarkThroughput/cache=otter/reads=100       	 1000	        40.0 ns/op	  25.0 Mops/s	 100.0 hit%	 0 B/op	 0 allocs/op
BenchmarkThroughput/cache=otter/reads=100       	 1000	        50.0 ns/op	  20.0 Mops/s	 100.0 hit%	 0 B/op	 0 allocs/op
BenchmarkThroughput/cache=otter/reads=100-2     	 1000	        30.0 ns/op	  33.0 Mops/s	 100.0 hit%	 0 B/op	 0 allocs/op
BenchmarkThroughput/cache=clientcache-LRU/reads=75-8 	 1000	 120.0 ns/op	 8.3 Mops/s	 99.5 hit%	 48 B/op	 1 allocs/op
BenchmarkOther-2  	 1000	        1.0 ns/op
`

func TestSummarise(t *testing.T) {
	stats, err := summarise(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 3 {
		t.Fatalf("%d configurations, want 3: %v", len(stats), stats)
	}
	o := stats[point{"otter", 100, 1}]
	if o.n != 2 || o.ns.Center != 45 || o.allocs != 0 || o.hit != 100 {
		t.Errorf("otter -cpu 1: %+v", o)
	}
	if got := fmtNs(o); got != "45.0 ±?" {
		t.Errorf("fmtNs = %q", got)
	}
	c := stats[point{"clientcache-LRU", 75, 8}]
	if math.Abs(c.ns.Center-120) > 1e-9 || c.allocs != 1 || c.hit != 99.5 {
		t.Errorf("clientcache-LRU reads=75 -cpu 8: %+v", c)
	}
	if got := ratio(stats, point{"clientcache-LRU", 75, 8}, point{"otter", 100, 1}); got != "2.67×" {
		t.Errorf("ratio = %q", got)
	}
}

// TestAssemble builds RESULTS.md from one section's files: the goals table
// lists its goals and marks the missing sections.
func TestAssemble(t *testing.T) {
	cfg := config{out: t.TempDir(), cmdline: "go run ./cmd/report -only client", quick: true}
	if err := os.MkdirAll(cfg.results(""), 0o755); err != nil {
		t.Fatal(err)
	}
	s := newSection("client")
	s.printf("## Client level\n\nbody\n")
	s.goal("Stampede: exactly 1 loader call", met(true), "1 calls")
	s.footer(cfg, 0)
	if err := s.save(cfg); err != nil {
		t.Fatal(err)
	}
	if err := assembleResults(cfg); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(cfg.out, "RESULTS.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, want := range []string{
		"| client | Stampede: exactly 1 loader call | met | 1 calls | quick mode, load ",
		"| throughput | (section not generated yet) | not measured | | |",
		"## Client level",
		"Sections marked quick mode",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
}

func TestSpreadMedian(t *testing.T) {
	for _, tc := range []struct {
		v    []float64
		want string
	}{
		{nil, "n/a"},
		{[]float64{0.5}, "from 0.500 to 0.500, median 0.500"},
		{[]float64{0.3, 0.1, 0.2}, "from 0.100 to 0.300, median 0.200"},
		{[]float64{0.4, 0.1, 0.3, 0.2}, "from 0.100 to 0.400, median 0.250"},
	} {
		if got := spread(tc.v); got != tc.want {
			t.Errorf("spread(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestTheineShards(t *testing.T) {
	for _, c := range []struct{ procs, want int }{
		{1, 16}, {2, 16}, {8, 16}, {9, 32}, {16, 32}, {17, 64}, {64, 128}, {100, 128},
	} {
		if got := theineShards(c.procs); got != c.want {
			t.Errorf("theineShards(%d) = %d, want %d", c.procs, got, c.want)
		}
	}
}
