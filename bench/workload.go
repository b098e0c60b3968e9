package bench

import (
	"math"
	"math/rand/v2"
)

// The throughput workload follows Caffeine's GetPutBenchmark: a stream of
// WorkloadSize keys drawn from a scrambled Zipf distribution over
// WorkloadItems distinct keys, every key of the stream stored before the
// clock starts in a cache of WorkloadCapacity entries (so that reads hit and
// nothing is evicted), and goroutines walking the stream from different
// offsets.
const (
	WorkloadSize     = 1 << 15
	WorkloadItems    = WorkloadSize / 3
	WorkloadCapacity = 2 * WorkloadSize
	// ZipfTheta is YCSB's and Caffeine's default skew.
	ZipfTheta = 0.99
)

// Mixes are the read percentages of the throughput benchmark: 100/0, 75/25,
// 50/50 and 0/100.
var Mixes = []int{100, 75, 50, 0}

// Workload is a key stream and, for each position, whether the operation
// there is a write (a Set of that key) or a read (a Get).
type Workload struct {
	Keys   []uint64
	Writes []bool
}

// NewWorkload returns the stream of WorkloadSize keys with writePercent
// percent of writes spread at random, both from fixed seeds: every cache and
// every run sees the same operations.
func NewWorkload(writePercent int) Workload {
	z := NewZipf(WorkloadItems, ZipfTheta, rand.New(rand.NewPCG(1, 2)))
	coin := rand.New(rand.NewPCG(3, 4))
	w := Workload{Keys: make([]uint64, WorkloadSize), Writes: make([]bool, WorkloadSize)}
	for i := range w.Keys {
		w.Keys[i] = Scramble(z.Next())
		w.Writes[i] = coin.IntN(100) < writePercent
	}
	return w
}

// Scramble maps a Zipf rank to a key with a bijective 64-bit mixer (the
// finaliser of SplitMix64), so that popular keys are spread over the hash
// space rather than clustered at small integers.
func Scramble(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Zipf draws ranks in [0, n) with probability proportional to 1/(rank+1)^θ,
// for 0 < θ < 1 (which math/rand's Zipf does not cover).
//
// Reference: J. Gray, P. Sundaresan, S. Englert, K. Baclawski, P. J.
// Weinberger, "Quickly Generating Billion-Record Synthetic Databases",
// SIGMOD 1994 (the generator YCSB and Caffeine use). It is exact for the two
// most popular ranks and approximates the law beyond them.
type Zipf struct {
	n                   float64
	theta, alpha, eta   float64
	zetaN, halfPowTheta float64
	rng                 *rand.Rand
}

// NewZipf returns a generator over n ranks with skew theta.
func NewZipf(n int, theta float64, rng *rand.Rand) *Zipf {
	zeta := func(m int) float64 {
		s := 0.0
		for i := 1; i <= m; i++ {
			s += 1 / math.Pow(float64(i), theta)
		}
		return s
	}
	z := &Zipf{n: float64(n), theta: theta, rng: rng, zetaN: zeta(n)}
	z.alpha = 1 / (1 - theta)
	z.eta = (1 - math.Pow(2/z.n, 1-theta)) / (1 - zeta(2)/z.zetaN)
	z.halfPowTheta = 1 + math.Pow(0.5, theta)
	return z
}

// Next returns the next rank, 0 the most popular.
func (z *Zipf) Next() uint64 {
	u := z.rng.Float64()
	uz := u * z.zetaN
	switch {
	case uz < 1:
		return 0
	case uz < z.halfPowTheta:
		return 1
	}
	r := uint64(z.n * math.Pow(z.eta*u-z.eta+1, z.alpha))
	return min(r, uint64(z.n)-1)
}
