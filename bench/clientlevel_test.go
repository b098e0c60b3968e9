package bench

import (
	"testing"
	"time"
)

// TestStampede: the deduplicating caches call the loader once for a thousand
// simultaneous misses. (Others are reported, not asserted.)
func TestStampede(t *testing.T) {
	for _, k := range LoadingKinds {
		r, err := Stampede(k.Name, 1000, 20*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-18s %4d loader calls, %d errors, %v", r.Cache, r.Calls, r.Errors, r.Wall.Round(time.Millisecond))
		switch k.Name {
		case "clientcache-LRU", "clientcache-LFU", "seedport", "golang-lru+mutex", "otter", "theine":
			if r.Calls != 1 || r.Errors != 0 {
				t.Errorf("%s: %d loader calls, %d errors; want 1 and 0", k.Name, r.Calls, r.Errors)
			}
		}
	}
}

// TestHeadOfLine runs the measurement briefly; it asserts only what does not
// depend on timing: samples were taken, and under seedport's lock the slowest
// hit waited for most of the load.
func TestHeadOfLine(t *testing.T) {
	const load = 30 * time.Millisecond
	for _, name := range []string{"clientcache-LRU", "seedport", "golang-lru+mutex"} {
		r, err := HeadOfLine(name, load, 2, time.Millisecond, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-18s %4d hits  p50 %v  p99 %v  max %v", name, r.Samples, r.P50, r.P99, r.Max)
		if r.Samples == 0 {
			t.Errorf("%s: no samples", name)
		}
		if name != "clientcache-LRU" && r.Max < load/2 {
			t.Errorf("%s: slowest hit %v, yet the lock is held for %v", name, r.Max, load)
		}
	}
	base, err := HeadOfLine("seedport", load, 2, time.Millisecond, false)
	if err != nil {
		t.Fatal(err)
	}
	if base.Samples == 0 {
		t.Error("baseline: no samples")
	}
}
