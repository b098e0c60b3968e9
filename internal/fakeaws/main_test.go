package fakeaws

import (
	"testing"

	"github.com/clientcache/clientcache/internal/testwait"
)

// Every test must leave no goroutine behind: each endpoint's Close stops
// its server.
func TestMain(m *testing.M) { testwait.Main(m) }
