package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/clientcache/clientcache/internal/trace"
)

// TestPhases is a development aid: it replays the traces named in
// CLIENTCACHE_PHASES (trace@capacity, separated by semicolons, for example
// "web07@5000;multi2@500") through clientcache's LRU (a textbook LRU's
// figures) and LFU and the judged rivals (bounded: otter with CleanUp and
// theine with Wait after each write, and ARC), and prints each one's hit percentage over each tenth of the
// trace, to show where in a trace one policy gains or loses on another.
// otter and theine seed themselves at random, so their figures vary from
// run to run (one run each here).
func TestPhases(t *testing.T) {
	spec := os.Getenv("CLIENTCACHE_PHASES")
	if spec == "" {
		t.Skip(`set CLIENTCACHE_PHASES="trace@capacity;..." to print hit ratios per tenth of a trace`)
	}
	dir, err := trace.Dir()
	if err != nil {
		t.Skip(err)
	}
	const tenths = 10
	for _, item := range strings.Split(spec, ";") {
		name, capText, ok := strings.Cut(item, "@")
		f, found := trace.Lookup(name)
		capacity, err := strconv.Atoi(capText)
		if !ok || !found || err != nil || capacity < 1 {
			t.Fatalf("CLIENTCACHE_PHASES: %q is not a known trace@capacity", item)
		}
		keys, err := f.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		per := len(keys) / tenths
		if per == 0 {
			t.Fatalf("%s: %d accesses, too few for tenths", name, len(keys))
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s@%d, %d accesses; hit %% per tenth, then overall\n", name, capacity, len(keys))
		for _, c := range Contenders {
			if !c.Bounded || (c.Rival && !c.Judged) {
				continue
			}
			cache, err := c.New(capacity)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			fmt.Fprintf(&b, "%-16s", c.Name)
			hits, total := 0, 0
			for i, k := range keys[:per*tenths] {
				if cache.Get(k) {
					hits++
				} else {
					cache.Set(k)
				}
				if (i+1)%per == 0 {
					fmt.Fprintf(&b, " %6.2f", trace.Percent(hits, per))
					total += hits
					hits = 0
				}
			}
			cache.Close()
			fmt.Fprintf(&b, " | %6.2f\n", trace.Percent(total, per*tenths))
		}
		t.Log("\n" + b.String())
	}
}
