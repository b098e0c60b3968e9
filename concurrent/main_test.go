package concurrent_test

import (
	"testing"

	"github.com/clientcache/clientcache/internal/testwait"
)

// Every test must leave no goroutine behind: each cache's maintenance
// goroutine is stopped by Close.
func TestMain(m *testing.M) { testwait.Main(m) }
