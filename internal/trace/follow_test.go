package trace

import "testing"

// TestFollowLeader follows runs small enough to check by hand.
func TestFollowLeader(t *testing.T) {
	// Contender 0 leads after the first run (5 against 0), contender 1
	// after the second (5 against 5/2), so the follower takes 5, 0 and 5.
	runs := [][]int{{5, 0, 0}, {0, 5, 5}}
	if hits, switches := FollowLeader(runs, 2); hits != 10 || switches != 1 {
		t.Errorf("FollowLeader(%v, 2) = %d hits, %d switches; want 10, 1", runs, hits, switches)
	}
	// Without decay (d large), contender 0's 5 still ties contender 1's
	// after the second run, and a tie keeps the follower where it is.
	if hits, switches := FollowLeader(runs, 1e18); hits != 5 || switches != 1 {
		t.Errorf("FollowLeader(%v, 1e18) = %d hits, %d switches; want 5, 1", runs, hits, switches)
	}
	// Three contenders: the third leads after the first run (3 against 1
	// and 2), the first after the second (0.95 + 9 against 1.9 and 2.85 +
	// 1), so the follower takes 1, then 1: two switches.
	runs = [][]int{{1, 9}, {2, 0}, {3, 1}}
	if hits, switches := FollowLeader(runs, 20); hits != 2 || switches != 2 {
		t.Errorf("FollowLeader(%v, 20) = %d hits, %d switches; want 2, 2", runs, hits, switches)
	}
	if got := BestOfRuns(runs); got != 12 {
		t.Errorf("BestOfRuns(%v) = %d, want 12", runs, got)
	}
	if h, s := FollowLeader(nil, 20); h != 0 || s != 0 || BestOfRuns(nil) != 0 {
		t.Error("no contenders: want nothing")
	}
}
