package bench

import (
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
