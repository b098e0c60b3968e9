package seedport

import (
	"testing"

	"github.com/clientcache/clientcache/internal/testwait"
)

// TestMain fails the package's tests if one leaves a goroutine running.
func TestMain(m *testing.M) { testwait.Main(m) }
