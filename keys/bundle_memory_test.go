package keys_test

import (
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/clientcache/clientcache/internal/testwait"
	"github.com/clientcache/clientcache/keys"
)

// TestCABundlesAreNotKeptAfterTheirKeys: the set that spares a key built
// again for a CA bundle already checked the parsing of its certificates
// held the bundles themselves, up to 64 of up to 8 MiB each, for as long as
// the process ran, whether or not a key still used them. It holds their
// digests.
func TestCABundlesAreNotKeptAfterTheirKeys(t *testing.T) {
	const bundles, copies = 8, 3000 // about 2 MiB each
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	size := 0
	for i := range bundles {
		b := []byte(strings.Repeat(pem1, copies+i))
		size = len(b)
		if _, err := keys.NewConfig(keys.ConfigInput{CABundle: b}); err != nil {
			t.Fatal(err)
		}
	}
	// The keys are gone: what they held goes with the next collections
	// (unique's handles are dropped after a collection).
	testwait.Until(t, "the CA bundles of keys no longer used to be freed", func() bool {
		runtime.GC()
		var now runtime.MemStats
		runtime.ReadMemStats(&now)
		return int64(now.HeapAlloc)-int64(before.HeapAlloc) < int64(size)
	})
}

// TestCheckedBundlesAreBounded pins the bound of the set of CA bundle
// digests NewConfig remembers: up to maxCheckedBundles of them, forgotten
// all at once when that many are remembered, so that a process that sees
// ever new bundles does not grow the set without end.
func TestCheckedBundlesAreBounded(t *testing.T) {
	for i := range 3 * keys.MaxCheckedBundles {
		// Text after the last block (a comment) makes each bundle distinct.
		b := []byte(pem1 + "# bundle " + strconv.Itoa(i) + "\n")
		if _, err := keys.NewConfig(keys.ConfigInput{CABundle: b}); err != nil {
			t.Fatal(err)
		}
		if n := keys.CheckedBundles(); n > keys.MaxCheckedBundles {
			t.Fatalf("after %d distinct bundles, %d digests remembered, want at most %d", i+1, n, keys.MaxCheckedBundles)
		}
	}
}
