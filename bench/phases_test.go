package bench

import (
	"strings"
	"testing"

	"github.com/clientcache/clientcache/internal/trace"
)

// TestPhasesAddUpToTheReplay: the hits of the tenths of a trace are those of
// replaying it whole, for every bounded contender (the randomly seeded ones
// excepted, whose two replays differ).
func TestPhasesAddUpToTheReplay(t *testing.T) {
	keys := zipfTrace(20_000)
	for _, c := range Contenders {
		if !c.Bounded || c.Random {
			continue
		}
		hits, err := Phases(keys, 100, c, 10)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		sum := 0
		for _, h := range hits {
			sum += h
		}
		cache, err := c.New(100)
		if err != nil {
			t.Fatal(err)
		}
		want := trace.Replay(keys, cache)
		cache.Close()
		if sum != want || len(hits) != 10 {
			t.Errorf("%s: %d phases adding up to %d hits, want 10 adding up to the replay's %d", c.Name, len(hits), sum, want)
		}
	}
}

// TestPhasesRefusesUnusableArguments: as Measure does, Phases refuses a
// capacity below 1 (clientcache took 0 for its default of 10 entries, otter
// for no bound, and both scored hits where Bélády's optimum scores none), and
// a number of parts below 1 (0 divided by zero) or above the trace's length
// (every request was left out, and the phases were all zero).
func TestPhasesRefusesUnusableArguments(t *testing.T) {
	keys := zipfTrace(2_000)
	lfu, _ := Lookup("clientcache-LFU")
	for _, tc := range []struct {
		capacity, parts int
		keys            []uint64
		want            string
	}{
		{0, 10, keys, "capacity"},
		{-1, 10, keys, "capacity"},
		{100, 0, keys, "parts"},
		{100, -2, keys, "parts"},
		{100, 10, keys[:5], "parts"},
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Phases(%d keys, capacity %d, parts %d) panicked: %v", len(tc.keys), tc.capacity, tc.parts, r)
				}
			}()
			hits, err := Phases(tc.keys, tc.capacity, lfu, tc.parts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Phases(%d keys, capacity %d, parts %d) = %v, %v; want an error naming %s", len(tc.keys), tc.capacity, tc.parts, hits, err, tc.want)
			}
		}()
	}
}
