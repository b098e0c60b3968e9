package main

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The README's first command runs this program; keep it working.
func TestRunSmallWorkload(t *testing.T) {
	for _, policy := range []string{"LRU", "LFU"} {
		if err := run(50, 8, 4, 4000, 1.2, policy); err != nil {
			t.Fatalf("%s: %v", policy, err)
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	if err := run(50, 8, 4, 4000, 1.2, "FIFO"); err == nil {
		t.Fatal("an unknown policy must be an error")
	}
	if err := run(0, 8, 4, 4000, 1.2, "LRU"); err == nil {
		t.Fatal("zero tenants must be an error")
	}
	if err := run(50, -1, 4, 4000, 1.2, "LRU"); err == nil {
		t.Fatal("a negative size must be an error")
	}
}
