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
	// The leader is chosen on every score of the run just ended: the
	// follower on contender 1 compared contender 0's new score with
	// contender 1's of the run before (found by a review helper). Run 0:
	// scores 0 and 10, contender 1 leads; run 1: 6 and 5, contender 0 leads
	// and the follower takes its 10 over run 2.
	runs = [][]int{{0, 6, 10}, {10, 0, 0}}
	if hits, switches := FollowLeader(runs, 2); hits != 10 || switches != 2 {
		t.Errorf("FollowLeader(%v, 2) = %d hits, %d switches; want 10, 2", runs, hits, switches)
	}
	// A tie of the new scores (12 and 12) keeps contender 1.
	runs = [][]int{{0, 12, 0}, {10, 7, 7}}
	if hits, switches := FollowLeader(runs, 2); hits != 14 || switches != 1 {
		t.Errorf("FollowLeader(%v, 2) = %d hits, %d switches; want 14, 1", runs, hits, switches)
	}
	if h, s := FollowLeader(nil, 20); h != 0 || s != 0 || BestOfRuns(nil) != 0 {
		t.Error("no contenders: want nothing")
	}
}
