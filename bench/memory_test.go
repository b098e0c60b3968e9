package bench

import "testing"

// TestMeasureMemory checks the measurement on small caches: every cache
// holds what it was given and takes some memory for it. (The published
// figures come from cmd/report, each cache in its own process.)
func TestMeasureMemory(t *testing.T) {
	const n = 2_000
	for _, k := range append(Kinds[:len(Kinds):len(Kinds)], Ceiling) {
		m, err := MeasureMemory(k.Name, n)
		if err != nil {
			t.Fatal(err)
		}
		if m.Held < n/2 || m.Held > n || m.Bytes <= 0 {
			t.Errorf("%s: held %d of %d in %d bytes", k.Name, m.Held, n, m.Bytes)
		}
		t.Logf("%-16s held %5d  %7.1f B/entry", k.Name, m.Held, m.PerHeld)
	}
}

// TestMemoryRistrettoHoldsEveryEntry (a review finding): MeasureMemory wrote N keys into a
// cache of capacity N in a tight loop, faster than ristretto's buffer took
// them, so ristretto dropped a varying share (published: holds 39978 of 100k,
// 404809 of 1M) and its bytes, sketch sized for N included, were divided by
// that: its figure depended on the machine's load, which RESULTS.md says
// memory figures do not. MeasureMemory now applies buffered writes every
// syncEvery writes.
func TestMemoryRistrettoHoldsEveryEntry(t *testing.T) {
	const n = 100_000
	m, err := MeasureMemory("ristretto", n)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ristretto: held %d of %d, %.1f B per entry held", m.Held, m.N, m.PerHeld)
	if m.Held != n {
		t.Errorf("ristretto holds %d of the %d entries it was given", m.Held, n)
	}
}
