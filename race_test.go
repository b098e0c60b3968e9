package clientcache_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/clientcache/clientcache/concurrent"
)

// TestEngineUnderRace hammers one cache from many goroutines with every
// operation over a hot and a spread key set, at capacities 1, 16 and 1000,
// for both policies. During the run it samples Len() against the documented
// worst case (MaxSize plus the writers in flight); afterwards it checks the
// bound, that the map and the policy agree, and that every stored value was
// either handed to OnEvict exactly once or is still present.
func TestEngineUnderRace(t *testing.T) {
	perWorker := 20_000
	if testing.Short() {
		perWorker = 2_000
	}
	const workers = 8
	for _, policy := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		for _, capacity := range []int{1, 16, 1000} {
			t.Run(fmt.Sprintf("%v/cap=%d", policy, capacity), func(t *testing.T) {
				stressEngine(t, policy, capacity, workers, perWorker)
			})
		}
	}
}

func stressEngine(t *testing.T, policy concurrent.Policy, capacity, workers, perWorker int) {
	var stored, notified atomic.Int64
	c, err := concurrent.New(concurrent.Options[int, int]{
		MaxSize:     capacity,
		Policy:      policy,
		OnEvict:     func(k, v int, cause concurrent.Cause) { notified.Add(1) },
		RecordStats: true, // for DroppedReads in the failure message
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	const hot, spread = 8, 4096
	var stop atomic.Bool
	var peak atomic.Int64
	sampler := make(chan struct{})
	go func() {
		defer close(sampler)
		for !stop.Load() {
			n := int64(c.Len())
			if n > peak.Load() {
				peak.Store(n)
			}
		}
	}()

	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(capacity)))
			for i := range perWorker {
				k := rng.IntN(hot)
				if rng.IntN(2) == 0 {
					k = hot + rng.IntN(spread)
				}
				v := w*perWorker + i
				switch p := rng.IntN(100); {
				case p < 50:
					if got, ok := c.Get(k); ok && got < 0 {
						t.Errorf("Get(%d) = %d: a value never stored", k, got)
					}
				case p < 55:
					c.Contains(k)
				case p < 75:
					if c.Set(k, v) == nil {
						stored.Add(1)
					}
				case p < 85:
					if c.Add(k, v) == nil {
						stored.Add(1)
					}
				case p < 92:
					c.Delete(k)
				case p < 96:
					_, _ = c.Pop(k)
				case p < 98:
					c.PopVictim()
				default:
					n := 0
					for range c.Keys() {
						n++
					}
					if n > capacity+workers {
						t.Errorf("Keys yielded %d keys at MaxSize %d", n, capacity)
					}
				}
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	<-sampler

	if p := peak.Load(); p > int64(capacity+workers) {
		t.Fatalf("sampled Len %d exceeds MaxSize + writers in flight = %d", p, capacity+workers)
	}
	c.Sync()
	if c.Len() > c.MaxSize() {
		t.Fatalf("Len %d > MaxSize %d after Sync", c.Len(), c.MaxSize())
	}
	// The map and the policy agree: the eviction order lists exactly the
	// present keys, once each.
	listed := map[int]bool{}
	for k := range c.Keys() {
		if listed[k] {
			t.Fatalf("key %d listed twice", k)
		}
		listed[k] = true
	}
	if len(listed) != c.Len() {
		t.Fatalf("the policy lists %d keys, the map holds %d", len(listed), c.Len())
	}
	for k := range hot + spread {
		if c.Contains(k) != listed[k] {
			t.Fatalf("key %d: Contains %v, listed by the policy %v", k, c.Contains(k), listed[k])
		}
	}
	if got := stored.Load() - notified.Load(); got != int64(c.Len()) {
		t.Fatalf("stored %d - notified %d = %d, but Len is %d", stored.Load(), notified.Load(), got, c.Len())
	}
	t.Logf("peak Len %d (bound %d + %d writers), %d stored, %d notified, %v",
		peak.Load(), capacity, workers, stored.Load(), notified.Load(), c.Stats().DroppedReads)
}
