package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a cache under measurement leaves a
// goroutine running after it was closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
