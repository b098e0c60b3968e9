package admission_test

import (
	"fmt"
	"hash/fnv"

	"github.com/clientcache/clientcache/admission"
)

// hash is the caller's 64-bit hash of a key. Any good hash will do; FNV-1a
// keeps these examples' output the same on every run. (A cache would rather
// use a seeded hash such as hash/maphash, and a random sketch seed.)
func hash(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}

// A TinyLFU admission contest: when a full cache must choose between a new
// key and the key it would evict, it keeps the one the sketch estimates
// more frequent.
func Example() {
	s := admission.New(100, 1) // sized for a cache of 100 entries; seed 1
	for range 5 {
		s.Increment(hash("s3/eu-west-1"))
	}
	s.Increment(hash("sts/us-east-1"))

	candidate, victim := hash("s3/eu-west-1"), hash("sts/us-east-1")
	admit := s.Frequency(candidate) > s.Frequency(victim)
	fmt.Println("candidate:", s.Frequency(candidate), "victim:", s.Frequency(victim), "admit:", admit)
	// Output: candidate: 5 victim: 1 admit: true
}

// Aging halves every counter, so that old popularity fades. The sketch
// ages by itself after SampleSize increments; Age does it at once.
func ExampleSketch_Age() {
	s := admission.New(100, 1)
	for range 7 {
		s.Increment(hash("dynamodb"))
	}
	fmt.Println("before:", s.Frequency(hash("dynamodb")))
	s.Age()
	fmt.Println("after:", s.Frequency(hash("dynamodb")))
	// Output:
	// before: 7
	// after: 3
}

// With a doorkeeper, a key's first occurrence in a sample sets bits in a
// small Bloom filter instead of counters: keys seen once take up no
// counters. The estimate counts the doorkeeper's one, until the sketch ages
// and the doorkeeper forgets.
func ExampleNewWithDoorkeeper() {
	s := admission.NewWithDoorkeeper(100, 1)
	s.Increment(hash("once"))
	for range 3 {
		s.Increment(hash("thrice"))
	}
	fmt.Println("once:", s.Frequency(hash("once")), "thrice:", s.Frequency(hash("thrice")))
	s.Age()
	fmt.Println("once:", s.Frequency(hash("once")), "thrice:", s.Frequency(hash("thrice")))
	// Output:
	// once: 1 thrice: 3
	// once: 0 thrice: 1
}

// A caller that counts the same keys again and again can spare the
// doorkeeper's probes: it remembers the DoorEpoch in which it last counted
// a key, and while the epoch has not changed counts the key again with
// IncrementSeen. An increment may end a sample, and the aging empties the
// doorkeeper of the key just counted too: the epoch is remembered only if
// the increment left it as it was.
func ExampleSketch_IncrementSeen() {
	s := admission.NewWithDoorkeeper(1, 1) // a sample of 10 increments
	seen := map[string]uint64{}            // key -> DoorEpoch of its last count
	count := func(key string) {
		epoch := s.DoorEpoch()
		if e, ok := seen[key]; ok && e == epoch {
			s.IncrementSeen(hash(key))
		} else {
			s.Increment(hash(key))
		}
		if s.DoorEpoch() == epoch {
			seen[key] = epoch
		} else {
			delete(seen, key) // that count ended a sample
		}
	}
	plain := admission.NewWithDoorkeeper(1, 1) // counted with Increment alone
	for i := range 40 {
		key := "kms"
		if i%3 == 1 {
			key = fmt.Sprint("k", i%5)
		}
		count(key)
		plain.Increment(hash(key))
	}
	fmt.Println("kms:", s.Frequency(hash("kms")), "with Increment alone:", plain.Frequency(hash("kms")))
	fmt.Println("additions:", s.Additions(), "with Increment alone:", plain.Additions())
	// Output:
	// kms: 9 with Increment alone: 9
	// additions: 8 with Increment alone: 8
}
