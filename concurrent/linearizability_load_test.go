package concurrent_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/clientcache/clientcache/concurrent"
)

// The specification for GetOrLoad with Get, Set and Delete. Every Set value,
// every loaded value and every Delete carries a generation number from one
// global counter, taken when the Set or Delete is called or when the loader
// runs, so generations increase with time. Per key, the state is the present
// value (if any) and the highest generation of the explicit writes (Set,
// Delete) made to the key so far. A GetOrLoad either hits the present value
// or loads: a loaded value must be newer than every explicit write before it,
// so an old value coming back (a load that overwrites a newer Set, or
// resurrects an entry after a Delete) is caught. Loads are not ordered among
// themselves: two loads of one key may run concurrently when an explicit
// write detached the first, and either may finish first. As in cacheModel,
// any present entry may be evicted at any moment.

type genOp uint8

const (
	genGetOrLoad genOp = iota
	genGet
	genSet
	genDelete
)

var genOpNames = [...]string{"GetOrLoad", "Get", "Set", "Delete"}

type genInput struct {
	op  genOp
	key int
	val int // Set: the value; Delete: its generation
}

type genOutput struct {
	val int
	ok  bool
}

type genState struct {
	present bool
	val     int
	maxGen  int
}

var loadModel = porcupine.Model{
	Partition: partitionByKey(func(in any) int { return in.(genInput).key }),
	Init:      func() any { return genState{} },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(genState), input.(genInput), output.(genOutput)
		switch in.op {
		case genGetOrLoad:
			if !out.ok {
				return false, s // the test's loader never fails
			}
			if s.present && s.val == out.val {
				return true, s // a hit
			}
			if out.val > s.maxGen { // a load (after an eviction, if present)
				return true, genState{true, out.val, s.maxGen}
			}
			return false, s
		case genGet:
			if out.ok {
				return s.present && s.val == out.val, s
			}
			return true, genState{maxGen: s.maxGen}
		case genSet:
			return true, genState{true, in.val, max(s.maxGen, in.val)}
		case genDelete:
			after := genState{maxGen: max(s.maxGen, in.val)}
			if out.ok {
				return s.present, after
			}
			return true, after
		}
		return false, s
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(genInput), output.(genOutput)
		return fmt.Sprintf("%s(%d,%d) -> %d,%v", genOpNames[in.op], in.key, in.val, out.val, out.ok)
	},
}

type loadCache interface {
	GetOrLoad(context.Context, int, func(context.Context) (int, error)) (int, error)
	Get(int) (int, bool)
	Set(int, int) error
	Delete(int) bool
}

func recordLoadHistory(c loadCache, seed uint64, clients, perClient, keys int) []porcupine.Operation {
	var gen atomic.Int64
	loader := func(context.Context) (int, error) {
		g := int(gen.Add(1))
		runtime.Gosched() // let other callers join, write or evict meanwhile
		return g, nil
	}
	return recordClients(seed, clients, perClient, func(_, _ int, rng *rand.Rand, called func()) (any, any) {
		in := genInput{key: rng.IntN(keys)}
		switch p := rng.IntN(100); {
		case p < 45:
			in.op = genGetOrLoad
		case p < 65:
			in.op = genGet
		case p < 85:
			in.op = genSet
		default:
			in.op = genDelete
		}
		called()
		var out genOutput
		switch in.op {
		case genGetOrLoad:
			v, err := c.GetOrLoad(context.Background(), in.key, loader)
			out = genOutput{v, err == nil}
		case genGet:
			out.val, out.ok = c.Get(in.key)
		case genSet:
			in.val = int(gen.Add(1))
			out.ok = c.Set(in.key, in.val) == nil
		case genDelete:
			in.val = int(gen.Add(1))
			out.ok = c.Delete(in.key)
		}
		return in, out
	})
}

// TestGetOrLoadLinearizable: 50 histories of 2,000 operations over 5 keys
// in a cache of 3, so that loads, writes and evictions collide.
func TestGetOrLoadLinearizable(t *testing.T) {
	histories := 50
	if testing.Short() {
		histories = 10
	}
	for h := range histories {
		c, err := concurrent.New(concurrent.Options[int, int]{MaxSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		ops := recordLoadHistory(c, uint64(h), 4, 500, 5)
		_ = c.Close()
		if res := porcupine.CheckOperationsTimeout(loadModel, ops, 30*time.Second); res != porcupine.Ok {
			t.Fatalf("history %d: %s", h, res)
		}
	}
}

// memoCache is deliberately broken in the way hand-rolled caches are: it
// remembers the first loaded value of a key forever, past Set and Delete.
type memoCache struct {
	*concurrent.Cache[int, int]
	mu   sync.Mutex
	memo map[int]int
}

func (m *memoCache) GetOrLoad(ctx context.Context, k int, loader func(context.Context) (int, error)) (int, error) {
	m.mu.Lock()
	v, ok := m.memo[k]
	m.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := m.Cache.GetOrLoad(ctx, k, loader)
	if err == nil {
		m.mu.Lock()
		m.memo[k] = v
		m.mu.Unlock()
	}
	return v, err
}

func TestGetOrLoadCheckerCatchesStaleLoads(t *testing.T) {
	caught := 0
	for h := range 10 {
		c, err := concurrent.New(concurrent.Options[int, int]{MaxSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		ops := recordLoadHistory(&memoCache{Cache: c, memo: map[int]int{}}, uint64(h), 4, 500, 5)
		_ = c.Close()
		if porcupine.CheckOperationsTimeout(loadModel, ops, 30*time.Second) == porcupine.Illegal {
			caught++
		}
	}
	if caught != 10 {
		t.Fatalf("the checker caught the memoizing cache in %d of 10 histories", caught)
	}
}
