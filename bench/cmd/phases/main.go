// Command phases prints, for each trace@capacity given, the hit percentage of
// clientcache's LRU (a textbook LRU's figures) and LFU and of the bounded
// judged rivals (otter with CleanUp and theine with Wait after each write,
// and ARC) over each tenth of the trace, then over the whole: where in a
// trace one policy gains or loses on another. otter and theine seed
// themselves at random, so their figures vary from run to run (one run
// each here).
//
//	cd bench && go run ./cmd/phases web07@5000 multi2@500
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/clientcache/clientcache/bench"
	"github.com/clientcache/clientcache/internal/trace"
)

const tenths = 10

func main() {
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: phases trace@capacity ... (for example web07@5000 multi2@500)")
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	dir, err := trace.Dir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "phases:", err)
		os.Exit(1)
	}
	for _, item := range flag.Args() {
		name, capText, ok := strings.Cut(item, "@")
		f, found := trace.Lookup(name)
		capacity, err := strconv.Atoi(capText)
		if !ok || !found || err != nil || capacity < 1 {
			fmt.Fprintf(os.Stderr, "phases: %q is not a known trace@capacity\n", item)
			os.Exit(2)
		}
		keys, err := f.Load(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "phases:", err)
			os.Exit(1)
		}
		per := len(keys) / tenths
		if per == 0 {
			fmt.Fprintf(os.Stderr, "phases: %s has %d accesses, too few for tenths\n", name, len(keys))
			os.Exit(1)
		}
		fmt.Printf("%s@%d, %d accesses; hit %% per tenth, then overall\n", name, capacity, len(keys))
		for _, c := range bench.Contenders {
			if !c.Bounded || (c.Rival && !c.Judged) {
				continue
			}
			hits, err := bench.Phases(keys, capacity, c, tenths)
			if err != nil {
				fmt.Fprintf(os.Stderr, "phases: %s: %v\n", c.Name, err)
				os.Exit(1)
			}
			fmt.Printf("%-16s", c.Name)
			total := 0
			for _, h := range hits {
				fmt.Printf(" %6.2f", trace.Percent(h, per))
				total += h
			}
			fmt.Printf(" | %6.2f\n", trace.Percent(total, per*tenths))
		}
		fmt.Println()
	}
}
