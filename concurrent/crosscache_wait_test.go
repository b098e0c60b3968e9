package concurrent_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clientcache/clientcache/concurrent"
)

// TestNoRecursiveLoadOnceTheParentStoppedWaitingAcrossCaches is
// TestNoRecursiveLoadOnceTheParentStoppedWaiting with a load of another cache
// between the two: a's loader (cache c) starts x (cache d) under its own
// context and stops waiting for it; x's loader starts b (cache c), whose
// loader then asks for a. a waits for nothing, so b's loader must wait for
// a's value, as ErrRecursiveLoad's doc says ("A load further up whose loader
// has stopped waiting (its own wait timed out) is no cycle: asked for, it is
// waited for").
func TestNoRecursiveLoadOnceTheParentStoppedWaitingAcrossCaches(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	d := newIntCache(t, concurrent.Options[string, int]{})
	parentStoppedWaiting(t, c, func(ctx context.Context, asker func(context.Context) (int, error)) error {
		_, err := d.GetOrLoad(ctx, "x", func(ctx context.Context) (int, error) {
			return c.GetOrLoad(ctx, "b", asker)
		})
		return err
	})
}

// TestRecursiveLoadThroughAnotherCacheStillFails: a (cache c) waits for x
// (cache d), whose loader waits for b (cache c), whose loader asks for a:
// every load waits for the next, so the last gets ErrRecursiveLoad at once.
func TestRecursiveLoadThroughAnotherCacheStillFails(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	d := newIntCache(t, concurrent.Options[string, int]{})
	nested := make(chan error, 1)
	a := goLoad(c, context.Background(), "a", func(ctx context.Context) (int, error) {
		return d.GetOrLoad(ctx, "x", func(ctx context.Context) (int, error) {
			return c.GetOrLoad(ctx, "b", func(ctx context.Context) (int, error) {
				_, err := c.GetOrLoad(ctx, "a", func(context.Context) (int, error) { return -1, nil })
				nested <- err
				return 1, nil
			})
		})
	})
	if r := receive(t, a); r.v != 1 || r.err != nil {
		t.Fatalf("a = %v", r)
	}
	if err := <-nested; !errors.Is(err, concurrent.ErrRecursiveLoad) {
		t.Fatalf("b's loader's GetOrLoad(a) = %v; want ErrRecursiveLoad", err)
	}
}

// TestNoRecursiveLoadOnceTheParentStoppedWaitingThroughAnotherCache: a's
// loader (cache c) starts x (cache d) and stops waiting for it; x's loader
// then asks c for a. a waits for nothing, so x's loader must wait for a's
// value. The key check looked for a frame of a up x's chain and found a's,
// in flight: only the load right up the chain is matched by key, and the
// graph, which knows that a no longer waits for x, decides the rest.
func TestNoRecursiveLoadOnceTheParentStoppedWaitingThroughAnotherCache(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	d := newIntCache(t, concurrent.Options[string, int]{})
	parentStoppedWaiting(t, c, func(ctx context.Context, asker func(context.Context) (int, error)) error {
		_, err := d.GetOrLoad(ctx, "x", asker)
		return err
	})
}

// TestRecursiveLoadThroughAnotherCacheIsRefusedAtOnce: a (cache c) waits
// for x (cache d), whose loader asks c for a: a cycle across two caches
// within one chain, refused at once (a guard: the graph refuses it now,
// where the key check of every frame up the chain did).
func TestRecursiveLoadThroughAnotherCacheIsRefusedAtOnce(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	d := newIntCache(t, concurrent.Options[string, int]{})
	v, err := c.GetOrLoad(context.Background(), "a", func(ctx context.Context) (int, error) {
		return d.GetOrLoad(ctx, "x", func(ctx context.Context) (int, error) {
			return c.GetOrLoad(ctx, "a", func(context.Context) (int, error) { return -1, nil })
		})
	})
	if !errors.Is(err, concurrent.ErrRecursiveLoad) {
		t.Fatalf("a -> x (another cache) -> a: %d, %v; want ErrRecursiveLoad", v, err)
	}
}

// TestLoadCycleAcrossCachesAndCallersFailsInsteadOfHanging: one caller loads
// a (cache c), whose loader asks d for x; another loads x (cache d), whose
// loader asks c for a. Neither chain holds the other's frame, and with a
// wait-for graph per cache neither wait was an edge of the other's graph:
// both loads waited for each other until a LoadTimeout, or for ever. With
// one graph for every cache, the second wait closes the cycle and is
// refused; the other load then receives what that loader returns.
func TestLoadCycleAcrossCachesAndCallersFailsInsteadOfHanging(t *testing.T) {
	c := newIntCache(t, concurrent.Options[string, int]{})
	d := newIntCache(t, concurrent.Options[string, int]{})
	started := make(chan struct{}, 2)
	gate := make(chan struct{})
	a := goLoad(c, context.Background(), "a", func(ctx context.Context) (int, error) {
		started <- struct{}{}
		<-gate
		v, err := d.GetOrLoad(ctx, "x", func(context.Context) (int, error) { return -1, nil })
		return v + 1, err
	})
	x := goLoad(d, context.Background(), "x", func(ctx context.Context) (int, error) {
		started <- struct{}{}
		<-gate
		v, err := c.GetOrLoad(ctx, "a", func(context.Context) (int, error) { return -1, nil })
		return v + 10, err
	})
	<-started
	<-started
	close(gate)
	ra, rx := receive(t, a), receive(t, x)
	if !errors.Is(ra.err, concurrent.ErrRecursiveLoad) || !errors.Is(rx.err, concurrent.ErrRecursiveLoad) {
		t.Fatalf("a = %d, %v; x = %d, %v: want ErrRecursiveLoad for both (one refused, the other receiving its error)", ra.v, ra.err, rx.v, rx.err)
	}
}
