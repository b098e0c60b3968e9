package trace

import "testing"

// Hand-checked: a loop over 4 keys with room for 2 keeps 0 and 1 and bypasses
// 2 and 3: hits at positions 4, 5, 8, 9.
func TestOptimalHandChecked(t *testing.T) {
	loop := []uint64{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}
	if got := Optimal(loop, 2); got != 4 {
		t.Fatalf("Optimal(loop, 2) = %d, want 4", got)
	}
	// 1 2 3 1 2 4 1 2 3 at capacity 2: keep 1 and 2 throughout: hits at 3, 4, 6, 7.
	if got := Optimal([]uint64{1, 2, 3, 1, 2, 4, 1, 2, 3}, 2); got != 4 {
		t.Fatalf("got %d, want 4", got)
	}
	// Classic textbook example (7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1, 3 frames):
	// OPT with demand paging takes 9 faults (11 hits); allowed to bypass, it
	// does not admit the first 7 (next used at position 17) and hits once more.
	ref := []uint64{7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1}
	if got := Optimal(ref, 3); got != 12 || bruteOptimal(ref, 3) != 12 {
		t.Fatalf("textbook: got %d, want 12", got)
	}
}
