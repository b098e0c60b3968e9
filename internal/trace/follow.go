package trace

// BestOfRuns returns the hits of the best contender over each run, added
// up: runs[i][e] is contender i's hits over run e (every contender has the
// same runs). It is what a cache that could become any contender at the
// start of any run, at no cost and in hindsight, would hit.
func BestOfRuns(runs [][]int) int {
	if len(runs) == 0 {
		return 0
	}
	best := 0
	for e := range runs[0] {
		b := 0
		for i := range runs {
			b = max(b, runs[i][e])
		}
		best += b
	}
	return best
}

// FollowLeader returns the hits of a follower of runs (runs[i][e]:
// contender i's hits over run e): over each run it hits as the contender
// whose score led after the run before (the first contender over the first
// run; a tie keeps the one it follows), every score decayed by 1/decay and
// then credited with its contender's hits at the end of each run; and how
// many times it changed contenders. With no margin and no noise test, and
// changing at no cost, it bounds what a controller that switches between
// the contenders on their recent hits could win.
func FollowLeader(runs [][]int, decay float64) (hits, switches int) {
	if len(runs) == 0 {
		return 0, 0
	}
	scores := make([]float64, len(runs))
	cur := 0
	for e := range runs[0] {
		hits += runs[cur][e]
		for i := range runs {
			scores[i] += float64(runs[i][e]) - scores[i]/decay
		}
		// Every score first, then the leader: compared within the loop
		// above, a contender after the followed one would be weighed
		// against the followed one's score of the run before.
		next := cur
		for i := range runs {
			if scores[i] > scores[next] {
				next = i
			}
		}
		if next != cur {
			switches++
		}
		cur = next
	}
	return hits, switches
}
