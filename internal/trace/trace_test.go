package trace

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func scanAll(t *testing.T, in []byte, f Format) ([]uint64, error) {
	t.Helper()
	return collect(NewScanner(bytes.NewReader(in), f))
}

func TestScanFormats(t *testing.T) {
	be64 := binary.BigEndian.AppendUint64(nil, 1)
	be64 = binary.BigEndian.AppendUint64(be64, 1<<63+5)
	be32 := binary.BigEndian.AppendUint32(nil, 7)
	be32 = binary.BigEndian.AppendUint32(be32, 1<<32-1)
	for _, tc := range []struct {
		name   string
		format Format
		in     string
		want   []uint64
	}{
		{"arc runs", ARC, "10 3 0 1\n5 1 0 2\n", []uint64{10, 11, 12, 5}},
		{"arc blank lines and no final newline", ARC, "\n7 2 9 1\n\n1 1 0 2", []uint64{7, 8, 1}},
		{"arc zero count", ARC, "3 0 0 1\n4 1 0 2\n", []uint64{4}},
		{"arc up to 2^64-1", ARC, "18446744073709551614 2 0 1\n", []uint64{1<<64 - 2, 1<<64 - 1}},
		{"arc crlf", ARC, "3 2 0 1\r\n", []uint64{3, 4}},
		{"lirs", LIRS, "1\n2\n3\n2\n", []uint64{1, 2, 3, 2}},
		{"lirs star and blanks", LIRS, "*\n1\n\n*\n2\n", []uint64{1, 2}},
		{"lirs crlf", LIRS, "10\r\n20\r\n*\r\n\r\n30\r\n", []uint64{10, 20, 30}},
		{"lirs spaces, no final newline", LIRS, " 4 \n5", []uint64{4, 5}},
		{"be64", BE64, string(be64), []uint64{1, 1<<63 + 5}},
		{"be32", BE32, string(be32), []uint64{7, 1<<32 - 1}},
		{"empty", BE64, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := scanAll(t, []byte(tc.in), tc.format)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestScanErrors scans each malformed input from a reader, and loads it
// from a gzip file: the file's error must also name the file (one run loads
// nineteen traces).
func TestScanErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
		in     string
		want   string
	}{
		{"lirs not a number", LIRS, "1\nx\n", "line 2"},
		{"arc one field", ARC, "1 2 0 0\n5\n", "line 2"},
		{"arc two fields", ARC, "5 3\n", "line 1: want \"start count ignored reqno\""},
		{"arc three fields", ARC, "5 3 0\n", "line 1: want"},
		{"arc five fields", ARC, "5 3 0 1 9\n", "line 1: want"},
		{"arc bad start", ARC, "-1 2 0 0\n", "line 1: start"},
		{"arc bad count", ARC, "1 z 0 0\n", "count"},
		{"arc bad ignored", ARC, "1 2 x 0\n", "line 1: ignored"},
		{"arc bad reqno", ARC, "1 2 0 r\n", "line 1: reqno"},
		{"arc past 2^64-1", ARC, "18446744073709551615 2 0 1\n", "past 2^64-1"},
		{"arc bad count on line 2", ARC, "1 1 0 0\n1 z 0 1\n", "line 2: count"},
		{"be64 trailing bytes", BE64, "12345678abc", "3 trailing bytes after the last record (1 keys)"},
		{"be32 trailing bytes", BE32, "1234ab", "2 trailing bytes"},
		{"unknown format", Format(9), "1\n", "unknown format Format(9)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scanAll(t, []byte(tc.in), tc.format)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			name := strings.ReplaceAll(tc.name, " ", "-") + ".gz"
			_, err = Load(writeGzip(t, name, []byte(tc.in), gzip.DefaultCompression), tc.format)
			if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: error %v, want one naming the file %s and mentioning %q", err, name, tc.want)
			}
		})
	}
}

// writeGzip writes content, gzipped at the given level, to a file called
// name in a new temporary folder and returns its path.
func writeGzip(t *testing.T, name string, content []byte, level int) string {
	t.Helper()
	var buf bytes.Buffer
	z, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	z.Write(content)
	z.Close()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A gzip file cut short is reported as damaged (the gzip reader's
// unexpected EOF), not as trailing bytes of a whole trace.
func TestLoadTruncatedGzip(t *testing.T) {
	var raw []byte
	for i := range 20000 {
		raw = binary.BigEndian.AppendUint64(raw, uint64(i))
	}
	path := writeGzip(t, "cut.be64.gz", raw, gzip.NoCompression)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b[:len(b)/2+3], 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := Load(path, BE64)
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "trailing") ||
		!strings.Contains(err.Error(), "cut.be64.gz") {
		t.Fatalf("truncated gzip (%d keys read): error %v, want the file's unexpected EOF", len(keys), err)
	}
}

func TestLoadGzip(t *testing.T) {
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	z.Write([]byte("*\r\n1\r\n2\r\n"))
	z.Close()
	path := filepath.Join(t.TempDir(), "t.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path, LIRS)
	if err != nil || !slices.Equal(got, []uint64{1, 2}) {
		t.Fatalf("Load = %v, %v", got, err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.gz"), LIRS); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
	if err := os.WriteFile(path, []byte("not gzip"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, LIRS); err == nil {
		t.Fatal("Load of a non-gzip file succeeded")
	}
}

// bruteOptimal explores every choice a cache can make on a miss (bypass, or
// insert, evicting any cached key when full) and returns the most hits.
func bruteOptimal(keys []uint64, capacity int) int {
	type state struct {
		i    int
		mask uint32
	}
	memo := map[state]int{}
	var best func(i int, mask uint32) int
	best = func(i int, mask uint32) int {
		if i == len(keys) {
			return 0
		}
		s := state{i, mask}
		if v, ok := memo[s]; ok {
			return v
		}
		bit := uint32(1) << keys[i]
		var v int
		if mask&bit != 0 {
			v = 1 + best(i+1, mask)
		} else {
			v = best(i+1, mask) // bypass
			n := 0
			for m := mask; m != 0; m &= m - 1 {
				n++
			}
			if n < capacity {
				v = max(v, best(i+1, mask|bit))
			} else {
				for m := mask; m != 0; m &= m - 1 {
					victim := m & -m
					v = max(v, best(i+1, mask&^victim|bit))
				}
			}
		}
		memo[s] = v
		return v
	}
	return best(0, 0)
}

func TestOptimalMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 1))
	for trial := range 2000 {
		keys := make([]uint64, 1+rng.IntN(16))
		distinct := 1 + rng.Uint64N(7)
		for i := range keys {
			keys[i] = rng.Uint64N(distinct)
		}
		capacity := rng.IntN(5)
		if got, want := Optimal(keys, capacity), bruteOptimal(keys, capacity); got != want {
			t.Fatalf("trial %d: Optimal(%v, %d) = %d, brute force %d", trial, keys, capacity, got, want)
		}
	}
}

// TestOptimalMatchesBruteForceOnLongerTraces: the same check on traces of 20
// to 40 requests over up to 10 keys, at capacities 1 to 5, long enough for a
// key to be evicted and come back several times.
func TestOptimalMatchesBruteForceOnLongerTraces(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	trials := 1000
	if testing.Short() {
		trials = 200
	}
	for trial := range trials {
		keys := make([]uint64, 20+rng.IntN(21))
		distinct := 2 + rng.Uint64N(9)
		for i := range keys {
			keys[i] = rng.Uint64N(distinct)
		}
		capacity := 1 + rng.IntN(5)
		if got, want := Optimal(keys, capacity), bruteOptimal(keys, capacity); got != want {
			t.Fatalf("trial %d: Optimal(%v, %d) = %d, brute force %d", trial, keys, capacity, got, want)
		}
	}
}

func TestOptimalKnownFigures(t *testing.T) {
	// A loop over 4 keys with room for 2, and the trivial cases.
	loop := []uint64{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}
	if got, want := Optimal(loop, 2), bruteOptimal(loop, 2); got != want {
		t.Fatalf("loop: %d, want %d", got, want)
	}
	if Optimal(loop, 4) != 8 || Optimal(loop, 0) != 0 || Optimal(nil, 3) != 0 {
		t.Fatal("trivial cases")
	}
}

func TestLRU(t *testing.T) {
	c := NewLRU(2)
	steps := []struct {
		key uint64
		hit bool
	}{{1, false}, {2, false}, {1, true}, {3, false}, {2, false}, {1, false}, {3, false}}
	for i, s := range steps {
		if got := c.Access(s.key); got != s.hit {
			t.Fatalf("step %d: Access(%d) = %v", i, s.key, got)
		}
	}
	if !slices.Equal(c.Keys(), []uint64{1, 3}) {
		t.Fatalf("Keys = %v", c.Keys())
	}
	if LRUHits([]uint64{1, 2, 1, 2, 3, 1}, 2) != 2 {
		t.Fatal("LRUHits")
	}
}

type lruCache struct{ *LRU }

func (c lruCache) Get(k uint64) bool {
	if _, ok := c.where[k]; ok {
		c.order.MoveToFront(c.where[k])
		return true
	}
	return false
}
func (c lruCache) Set(k uint64) { c.Access(k) }

func TestReplay(t *testing.T) {
	keys := []uint64{1, 2, 1, 3, 1, 2}
	if got, want := Replay(keys, lruCache{NewLRU(2)}), LRUHits(keys, 2); got != want {
		t.Fatalf("Replay %d, LRUHits %d", got, want)
	}
	if Percent(1, 4) != 25 || Percent(0, 0) != 0 {
		t.Fatal("Percent")
	}
}

func TestLookup(t *testing.T) {
	f, ok := Lookup("oltp")
	if !ok || f.Name != "arc-oltp.gz" || f.Format != ARC {
		t.Fatalf("Lookup(oltp) = %+v, %v", f, ok)
	}
	if f, ok := Lookup("corda-trace_vaultservice.gz"); !ok || f.Label != "corda" {
		t.Fatalf("Lookup by file name = %+v, %v", f, ok)
	}
	if _, ok := Lookup("nope"); ok {
		t.Fatal("Lookup(nope) found something")
	}
	labels := map[string]bool{}
	for _, f := range Files {
		if f.Label == "" || labels[f.Label] || len(f.Capacities) == 0 {
			t.Fatalf("bad registry entry %+v", f)
		}
		labels[f.Label] = true
	}
}

func TestDirFromEnv(t *testing.T) {
	// A folder the caller named that is not there is their mistake, not
	// the traces' absence: the error names the variable, and tests that
	// skip without the traces fail instead (they skipped, and passed).
	t.Setenv(EnvDir, filepath.Join(t.TempDir(), "missing"))
	if _, err := Dir(); err == nil || errors.Is(err, ErrNoTraces) || !strings.Contains(err.Error(), EnvDir) {
		t.Fatalf("Dir() error %v, want one naming %s, not ErrNoTraces", err, EnvDir)
	}
	d := t.TempDir()
	t.Setenv(EnvDir, d)
	if got, err := Dir(); err != nil || got != d {
		t.Fatalf("Dir() = %q, %v", got, err)
	}
}

// traceDir returns the shared trace folder or skips the test if it is
// absent (any other error, such as a CLIENTCACHE_TRACES naming no folder,
// fails it).
func traceDir(t *testing.T) string {
	t.Helper()
	dir, err := Dir()
	if err != nil && !errors.Is(err, ErrNoTraces) {
		t.Fatal(err)
	}
	if err != nil {
		t.Skipf("skipping: the shared traces are absent (%v); they live in ../shared/traces beside the repository", err)
	}
	return dir
}

func TestRealTracesHaveTheListedLength(t *testing.T) {
	dir := traceDir(t)
	for _, f := range Files {
		if testing.Short() && f.Accesses > 200_000 {
			continue
		}
		s, err := f.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for s.Scan() {
			n++
		}
		if err := s.Err(); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
		s.Close()
		if n != f.Accesses {
			t.Errorf("%s: %d accesses, registry says %d", f.Name, n, f.Accesses)
		}
	}
}

func TestOptimalOnRealTraces(t *testing.T) {
	// The optimum at capacity c can be no lower than LRU's, and it grows with
	// the capacity. Loop at 512: 50.5% (the figure).
	dir := traceDir(t)
	f, _ := Lookup("loop")
	keys, err := f.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	prev := 0
	for _, c := range f.Capacities {
		opt := Optimal(keys, c)
		if lru := LRUHits(keys, c); opt < lru || opt < prev {
			t.Fatalf("capacity %d: OPT %d, LRU %d, OPT at the smaller capacity %d", c, opt, lru, prev)
		}
		prev = opt
	}
	if p := Percent(Optimal(keys, 512), len(keys)); p < 50.4 || p > 50.6 {
		t.Fatalf("loop@512: OPT %.2f%%, want 50.5%%", p)
	}
}

// TestNegativeCapacityPanics: a negative capacity is a caller's bug, which
// NewLRU, LRUHits and Optimal used to take as 0 (a cache holding nothing)
// and answer for. Each now panics, naming itself and the capacity; 0 stays
// valid.
func TestNegativeCapacityPanics(t *testing.T) {
	keys := []uint64{1, 2, 1}
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"NewLRU", func() { NewLRU(-1) }},
		{"LRUHits", func() { LRUHits(keys, -1) }},
		{"Optimal", func() { Optimal(keys, -1) }},
	} {
		func() {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.Contains(msg, tc.name) || !strings.Contains(msg, "-1") {
					t.Errorf("%s with capacity -1: recovered %v, want a panic naming %s and the capacity", tc.name, r, tc.name)
				}
			}()
			tc.f()
		}()
	}
	if h := LRUHits(keys, 0); h != 0 {
		t.Errorf("LRUHits with capacity 0: %d hits", h)
	}
	if h := Optimal(keys, 0); h != 0 {
		t.Errorf("Optimal with capacity 0: %d hits", h)
	}
}

// TestOptimalRefusesTooLongATrace checks the length guard Optimal runs
// first (a trace past it would need 16 GiB of keys to test through Optimal
// itself): its 32-bit positions would wrap past MaxOptimalAccesses.
func TestOptimalRefusesTooLongATrace(t *testing.T) {
	if strconv.IntSize < 64 {
		t.Skip("an int cannot hold more than MaxOptimalAccesses here")
	}
	checkOptimalLen(MaxOptimalAccesses) // the longest trace it takes
	var n uint64 = MaxOptimalAccesses + 1
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "Optimal") || !strings.Contains(msg, strconv.FormatUint(n, 10)) {
			t.Errorf("checkOptimalLen(%d): recovered %q, want a panic naming Optimal and the length", n, msg)
		}
	}()
	checkOptimalLen(int(n))
}
