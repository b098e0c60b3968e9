package concurrent_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/clientcache/clientcache/concurrent"
)

// TestGetOrLoadWithADoneContextStartsNoLoad: a miss whose ctx is already
// done returns ctx.Err() every time, and starts no load that would store a
// value into the cache after the call has returned (from one goroutine, the
// same operations would otherwise give a different result, and leave a
// different cache, from run to run).
func TestGetOrLoadWithADoneContextStartsNoLoad(t *testing.T) {
	c, err := concurrent.New(concurrent.Options[int, int]{MaxSize: 1000, RecordStats: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int32
	values := 0
	for i := range 200 {
		loader := func(context.Context) (int, error) { calls.Add(1); return i, nil }
		var v int
		var err error
		if i%2 == 0 {
			v, err = c.GetOrLoad(ctx, i, loader)
		} else {
			v, err = c.LoadMissed(ctx, i, loader)
		}
		switch {
		case errors.Is(err, context.Canceled):
		case err == nil && v == i:
			values++
		default:
			t.Fatalf("call %d = %d, %v", i, v, err)
		}
	}
	_ = c.Close() // waits for the loads in flight
	if values > 0 || calls.Load() > 0 {
		t.Fatalf("with a done ctx: %d of 200 calls returned a loaded value, the others context.Canceled; %d loaders ran", values, calls.Load())
	}
}
