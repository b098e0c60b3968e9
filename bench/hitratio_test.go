package bench

import (
	"errors"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clientcache/clientcache/internal/trace"
	"github.com/maypok86/otter/v2"
)

// sharedTraceDir returns the shared traces' folder, skipping the test with
// a clear message when it is absent (any other error fails it).
func sharedTraceDir(t *testing.T) string {
	t.Helper()
	dir, err := trace.Dir()
	if errors.Is(err, trace.ErrNoTraces) {
		t.Skipf("skipping: the shared traces are absent (%v); they live in ../shared/traces beside the repository", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func zipfTrace(n int) []uint64 {
	z := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.2, 1, 5000)
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = z.Uint64()
	}
	return keys
}

// TestContendersAreBounded replays a synthetic trace through every cache:
// the bounded ones never hold more than their capacity nor beat Bélády's
// optimum, and clientcache's LRU scores exactly a textbook LRU.
func TestContendersAreBounded(t *testing.T) {
	keys := zipfTrace(20_000)
	const capacity = 100
	row := Measure("zipf", keys, capacity, AllContenders, 3)
	for _, r := range row.Results {
		if r.Err != nil {
			if r.Name == "clientcache-LFU" {
				t.Logf("clientcache-LFU not measured: %v", r.Err)
				continue
			}
			t.Fatalf("%s: %v", r.Name, r.Err)
		}
		wantRuns := 1
		if r.Bounded && randomised[r.Name] {
			wantRuns = 3 // scored by the median of three seeds
		}
		if r.Runs != wantRuns || r.MinHits > r.Hits || r.Hits > r.MaxHits {
			t.Errorf("%s: %d runs (want %d), hits %d not within [%d, %d]", r.Name, r.Runs, wantRuns, r.Hits, r.MinHits, r.MaxHits)
		}
		if !r.Bounded {
			continue
		}
		if r.Peak > capacity {
			t.Errorf("%s: held %d entries, capacity %d", r.Name, r.Peak, capacity)
		}
		if r.Hits > row.Optimal {
			t.Errorf("%s: %d hits, more than the optimum %d", r.Name, r.Hits, row.Optimal)
		}
	}
	if lru, _ := row.Result("clientcache-LRU"); lru.Hits != row.LRU {
		t.Errorf("clientcache LRU %d hits, textbook LRU %d", lru.Hits, row.LRU)
	}
	if _, ok := row.BestBoundedRival(); !ok {
		t.Error("no judged rival measured")
	}
	if best, ok := row.BestBounded(); !ok || best.Hits < row.LRU/2 {
		t.Errorf("best bounded rival %+v", best)
	}
}

// TestMeasureRefusesCapacityBelowOne: at capacity 0, Bélády's optimum and
// the textbook LRU score 0, but clientcache took MaxSize 0 for its default of
// 10 entries and otter for no bound at all, so "bounded" caches scored above
// the optimum; at -1, mutexmap and seedport held one entry. Every contender's
// result is an error naming the capacity instead.
func TestMeasureRefusesCapacityBelowOne(t *testing.T) {
	keys := zipfTrace(2_000)
	for _, capacity := range []int{0, -1} {
		row := Measure("zipf", keys, capacity, AllContenders, 1)
		for _, r := range row.Results {
			if r.Err == nil || !strings.Contains(r.Err.Error(), "capacity") {
				t.Errorf("capacity %d: %s: %d hits (optimum %d), peak %d, error %v; want an error naming the capacity",
					capacity, r.Name, r.Hits, row.Optimal, r.Peak, r.Err)
			}
		}
	}
}

// TestMeasureRefusesAnEmptyTrace: a trace with no accesses scored 0 hits
// everywhere, and cmd/report counted such a point as "clientcache-LFU at or
// above the best bounded rival" (0 >= 0).
func TestMeasureRefusesAnEmptyTrace(t *testing.T) {
	row := Measure("empty", nil, 100, AllContenders, 1)
	for _, r := range row.Results {
		if r.Err == nil || !strings.Contains(r.Err.Error(), "no accesses") {
			t.Errorf("%s: error %v, want one saying the trace has no accesses", r.Name, r.Err)
		}
	}
}

func TestLFUIsDeterministic(t *testing.T) {
	keys := zipfTrace(30_000)
	lfu, _ := Lookup("clientcache-LFU")
	a := Measure("zipf", keys, 200, []Contender{lfu}, 3)
	if a.Results[0].Err != nil {
		t.Skipf("skipping: clientcache-LFU cannot be built: %v", a.Results[0].Err)
	}
	b := Measure("zipf", keys, 200, []Contender{lfu}, 3)
	if a.Results[0].Hits != b.Results[0].Hits {
		t.Fatalf("two runs: %d and %d hits", a.Results[0].Hits, b.Results[0].Hits)
	}
}

// TestHitRatioSlice runs the real comparison on a small slice of it (the
// Glimpse trace; under -short at one capacity) and prints the table.
func TestHitRatioSlice(t *testing.T) {
	dir := sharedTraceDir(t)
	jobs := Jobs([]string{"gli"})
	if testing.Short() {
		jobs = jobs[2:3] // 1,000 entries
	}
	rows, err := Run(dir, jobs, Contenders, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		for _, x := range r.Results {
			if x.Err == nil && x.Bounded && x.Hits > r.Optimal {
				t.Errorf("%s@%d: %s scored %d hits, above the optimum %d", r.Trace, r.Capacity, x.Name, x.Hits, r.Optimal)
			}
		}
	}
	var out bytesWriter
	WriteTable(&out, rows)
	t.Log("\n" + string(out))
}

// TestWriteTableWithoutRivals: a row measured without rivals (cmd/hitratio
// -rivals=false) says n/a in the rival's columns; its hit ratio read 0.00.
func TestWriteTableWithoutRivals(t *testing.T) {
	row := Row{Trace: "t", Capacity: 10, Accesses: 100, Optimal: 50, LRU: 40, Results: []Result{
		{Name: "clientcache-LRU", Hits: 40, Runs: 1, Bounded: true},
		{Name: "clientcache-LFU", Hits: 45, Runs: 1, Bounded: true},
	}}
	var out bytesWriter
	WriteTable(&out, []Row{row})
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	cols := strings.Split(lines[len(lines)-1], "|")
	if len(cols) < 5 || strings.Fields(cols[4])[0] != "n/a" || strings.Contains(cols[4], "0.00") {
		t.Fatalf("the rival's columns of a row without rivals: %q, want n/a\n%s", cols[4], out)
	}
	if !strings.Contains(cols[3], "45.00") {
		t.Fatalf("LFU's column %q, want 45.00", cols[3])
	}
}

type bytesWriter []byte

func (w *bytesWriter) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }

// TestBestSelectors: each selector keeps its own set of results, skips
// those that could not be built, ranks by its own score and keeps the first
// of equals.
func TestBestSelectors(t *testing.T) {
	row := Row{Results: []Result{
		{Name: "clientcache-LFU", Hits: 99, MaxHits: 99, Bounded: true}, // not a rival
		{Name: "broken", Hits: 98, MaxHits: 98, Bounded: true, Rival: true, Judged: true, Err: errors.New("no")},
		{Name: "arc", Hits: 50, MaxHits: 50, Bounded: true, Rival: true, Judged: true},
		{Name: "otter", Hits: 50, MaxHits: 60, Bounded: true, Rival: true, Judged: true}, // ties arc's median, best draw
		{Name: "2q", Hits: 55, MaxHits: 55, Bounded: true, Rival: true},                  // not judged
		{Name: "otter-unbounded", Hits: 90, MaxHits: 90, Rival: true},                    // not bounded
	}}
	for _, tc := range []struct {
		name string
		got  func() (Result, bool)
		want string
	}{
		{"BestBoundedRival", row.BestBoundedRival, "arc"},
		{"BestBounded", row.BestBounded, "2q"},
		{"BestBoundedDraw", row.BestBoundedDraw, "otter"},
	} {
		if got, ok := tc.got(); !ok || got.Name != tc.want {
			t.Errorf("%s = %q, %v; want %q", tc.name, got.Name, ok, tc.want)
		}
	}
	if _, ok := (Row{Results: row.Results[:2]}).BestBounded(); ok {
		t.Error("BestBounded found a rival among a non-rival and a broken one")
	}
}

// TestARCOvershootsByOne pins what kv.go says of golang-lru's ARC: replayed
// on OLTP at 8 and 64 entries it holds one entry more than its size (and
// never more than that), so the "bounded" ARC figures there come from a
// cache one entry larger than the others.
func TestARCOvershootsByOne(t *testing.T) {
	dir := sharedTraceDir(t)
	f, _ := trace.Lookup("oltp")
	keys, err := f.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	arc, ok := Lookup("ARC")
	if !ok {
		t.Fatal("no contender ARC")
	}
	for _, c := range []int{8, 64} {
		r := Measure("oltp", keys, c, []Contender{arc}, 1).Results[0]
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if r.Peak != c+1 {
			t.Errorf("oltp@%d: ARC held at most %d entries, want %d (kv.go's note on ARC is out of date)", c, r.Peak, c+1)
		}
	}
}

// countingCache is a Cache for TestBackgroundContendersAreReplayedAlone:
// an LRU that counts, in active, the replays of foreground contenders under
// way, and records in overlapped whether a background one ever replayed
// beside one.
type countingCache struct {
	lru        *trace.LRU
	background bool
	active     *atomic.Int32
	overlapped *atomic.Bool
}

func (c *countingCache) Get(k uint64) bool {
	if c.background && c.active.Load() != 0 {
		c.overlapped.Store(true)
	}
	return c.lru.Access(k)
}
func (c *countingCache) Set(uint64) {}
func (c *countingCache) Peak() int  { return 0 }
func (c *countingCache) Close() {
	if !c.background {
		c.active.Add(-1)
	}
}

// TestBackgroundContendersAreReplayedAlone: ristretto applies the reads it
// records on a goroutine of its own and drops them when that goroutine
// lags, so replayed beside GOMAXPROCS busy replays its bounded figures were
// lower than alone (found by a review helper). A contender marked
// Background is replayed after the others, one replay at a time, and its
// result keeps its place among the contenders.
func TestBackgroundContendersAreReplayedAlone(t *testing.T) {
	dir := sharedTraceDir(t)
	var active atomic.Int32
	var overlapped atomic.Bool
	fake := func(name string, bg bool) Contender {
		return Contender{Name: name, Bounded: true, Background: bg, New: func(n int) (Cache, error) {
			if !bg {
				active.Add(1)
			}
			return &countingCache{lru: trace.NewLRU(n), background: bg, active: &active, overlapped: &overlapped}, nil
		}}
	}
	contenders := []Contender{fake("a", false), fake("bg", true), fake("b", false)}
	if c, ok := Lookup("ristretto"); !ok || !c.Background {
		t.Error("ristretto is not marked Background")
	}
	jobs := Jobs([]string{"gli", "cs"})
	rows, err := Run(dir, jobs, contenders, 1)
	if err != nil {
		t.Fatal(err)
	}
	if overlapped.Load() {
		t.Error("a background contender was replayed while another replay was under way")
	}
	for _, r := range rows {
		if len(r.Results) != 3 || r.Results[0].Name != "a" || r.Results[1].Name != "bg" || r.Results[2].Name != "b" {
			t.Fatalf("%s@%d: results %v, want a, bg, b in that order", r.Trace, r.Capacity, r.Results)
		}
		if r.Results[1].Hits != r.LRU {
			t.Errorf("%s@%d: the background contender (an LRU) hit %d times, want the LRU's %d", r.Trace, r.Capacity, r.Results[1].Hits, r.LRU)
		}
	}
}

// TestCheckLabels: cmd/hitratio and cmd/report refuse a -traces label that
// names no trace (cmd/hitratio printed an empty table for it).
func TestCheckLabels(t *testing.T) {
	if err := CheckLabels([]string{"gli", "p3"}); err != nil {
		t.Fatal(err)
	}
	if err := CheckLabels([]string{"gli", "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("CheckLabels(gli, nope) = %v, want an error naming nope", err)
	}
}

// TestCheckLabelsRefusesFileNames: trace.Lookup finds a trace by its file
// name too, but Jobs selects by short name, so `hitratio -traces
// lirs-gli.trace.gz` passed the check and printed "0 rows", and cmd/report
// wrote an empty hit-ratio section over the last one.
func TestCheckLabelsRefusesFileNames(t *testing.T) {
	if err := CheckLabels([]string{"gli", "oltp"}); err != nil {
		t.Fatalf("short names: %v", err)
	}
	for _, bad := range []string{"lirs-gli.trace.gz", "nosuch", ""} {
		if err := CheckLabels([]string{bad}); err == nil {
			t.Errorf("CheckLabels(%q) accepted a name that Jobs selects nothing with (%d jobs)", bad, len(Jobs([]string{bad})))
		}
	}
}

// TestBoundedOtterAppliesItsReads: the bounded otter of the hit-ratio
// table must score as otter does when every read it records is applied (its
// maintenance run on the caller); with the default executor its reads were
// dropped while the drain goroutine it had started was pending, and its runs
// fell wholly below those of the same cache with maintenance inline.
func TestBoundedOtterAppliesItsReads(t *testing.T) {
	if testing.Short() {
		t.Skip("replays two traces ten times")
	}
	dir := sharedTraceDir(t)
	otterC, _ := Lookup("otter")
	for _, p := range []struct {
		label string
		cap   int
	}{{"gli", 500}, {"cs", 1000}} {
		f, _ := trace.Lookup(p.label)
		keys, err := f.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		got := measureOne(keys, p.cap, otterC, 5)
		ref := measureOne(keys, p.cap, otterApplyingEveryRead(), 5)
		pc := func(h int) float64 { return trace.Percent(h, len(keys)) }
		if got.MaxHits < ref.MinHits {
			t.Errorf("%s@%d: bounded otter runs %.2f..%.2f (median %.2f), all below otter applying every read %.2f..%.2f (median %.2f)",
				p.label, p.cap, pc(got.MinHits), pc(got.MaxHits), pc(got.Hits), pc(ref.MinHits), pc(ref.MaxHits), pc(ref.Hits))
		}
	}
}

// otterApplyingEveryRead is otter with its maintenance on the caller (a
// synchronous Executor), built here apart from the contenders.
func otterApplyingEveryRead() Contender {
	return Contender{Name: "otter-inline", Bounded: true, Rival: true, Random: true,
		New: func(n int) (Cache, error) {
			c, err := otter.New(&otter.Options[uint64, uint64]{MaximumSize: n, Executor: func(fn func()) { fn() }})
			if err != nil {
				return nil, err
			}
			return &replayed{kv: otterKV{c}, sync: true}, nil
		}}
}
