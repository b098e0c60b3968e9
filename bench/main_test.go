package bench

import (
	"testing"

	"github.com/clientcache/clientcache/internal/testwait"
)

// TestMain fails the package's tests if a cache under measurement leaves a
// goroutine running after it was closed.
func TestMain(m *testing.M) { testwait.Main(m) }
