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
