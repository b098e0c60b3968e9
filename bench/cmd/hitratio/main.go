// Command hitratio prints the hit-ratio table of clientcache's LRU and LFU
// against Bélády's optimum, a textbook LRU and the rival Go caches, on every
// trace of the shared trace folder at the capacities listed for it.
//
//	cd bench && go run ./cmd/hitratio [-traces oltp,loop] [-rivals=false] [-rival-runs 3]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/clientcache/clientcache/bench"
	"github.com/clientcache/clientcache/internal/trace"
)

func main() {
	traces := flag.String("traces", "", "comma-separated trace labels, e.g. oltp,loop (default: all)")
	rivals := flag.Bool("rivals", true, "measure the rival caches too")
	runs := flag.Int("rival-runs", 3, "replays of each randomly seeded bounded rival (otter, theine), scored by the median")
	flag.Parse()
	if *runs < 1 {
		fmt.Fprintf(os.Stderr, "hitratio: -rival-runs must be at least 1, got %d\n", *runs)
		os.Exit(2)
	}

	dir, err := trace.Dir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hitratio:", err)
		os.Exit(1)
	}
	var only []string
	if *traces != "" {
		only = strings.Split(*traces, ",")
		if err := bench.CheckLabels(only); err != nil {
			fmt.Fprintln(os.Stderr, "hitratio: -traces:", err)
			os.Exit(2)
		}
	}
	contenders := bench.Contenders
	if !*rivals {
		contenders = contenders[:2]
	}
	start := time.Now()
	rows, err := bench.Run(dir, bench.Jobs(only), contenders, *runs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hitratio:", err)
		os.Exit(1)
	}
	bench.WriteTable(os.Stdout, rows)
	if at, n, worst, where := bench.Summary(rows); n > 0 {
		fmt.Printf("\nLFU >= best judged bounded rival in %d of %d rows", at, n)
		if worst < 0 {
			fmt.Printf("; largest shortfall %.2f points at %s", worst, where)
		}
		fmt.Println(".")
	}
	fmt.Printf("\nhit %%; /OPT = fraction of Bélády's optimum; =tb: clientcache LRU equals a textbook LRU; rival = best of the judged bounded rivals (otter with a synchronous Executor and CleanUp, theine with Wait, golang-lru ARC); 2Q shown for context; -u = unbounded, as users call it, with peak size (one run). otter and theine seed themselves at random: bounded, each is the median of %d runs. cache2k web traces: CC BY 4.0. %d rows in %v.\n",
		*runs, len(rows), time.Since(start).Round(time.Second))
}
