package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestZipf checks the generator against the Zipf law 1/(k+1)^θ / ζ(n, θ)
// where Gray et al.'s method is exact (the two most popular ranks; beyond
// them it approximates, as in YCSB and Caffeine, which use the same method),
// that popularity falls with rank, and the range.
func TestZipf(t *testing.T) {
	const n, draws = 1000, 400_000
	z := NewZipf(n, ZipfTheta, rand.New(rand.NewPCG(9, 9)))
	counts := make([]int, n)
	for range draws {
		r := z.Next()
		if r >= n {
			t.Fatalf("rank %d out of [0, %d)", r, n)
		}
		counts[r]++
	}
	zeta := 0.0
	for i := 1; i <= n; i++ {
		zeta += 1 / math.Pow(float64(i), ZipfTheta)
	}
	for k := range 2 {
		want := draws / math.Pow(float64(k+1), ZipfTheta) / zeta
		if got := float64(counts[k]); math.Abs(got-want) > 0.03*want {
			t.Errorf("rank %d drawn %.0f times, Zipf law says %.0f", k, got, want)
		}
	}
	sum := func(from, to int) (s int) {
		for _, c := range counts[from:to] {
			s += c
		}
		return s
	}
	if !(counts[0] > counts[9] && sum(0, 10) > sum(10, 100) && sum(10, 100) > sum(100, 190)) {
		t.Errorf("popularity does not fall with rank: %v ...", counts[:12])
	}
}

func TestWorkloadIsFixed(t *testing.T) {
	a, b := NewWorkload(25), NewWorkload(25)
	if !slices.Equal(a.Keys, b.Keys) || !slices.Equal(a.Writes, b.Writes) {
		t.Fatal("two workloads differ")
	}
	writes := 0
	for _, w := range a.Writes {
		if w {
			writes++
		}
	}
	if f := float64(writes) / WorkloadSize; f < 0.23 || f > 0.27 {
		t.Errorf("%.3f of operations are writes, want about 0.25", f)
	}
	distinct := map[uint64]bool{}
	for _, k := range a.Keys {
		distinct[k] = true
	}
	if len(distinct) > WorkloadItems || len(distinct) < WorkloadItems/4 {
		t.Errorf("%d distinct keys of %d", len(distinct), WorkloadItems)
	}
}

func TestScrambleIsInjective(t *testing.T) {
	seen := map[uint64]bool{}
	for i := range uint64(100_000) {
		k := Scramble(i)
		if seen[k] {
			t.Fatalf("Scramble(%d) repeats a key", i)
		}
		seen[k] = true
	}
}
