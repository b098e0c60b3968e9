package concurrent_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: each cache's maintenance
// goroutine is stopped by Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
