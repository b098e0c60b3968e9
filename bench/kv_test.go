package bench

import "testing"

// TestLenCountsEveryStoredEntry: Len, from which the peak sizes of the
// unbounded rivals are taken, counts an entry from the moment Set returns,
// in every cache that stores a write before Set returns (all but ristretto,
// which stores it only when it applies its buffer). theine's EstimatedSize
// counts only the entries its policy goroutine has seen, which is never
// more than the maximum, so a theine that held more showed a peak of exactly
// its maximum.
func TestLenCountsEveryStoredEntry(t *testing.T) {
	const n = 1000
	for _, k := range append(Kinds[:len(Kinds):len(Kinds)], Ceiling) {
		if k.Name == "ristretto" {
			continue
		}
		c, err := k.New(100 * n) // nothing is evicted
		if err != nil {
			t.Fatal(err)
		}
		wrong := 0
		for i := range uint64(n) {
			c.Set(Scramble(i), i)
			if c.Len() != int(i)+1 {
				wrong++
			}
		}
		c.Close()
		if wrong > 0 {
			t.Errorf("%s: Len missed entries already stored after %d of %d Sets", k.Name, wrong, n)
		}
	}
}
