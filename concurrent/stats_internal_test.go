package concurrent

import (
	"sync"
	"testing"
)

// Under contention some hits are counted by sampling; the estimate must stay
// close to the truth. With n sampled hits the relative standard deviation is
// about 4/sqrt(n): at 200,000 hits, 10% is eight of them.
func TestHitCountUnderContentionIsAccurate(t *testing.T) {
	c, err := New(Options[int, int]{MaxSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 64 {
		_ = c.Set(i, i)
	}
	const goroutines, per = 8, 25_000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if _, ok := c.Get((g + i) % 8); !ok { // a few hot keys
					t.Error("miss")
				}
			}
		}()
	}
	wg.Wait()
	if !c.rb.contended() {
		t.Skip("the goroutines never contended on this run; nothing sampled")
	}
	got, want := float64(c.Stats().Hits), float64(goroutines*per)
	if got < 0.9*want || got > 1.1*want {
		t.Fatalf("Hits = %.0f, true hits %.0f", got, want)
	}
	t.Logf("Hits estimate %.0f for %.0f true hits (%+.2f%%)", got, want, 100*(got-want)/want)
}
