package clientcache_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/internal/testwait"
)

// TestMain isolates the tests from any AWS setup of the machine running them
// (profiles, credentials, region, IMDS), and checks that no goroutine leaks.
func TestMain(m *testing.M) {
	if err := fakeaws.IsolateEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "isolating the tests from the machine's AWS settings:", err)
		os.Exit(1)
	}
	code := m.Run()
	clientcache.CloseDefault() // the default cache lives as long as the process
	if code == 0 {
		if err := testwait.Leaks(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
