package clientcache

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/clientcache/clientcache/keys"
)

var defaultCache struct {
	once sync.Once
	c    *Cache
}

// Default returns the process-wide cache, created on first use with the zero
// Options (10 configs, 10 clients, 10 derived objects, LRU). It lives as long
// as the process, with its maintenance goroutines; a program that needs other
// bounds, or to stop those goroutines (a test checking for leaks with goleak,
// for one), makes its own with New. Its Close returns an error matching
// ErrInvalid and does nothing: there is one for the process, and closing
// it would make every later call through it that loads or adds (Config,
// Client, Derived, AddClient, PopClient, DefaultConfig, DefaultClient)
// return ErrClosed in code that never asked for that.
func Default() *Cache {
	defaultCache.once.Do(func() {
		c, err := New(Options{})
		if err != nil {
			panic("clientcache: the zero Options must be valid: " + err.Error())
		}
		c.shared = true
		defaultCache.c = c
	})
	return defaultCache.c
}

// DefaultConfig is Default().Config(ctx, key): the one-liner of the original
// library's module-level helpers.
func DefaultConfig(ctx context.Context, key keys.Config) (aws.Config, error) {
	return Default().Config(ctx, key)
}

// DefaultClient is Client(ctx, Default(), key, newClient, optFns...).
func DefaultClient[C any, O any](ctx context.Context, key keys.Client, newClient func(aws.Config, ...func(*O)) C, optFns ...func(*O)) (C, error) {
	return Client(ctx, Default(), key, newClient, optFns...)
}
