package trace

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File is one trace of the shared folder: a short label for tables and
// command lines, its file name, record format, number of accesses and the
// cache capacities at which it is measured (points in the range the traces
// README gives for it).
type File struct {
	Label      string
	Name       string
	Format     Format
	Accesses   int
	Capacities []int
}

// Load reads the whole trace from the folder dir.
func (f File) Load(dir string) ([]uint64, error) {
	return Load(filepath.Join(dir, f.Name), f.Format)
}

// Open opens the trace in the folder dir for streaming.
func (f File) Open(dir string) (*Scanner, error) {
	return Open(filepath.Join(dir, f.Name), f.Format)
}

var classic = []int{100, 250, 500, 1000}

// Files lists every trace of the shared folder. OLTP is also measured at 64
// entries, a size typical of client caches.
var Files = []File{
	{"oltp", "arc-oltp.gz", ARC, 914_145, []int{64, 250, 500, 1000, 2000}},
	{"p3", "arc-p3.gz", ARC, 3_912_296, []int{25_000, 100_000, 400_000, 600_000}},
	{"loop", "lirs-loop.trace.gz", LIRS, 505_500, []int{256, 512, 768, 1024}},
	{"gli", "lirs-gli.trace.gz", LIRS, 6_015, []int{250, 500, 1000, 2000}},
	{"2_pools", "lirs-2_pools.trace.gz", LIRS, 100_000, classic},
	{"sprite", "lirs-sprite.trace.gz", LIRS, 133_996, classic},
	{"multi1", "lirs-multi1.trace.gz", LIRS, 15_858, classic},
	{"multi2", "lirs-multi2.trace.gz", LIRS, 26_311, classic},
	{"multi3", "lirs-multi3.trace.gz", LIRS, 30_241, classic},
	{"cs", "lirs-cs.trace.gz", LIRS, 6_781, classic},
	{"cpp", "lirs-cpp.trace.gz", LIRS, 9_047, classic},
	{"ps", "lirs-ps.trace.gz", LIRS, 10_448, classic},
	{"scan", "lirs-scan.trace.gz", LIRS, 50_025, classic},
	{"zigzag", "lirs-zigzag.trace.gz", LIRS, 52_001, classic},
	{"corda", "corda-trace_vaultservice.gz", BE64, 135_702, []int{250, 500, 1000, 2000}},
	{"scarab", "scarab-recs.trace.gz", BE64, 1_245_184, []int{1000, 10_000, 50_000, 125_000}},
	{"web07", "cache2k-web07.trace.gz", BE32, 76_118, []int{100, 1000, 5000, 10_000}},
	{"web12", "cache2k-web12.trace.gz", BE32, 95_607, []int{100, 1000, 5000, 10_000}},
	{"zipf", "synthetic-zipf-s1.0001-v10-imax5e7-n1e6-seed42.txt.gz", LIRS, 1_000_000, []int{1000, 10_000, 100_000}},
}

// Lookup returns the file of Files whose label or file name is name.
func Lookup(name string) (File, bool) {
	for _, f := range Files {
		if f.Label == name || f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// ErrNoTraces reports that the shared trace folder is not there.
var ErrNoTraces = errors.New("trace: shared trace folder not found")

// EnvDir names the environment variable that, when set, overrides where
// [Dir] looks for the traces.
const EnvDir = "CLIENTCACHE_TRACES"

const rootModule = "github.com/clientcache/clientcache"

// Dir returns the shared trace folder: $CLIENTCACHE_TRACES if set, else
// ../shared/traces relative to the root of the repository, found by walking
// up from the working directory to the go.mod of the root module (so it works
// from any package of the root module or of a nested module such as bench/).
// The error wraps [ErrNoTraces] when the folder beside the repository does
// not exist; a $CLIENTCACHE_TRACES that names no folder is an error of its
// own, naming the variable (the caller asked for that folder: tests fail
// rather than skip).
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		dir, err := checkDir(d)
		if err != nil {
			return "", fmt.Errorf("trace: %s=%s: no such folder", EnvDir, d)
		}
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("trace: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if isRoot(d) {
			return checkDir(filepath.Join(d, "..", "shared", "traces"))
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%w: no go.mod of %s above %s", ErrNoTraces, rootModule, wd)
		}
	}
}

func isRoot(d string) bool {
	b, err := os.ReadFile(filepath.Join(d, "go.mod"))
	if err != nil {
		return false
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) == 2 && string(f[0]) == "module" {
			return string(f[1]) == rootModule
		}
	}
	return false
}

func checkDir(d string) (string, error) {
	d = filepath.Clean(d)
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("%w: %s", ErrNoTraces, d)
	}
	return d, nil
}
