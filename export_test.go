package clientcache

import (
	"net/http"
	"sync"

	"github.com/clientcache/clientcache/concurrent"
)

// CloseDefault closes the process-wide default cache and lets the next
// Default create a new one (tests only: TestMain calls it before checking
// for leaked goroutines).
func CloseDefault() {
	if defaultCache.c != nil {
		_ = defaultCache.c.close()
	}
	defaultCache.once = sync.Once{}
	defaultCache.c = nil
}

// LimitedRedirect is the redirect policy of the HTTP clients the cache builds.
var LimitedRedirect = limitedRedirect

// PoolTransport returns the *http.Transport of an identity's pool (the HTTP
// client of an aws.Config the cache loaded with a pool of its own), or nil.
func PoolTransport(hc any) *http.Transport {
	if c, ok := hc.(*http.Client); ok {
		if t, ok := c.Transport.(*transport); ok {
			return t.gen.Load().tr
		}
	}
	return nil
}

// WithClock returns o with clock as the time source of the cache's engines
// for Options.IdleTimeout, so that tests advance time instead of sleeping.
// It needs a positive IdleTimeout: the engines refuse a clock that times
// nothing.
func WithClock(o Options, clock concurrent.Clock) Options {
	o.clock = clock
	return o
}
