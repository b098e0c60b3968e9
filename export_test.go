package clientcache

import "sync"

// CloseDefault closes the process-wide default cache and lets the next
// Default create a new one (tests only: TestMain calls it before checking
// for leaked goroutines).
func CloseDefault() {
	if defaultCache.c != nil {
		_ = defaultCache.c.Close()
	}
	defaultCache.once = sync.Once{}
	defaultCache.c = nil
}

// LimitedRedirect is the redirect policy of the HTTP clients the cache builds.
var LimitedRedirect = limitedRedirect
