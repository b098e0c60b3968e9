package concurrent_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/clientcache/clientcache/concurrent"
)

func ExampleNew() {
	c, err := concurrent.New(concurrent.Options[string, int]{
		MaxSize: 2,
		OnEvict: func(k string, v int, cause concurrent.Cause) {
			fmt.Printf("evicted %s=%d (%v)\n", k, v, cause)
		},
	})
	if err != nil {
		panic(err)
	}
	// The deferred Close hands back what remains, least recently used first.
	defer c.Close()

	_ = c.Set("a", 1)
	_ = c.Set("b", 2)
	c.Get("a")        // a is now the most recently used
	_ = c.Set("c", 3) // over the bound: b goes before Set returns
	fmt.Println(c.Len(), c.Contains("b"))
	// Output:
	// evicted b=2 (Size)
	// 2 false
	// evicted a=1 (Closed)
	// evicted c=3 (Closed)
}

func ExampleCache_Add() {
	c, err := concurrent.New(concurrent.Options[string, int]{})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	fmt.Println(c.Add("k", 1))
	err = c.Add("k", 2) // never overwrites
	fmt.Println(errors.Is(err, concurrent.ErrExists), err)
	v, _ := c.Get("k")
	fmt.Println(v)
	// Output:
	// <nil>
	// true concurrent: key already present
	// 1
}

func ExampleCache_All() {
	c, err := concurrent.New(concurrent.Options[string, int]{MaxSize: 3})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	_ = c.Set("a", 1)
	_ = c.Set("b", 2)
	_ = c.Set("c", 3)
	c.Get("a")

	for k, v := range c.All() { // the next victim first
		fmt.Println(k, v)
	}
	k, _, _ := c.PopVictim()
	fmt.Println("popped", k)
	// Output:
	// b 2
	// c 3
	// a 1
	// popped b
}

func ExampleCache_Resize() {
	c, err := concurrent.New(concurrent.Options[int, string]{MaxSize: 5})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	for i := range 5 {
		_ = c.Set(i, fmt.Sprint("v", i))
	}
	_ = c.Resize(2) // evicts down to 2 before it returns
	fmt.Println(c.Len(), c.MaxSize(), c)
	fmt.Println(c.Resize(0))
	// Output:
	// 2 2 concurrent.Cache[LRU]{len: 2, max: 2}
	// concurrent: invalid Resize(n) = 0: must be at least 1
}

func ExampleCache_Stats() {
	c, err := concurrent.New(concurrent.Options[string, int]{MaxSize: 1, RecordStats: true})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	_ = c.Set("a", 1)
	c.Get("a")
	c.Get("b")
	_ = c.Set("b", 2) // evicts a
	s := c.Stats()
	fmt.Printf("hits=%d misses=%d ratio=%.2f evictions=%d len=%d\n",
		s.Hits, s.Misses, s.HitRatio(), s.Evictions(), s.Len)
	// Output:
	// hits=1 misses=1 ratio=0.50 evictions=1 len=1
}

func ExampleCache_Close() {
	c, err := concurrent.New(concurrent.Options[string, int]{
		OnEvict: func(k string, _ int, cause concurrent.Cause) { fmt.Println(k, cause) },
	})
	if err != nil {
		panic(err)
	}
	_ = c.Set("a", 1)
	_ = c.Set("b", 2)
	fmt.Println(c.Close())
	fmt.Println(c.Set("c", 3))
	// Output:
	// a Closed
	// b Closed
	// <nil>
	// concurrent: cache is closed
}

func ExampleCache_GetOrLoad() {
	c, err := concurrent.New(concurrent.Options[string, string]{})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx := context.Background()
	load := func(ctx context.Context) (string, error) {
		fmt.Println("loading")
		return "config of tenant-42", nil
	}
	for range 2 {
		v, err := c.GetOrLoad(ctx, "tenant-42", load) // loads on the first call only
		fmt.Println(v, err)
	}
	// Output:
	// loading
	// config of tenant-42 <nil>
	// config of tenant-42 <nil>
}

// A hit allocates nothing when the loader closure is made only on a miss.
func ExampleCache_LoadMissed() {
	c, err := concurrent.New(concurrent.Options[string, string]{RecordStats: true})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	get := func(ctx context.Context, tenant string) (string, error) {
		if v, ok := c.Get(tenant); ok {
			return v, nil
		}
		return c.LoadMissed(ctx, tenant, func(ctx context.Context) (string, error) {
			return "config of " + tenant, nil // captures tenant: allocated here, on a miss
		})
	}
	for range 2 {
		fmt.Println(get(context.Background(), "tenant-42"))
	}
	s := c.Stats()
	fmt.Println("hits", s.Hits, "misses", s.Misses, "loads", s.Loads)
	// Output:
	// config of tenant-42 <nil>
	// config of tenant-42 <nil>
	// hits 1 misses 1 loads 1
}

// Touch keeps an entry that others were built from as recently used as they
// are, without counting requests nobody made for it.
func ExampleCache_Touch() {
	c, err := concurrent.New(concurrent.Options[string, int]{MaxSize: 2, RecordStats: true})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	_ = c.Set("base", 1)
	_ = c.Set("other", 2)
	c.Touch("base")     // used on behalf of something built from it
	_ = c.Set("new", 3) // evicts the least recently used: other
	fmt.Println(c.Contains("base"), c.Contains("other"))
	fmt.Println("hits", c.Stats().Hits)
	// Output:
	// true false
	// hits 0
}

// An LFU cache keeps the keys that are used often through a scan of keys
// used once, where an LRU cache of the same size loses them all. (A fixed
// Seed makes an LFU cache's choices the same on every run.)
func ExampleLFU() {
	survivors := func(p concurrent.Policy) int {
		c, err := concurrent.New(concurrent.Options[string, int]{MaxSize: 50, Policy: p, Seed: 1})
		if err != nil {
			panic(err)
		}
		defer c.Close()
		get := func(k string) {
			if _, ok := c.Get(k); !ok {
				_ = c.Set(k, 0)
			}
		}
		for range 20 { // ten clients, each used twenty times
			for i := range 10 {
				get(fmt.Sprint("client", i))
			}
		}
		for i := range 1000 { // a scan: a thousand keys, each used once
			get(fmt.Sprint("once", i))
		}
		n := 0
		for i := range 10 {
			if c.Contains(fmt.Sprint("client", i)) {
				n++
			}
		}
		return n
	}
	fmt.Println("LRU kept", survivors(concurrent.LRU), "of 10 clients")
	fmt.Println("LFU kept", survivors(concurrent.LFU), "of 10 clients")
	// Output:
	// LRU kept 0 of 10 clients
	// LFU kept 10 of 10 clients
}
