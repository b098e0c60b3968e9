package concurrent_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/clientcache/clientcache/concurrent"
)

// The sequential specification the concurrent API must be linearizable to:
// a map in which any present key may disappear at any moment (eviction), and
// nothing else changes on its own. Keys are independent in it, so histories
// are checked per key. Every written value is unique, so a stale or
// resurrected value cannot hide behind an equal one.

type linOp uint8

const (
	linGet linOp = iota
	linContains
	linSet
	linAdd
	linDelete
	linPop
)

var linOpNames = [...]string{"Get", "Contains", "Set", "Add", "Delete", "Pop"}

type linInput struct {
	op  linOp
	key int
	val int // Set, Add
}

type linOutput struct {
	val int  // Get, Pop: the value returned
	ok  bool // found / succeeded / present
}

// linState is one key's state: absent, or present with a value.
type linState struct {
	present bool
	val     int
}

// partitionByKey splits a history into one history per key: both models
// treat keys independently, so each part is checked on its own.
func partitionByKey(key func(input any) int) func([]porcupine.Operation) [][]porcupine.Operation {
	return func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[int][]porcupine.Operation{}
		for _, op := range history {
			k := key(op.Input)
			byKey[k] = append(byKey[k], op)
		}
		parts := make([][]porcupine.Operation, 0, len(byKey))
		for _, p := range byKey {
			parts = append(parts, p)
		}
		return parts
	}
}

var cacheModel = porcupine.Model{
	Partition: partitionByKey(func(in any) int { return in.(linInput).key }),
	Init:      func() any { return linState{} },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(linState), input.(linInput), output.(linOutput)
		absent := linState{}
		switch in.op {
		case linGet:
			if out.ok {
				return s.present && s.val == out.val, s
			}
			return true, absent // absent, or evicted just before
		case linContains:
			if out.ok {
				return s.present, s
			}
			return true, absent
		case linSet:
			return true, linState{true, in.val}
		case linAdd:
			if out.ok {
				return true, linState{true, in.val} // a present key may have been evicted first
			}
			return s.present, s // ErrExists: it was present
		case linDelete:
			if out.ok {
				return s.present, absent
			}
			return true, absent
		case linPop:
			if out.ok {
				return s.present && s.val == out.val, absent
			}
			return true, absent
		}
		return false, s
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(linInput), output.(linOutput)
		return fmt.Sprintf("%s(%d,%d) -> %d,%v", linOpNames[in.op], in.key, in.val, out.val, out.ok)
	},
}

// linCache is the API under test (the real cache, or a broken one).
type linCache interface {
	Get(int) (int, bool)
	Contains(int) bool
	Set(int, int) error
	Add(int, int) error
	Delete(int) bool
	Pop(int) (int, error)
}

// recordClients runs clients goroutines, released together so that they
// overlap, each doing perClient operations with step and a random source of
// its own (seeded by seed and the client's id), and returns the timed
// history. step chooses an operation, calls called just before it calls the
// cache, and returns the operation's input and output. Timestamps come from
// one atomic counter, so real-time order is exact.
func recordClients(seed uint64, clients, perClient int, step func(id, i int, rng *rand.Rand, called func()) (in, out any)) []porcupine.Operation {
	var clock atomic.Int64
	history := make([][]porcupine.Operation, clients)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for id := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rng := rand.New(rand.NewPCG(seed, uint64(id)))
			for i := range perClient {
				var call int64
				in, out := step(id, i, rng, func() { call = clock.Add(1) })
				history[id] = append(history[id], porcupine.Operation{
					ClientId: id, Input: in, Call: call, Output: out, Return: clock.Add(1),
				})
			}
		}()
	}
	close(start)
	wg.Wait()
	var all []porcupine.Operation
	for _, h := range history {
		all = append(all, h...)
	}
	return all
}

// recordHistory runs clients goroutines doing perClient random operations on
// keys 0..keys-1 and returns the timed history (see recordClients).
func recordHistory(t *testing.T, c linCache, seed uint64, clients, perClient, keys int) []porcupine.Operation {
	t.Helper()
	return recordClients(seed, clients, perClient, func(id, i int, rng *rand.Rand, called func()) (any, any) {
		in := linInput{key: rng.IntN(keys), val: id*1_000_000 + i + 1}
		switch p := rng.IntN(100); {
		case p < 35:
			in.op = linGet
		case p < 40:
			in.op = linContains
		case p < 65:
			in.op = linSet
		case p < 77:
			in.op = linAdd
		case p < 89:
			in.op = linDelete
		default:
			in.op = linPop
		}
		called()
		var out linOutput
		switch in.op {
		case linGet:
			out.val, out.ok = c.Get(in.key)
		case linContains:
			out.ok = c.Contains(in.key)
		case linSet:
			out.ok = c.Set(in.key, in.val) == nil
		case linAdd:
			err := c.Add(in.key, in.val)
			if err != nil && !errors.Is(err, concurrent.ErrExists) {
				t.Errorf("Add: %v", err)
			}
			out.ok = err == nil
		case linDelete:
			out.ok = c.Delete(in.key)
		case linPop:
			v, err := c.Pop(in.key)
			out.val, out.ok = v, err == nil
		}
		return in, out
	})
}

// overlapping counts operations whose interval overlaps one of another
// client: the histories are only worth checking if they have many.
func overlapping(ops []porcupine.Operation) int {
	n := 0
	for i, a := range ops {
		for j, b := range ops {
			if i != j && a.ClientId != b.ClientId && a.Call <= b.Return && b.Call <= a.Return {
				n++
				break
			}
		}
	}
	return n
}

// TestLinearizable checks 50 histories of 2,000 operations (4 goroutines x
// 500) over 6 keys in a cache of 3, so that operations collide and entries
// are evicted all the time.
func TestLinearizable(t *testing.T) {
	histories := 50
	if testing.Short() {
		histories = 10
	}
	for _, policy := range []concurrent.Policy{concurrent.LRU, concurrent.LFU} {
		concurrentOps, total := 0, 0
		for h := range histories {
			c, err := concurrent.New(concurrent.Options[int, int]{MaxSize: 3, Policy: policy})
			if err != nil {
				t.Fatal(err)
			}
			ops := recordHistory(t, c, uint64(h), 4, 500, 6)
			_ = c.Close()
			if res := porcupine.CheckOperationsTimeout(cacheModel, ops, 30*time.Second); res != porcupine.Ok {
				t.Fatalf("%v history %d of %d operations: %s", policy, h, len(ops), res)
			}
			concurrentOps += overlapping(ops)
			total += len(ops)
		}
		if concurrentOps == 0 {
			t.Fatalf("%v: no operation overlapped another: the histories test nothing", policy)
		}
		t.Logf("%v: %d histories, %d of %d operations overlapped another client's", policy, histories, concurrentOps, total)
	}
}

// staleCache is deliberately broken: now and then Get returns the value a
// key had before its latest Set, as a cache with a racy read path would.
type staleCache struct {
	*concurrent.Cache[int, int]
	mu   sync.Mutex
	prev map[int]int
	rng  *rand.Rand
}

func (s *staleCache) Set(k, v int) error {
	s.mu.Lock()
	if old, ok := s.Cache.Get(k); ok {
		s.prev[k] = old
	}
	s.mu.Unlock()
	return s.Cache.Set(k, v)
}

func (s *staleCache) Get(k int) (int, bool) {
	s.mu.Lock()
	old, ok := s.prev[k]
	stale := ok && s.rng.IntN(4) == 0
	s.mu.Unlock()
	if stale {
		return old, true
	}
	return s.Cache.Get(k)
}

// TestLinearizabilityCheckerCatchesStaleReads proves the check can fail.
func TestLinearizabilityCheckerCatchesStaleReads(t *testing.T) {
	caught := 0
	for h := range 10 {
		c, err := concurrent.New(concurrent.Options[int, int]{MaxSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		broken := &staleCache{Cache: c, prev: map[int]int{}, rng: rand.New(rand.NewPCG(uint64(h), 1))}
		ops := recordHistory(t, broken, uint64(h), 4, 500, 6)
		_ = c.Close()
		if porcupine.CheckOperationsTimeout(cacheModel, ops, 30*time.Second) == porcupine.Illegal {
			caught++
		}
	}
	if caught != 10 {
		t.Fatalf("the checker caught the stale cache in %d of 10 histories", caught)
	}
}
