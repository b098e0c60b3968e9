package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/clientcache/clientcache/bench"
)

// memoryChild measures one cache in this (fresh) process: spec is NAME:N.
func memoryChild(spec string) error {
	name, n, ok := strings.Cut(spec, ":")
	if !ok {
		return fmt.Errorf("-memory-child %q: want NAME:N", spec)
	}
	size, err := strconv.Atoi(n)
	if err != nil {
		return fmt.Errorf("-memory-child %q: %w", spec, err)
	}
	if size < 1 {
		// MeasureMemory writes keys 0 .. uint64(N)-1: a negative N wrapped
		// round to 2^64 and the child wrote keys until it ran out of memory.
		return fmt.Errorf("-memory-child %q: N must be at least 1", spec)
	}
	m, err := bench.MeasureMemory(name, size)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(m)
}

func runMemory(cfg config, s *section) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	kinds := append(bench.Kinds[:len(bench.Kinds):len(bench.Kinds)], bench.Ceiling)
	res := map[string]map[int]bench.Memory{}
	total, done := len(kinds)*len(bench.MemorySizes), 0
	for _, k := range kinds {
		res[k.Name] = map[int]bench.Memory{}
		for _, n := range bench.MemorySizes {
			done++
			progress("memory", "%d/%d %s with %d entries (fresh process)", done, total, k.Name, n)
			out, err := exec.Command(self, "-memory-child", fmt.Sprintf("%s:%d", k.Name, n)).Output()
			if err != nil {
				return fmt.Errorf("%s at %d: %w", k.Name, n, err)
			}
			var m bench.Memory
			if err := json.Unmarshal(out, &m); err != nil {
				return fmt.Errorf("%s at %d: %w", k.Name, n, err)
			}
			res[k.Name][n] = m
		}
	}

	s.printf("## Memory per entry\n\n")
	s.printf("Each cache, in a fresh process, is built with capacity N and given N distinct uint64 keys with uint64 values; buffered writes are applied (Sync/CleanUp/Wait), ")
	s.printf("then the growth of the live heap (`runtime.MemStats.HeapAlloc` after two `runtime.GC()`) since before the cache was built is divided by the entries the cache holds. ")
	s.printf("It includes everything the cache allocates: map, nodes, policy lists, read buffers and frequency sketches (ristretto's are sized 10× the capacity, as its documentation asks). ")
	s.printf("Where a cache holds fewer entries than it was given, the count held is shown.\n\n")
	s.printf("| cache |")
	for _, n := range bench.MemorySizes {
		s.printf(" N = %s: bytes/entry |", human(n))
	}
	s.printf("\n|---|")
	for range bench.MemorySizes {
		s.printf("---:|")
	}
	s.printf("\n")
	for _, k := range kinds {
		s.printf("| %s |", k.Name)
		for _, n := range bench.MemorySizes {
			m := res[k.Name][n]
			v := fmt.Sprintf("%.1f", m.PerHeld)
			if m.Held != m.N {
				v += fmt.Sprintf(" (holds %d)", m.Held)
			}
			s.printf(" %s |", v)
		}
		s.printf("\n")
	}
	s.printf("\n")
	memoryGoals(s, res)
	return nil
}

// memoryGoals judges clientcache's bytes per entry against otter's, from the
// measurements res (by cache, then by N).
func memoryGoals(s *section, res map[string]map[int]bench.Memory) {
	for _, cc := range []string{"clientcache-LRU", "clientcache-LFU"} {
		var figs []string
		ok := true
		for _, n := range bench.MemorySizes {
			a, o := res[cc][n], res["otter"][n]
			// A cache that holds no entry (or was not measured) has no
			// bytes per entry, shown as 0: that is no figure to meet a goal.
			ok = ok && a.Held > 0 && o.Held > 0 && a.PerHeld <= o.PerHeld
			fig := fmt.Sprintf("N=%s: %.1f vs %.1f B", human(n), a.PerHeld, o.PerHeld)
			if a.Held != n {
				fig += fmt.Sprintf(" (%s holds %d)", cc, a.Held)
			}
			figs = append(figs, fig)
		}
		s.goal(fmt.Sprintf("Memory: %s per entry at or below otter's", cc), met(ok), strings.Join(figs, "; "))
	}
}

func human(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1_000 && n%1_000 == 0:
		return fmt.Sprintf("%dk", n/1_000)
	}
	return strconv.Itoa(n)
}
