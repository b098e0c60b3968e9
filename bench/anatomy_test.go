package bench

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clientcache/clientcache/internal/trace"
)

// keepAll and keepNone are caches for tests: one holds every key it is
// given, the other none.
type keepAll map[uint64]bool

func (c keepAll) Get(k uint64) bool { return c[k] }
func (c keepAll) Set(k uint64)      { c[k] = true }
func (c keepAll) Peak() int         { return len(c) }
func (c keepAll) Close()            {}

type keepNone struct{}

func (keepNone) Get(uint64) bool { return false }
func (keepNone) Set(uint64)      {}
func (keepNone) Peak() int       { return 0 }
func (keepNone) Close()          {}

// TestCompareHitsClasses checks the classes on a trace small enough to count
// by hand: a cache that keeps every key against one that keeps none, so
// that every repeated request is a hit of the first alone.
func TestCompareHitsClasses(t *testing.T) {
	all := Contender{Name: "all", New: func(int) (Cache, error) { return keepAll{}, nil }}
	none := Contender{Name: "none", New: func(int) (Cache, error) { return keepNone{}, nil }}
	// Repeats: request 2 (key 1, once before, 2 requests since), request 4
	// (key 1, twice before, 2 since), request 5 (key 2, once before, 4
	// since), request 6 (key 1, 3 times before, 2 since).
	keys := []uint64{1, 2, 1, 3, 1, 2, 1}
	an, err := CompareHits("hand", keys, 4, all, none)
	if err != nil {
		t.Fatal(err)
	}
	if an.Hits != [2]int{4, 0} || an.OnlyHits != [2]int{4, 0} || an.Accesses != 7 {
		t.Fatalf("hits %v, only %v, accesses %d; want [4 0], [4 0], 7", an.Hits, an.OnlyHits, an.Accesses)
	}
	// 7 requests are one run, shorter than AnatomyMinRun.
	if an.RunLength != AnatomyMinRun || !slices.Equal(an.ByRun[0], []int{4}) || !slices.Equal(an.ByRun[1], []int{0}) {
		t.Errorf("runs of %d: %v, want runs of %d: [[4] [0]]", an.RunLength, an.ByRun, AnatomyMinRun)
	}
	wantPrior := make([][2]int, AnatomyMaxPrior+1)
	wantPrior[1], wantPrior[2], wantPrior[3] = [2]int{2, 0}, [2]int{1, 0}, [2]int{1, 0}
	if !slices.Equal(an.ByPrior, wantPrior) {
		t.Errorf("by prior requests %v, want %v", an.ByPrior, wantPrior)
	}
	// Capacity 4: a distance of 2 is above 1/4 x 4 and at most 1/2 x 4
	// (class 3, 1/4 to 1/2 of the capacity), 4 is at most 1 x 4 (class 4).
	wantDist := make([][2]int, len(AnatomyDistances)+1)
	wantDist[3], wantDist[4] = [2]int{3, 0}, [2]int{1, 0}
	if !slices.Equal(an.ByDistance, wantDist) {
		t.Errorf("by distance %v, want %v", an.ByDistance, wantDist)
	}
	var b bytes.Buffer
	an.Write(&b)
	for _, want := range []string{"only all hit 4, only none hit 0", "| 3 | 1 | 0 |", "| 1/4 to 1/2 | 3 | 0 |", "| 1/2 to 1 | 1 | 0 |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
	if _, err := CompareHits("hand", keys, 0, all, none); err == nil || !strings.Contains(err.Error(), "capacity 0") {
		t.Errorf("capacity 0: error %v, want one naming the capacity", err)
	}
}

// TestAnatomyFollow checks Best and Follow on runs small enough to follow by
// hand, and that CompareHits cuts a trace into runs of the capacity.
func TestAnatomyFollow(t *testing.T) {
	// The first cache leads the first run (10 against 0); the second leads
	// the scores after the second (10 x 19/20 = 9.5 against 20), so the
	// follower takes 10, 0 and 20: one switch.
	an := Anatomy{ByRun: [2][]int{{10, 0, 0}, {0, 20, 20}}}
	if got := an.Best(); got != 50 {
		t.Errorf("Best = %d, want 50", got)
	}
	if hits, switches := an.Follow(); hits != 30 || switches != 1 {
		t.Errorf("Follow = %d hits, %d switches; want 30, 1", hits, switches)
	}
	// Starting as the second cache, the follower takes its 0 over the
	// first run, moves to the first cache (10 against 0) for its 0 over
	// the second, and back (9.5 against 20) for the third run's 20.
	if hits, switches := an.FollowSecond(); hits != 20 || switches != 2 {
		t.Errorf("FollowSecond = %d hits, %d switches; want 20, 2", hits, switches)
	}
	// A tie keeps the follower where it is.
	an.ByRun = [2][]int{{5, 5}, {5, 5}}
	if hits, switches := an.Follow(); hits != 10 || switches != 0 {
		t.Errorf("Follow on ties = %d hits, %d switches; want 10, 0", hits, switches)
	}
	all := Contender{Name: "all", New: func(int) (Cache, error) { return keepAll{}, nil }}
	none := Contender{Name: "none", New: func(int) (Cache, error) { return keepNone{}, nil }}
	keys := make([]uint64, 250)
	for i := range keys {
		keys[i] = uint64(i % 50) // 50 first requests, then 200 repeats
	}
	got, err := CompareHits("cycle", keys, 120, all, none)
	if err != nil {
		t.Fatal(err)
	}
	if want := [2][]int{{70, 120, 10}, {0, 0, 0}}; got.RunLength != 120 || !slices.Equal(got.ByRun[0], want[0]) || !slices.Equal(got.ByRun[1], want[1]) {
		t.Errorf("runs of %d: %v, want runs of 120: %v", got.RunLength, got.ByRun, want)
	}
}

// TestCompareHitsAddsUp replays a synthetic trace through clientcache's LFU
// and ARC, both deterministic: each one's hits are those Measure counts,
// and the classes add up to the requests only one of them hit.
func TestCompareHitsAddsUp(t *testing.T) {
	keys := zipfTrace(20_000)
	const capacity = 200
	lfu, _ := Lookup("clientcache-LFU")
	arc, _ := Lookup("ARC")
	an, err := CompareHits("zipf", keys, capacity, lfu, arc)
	if err != nil {
		t.Fatal(err)
	}
	row := Measure("zipf", keys, capacity, []Contender{lfu, arc}, 1)
	for i, r := range row.Results {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Name, r.Err)
		}
		if an.Hits[i] != r.Hits {
			t.Errorf("%s: %d hits side by side, %d alone", r.Name, an.Hits[i], r.Hits)
		}
	}
	if an.Hits[0]-an.Hits[1] != an.OnlyHits[0]-an.OnlyHits[1] {
		t.Errorf("hits %v but only-hits %v", an.Hits, an.OnlyHits)
	}
	for _, classes := range [][][2]int{an.ByPrior, an.ByDistance} {
		var sum [2]int
		for _, c := range classes {
			sum[0], sum[1] = sum[0]+c[0], sum[1]+c[1]
		}
		if sum != an.OnlyHits {
			t.Errorf("classes %v add up to %v, want %v", classes, sum, an.OnlyHits)
		}
	}
	if an.ByPrior[0] != [2]int{} {
		t.Errorf("%v hits on keys never requested before", an.ByPrior[0])
	}
}

// TestGapAnatomy prints, for each trace@capacity:rival of CLIENTCACHE_GAP
// (semicolon-separated, e.g. "web07@5000:ARC;cpp@250:theine"), the anatomy
// of clientcache-LFU's difference from that contender (see CompareHits). A
// development aid.
func TestGapAnatomy(t *testing.T) {
	spec := os.Getenv("CLIENTCACHE_GAP")
	if spec == "" {
		t.Skip("set CLIENTCACHE_GAP=trace@capacity:contender[;...] to compare clientcache-LFU with a contender request by request")
	}
	dir := sharedTraceDir(t)
	lfu, _ := Lookup("clientcache-LFU")
	for _, item := range strings.Split(spec, ";") {
		row, rival, ok := strings.Cut(item, ":")
		name, capText, ok2 := strings.Cut(row, "@")
		c, err := strconv.Atoi(capText)
		if !ok || !ok2 || err != nil {
			t.Fatalf("CLIENTCACHE_GAP: %q is not trace@capacity:contender", item)
		}
		other, found := Lookup(rival)
		if !found {
			t.Fatalf("CLIENTCACHE_GAP: no contender %q", rival)
		}
		f, found := trace.Lookup(name)
		if !found {
			t.Fatalf("CLIENTCACHE_GAP: no trace %q", name)
		}
		keys, err := f.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		an, err := CompareHits(f.Label, keys, c, lfu, other)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		an.Write(&b)
		t.Log("\n" + b.String())
	}
}
