package concurrent_test

import (
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
	defer c.Close()

	_ = c.Set("a", 1)
	_ = c.Set("b", 2)
	c.Get("a")        // a is now the most recently used
	_ = c.Set("c", 3) // over the bound: b goes before Set returns
	fmt.Println(c.Len(), c.Contains("b"))
	// The deferred Close hands back what remains, least recently used first.
	// Output:
	// evicted b=2 (Size)
	// 2 false
	// evicted a=1 (Closed)
	// evicted c=3 (Closed)
}

func ExampleCache_Add() {
	c, _ := concurrent.New(concurrent.Options[string, int]{})
	defer c.Close()

	fmt.Println(c.Add("k", 1))
	err := c.Add("k", 2) // never overwrites
	fmt.Println(errors.Is(err, concurrent.ErrExists), err)
	v, _ := c.Get("k")
	fmt.Println(v)
	// Output:
	// <nil>
	// true concurrent: key already present
	// 1
}

func ExampleCache_All() {
	c, _ := concurrent.New(concurrent.Options[string, int]{MaxSize: 3})
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
	c, _ := concurrent.New(concurrent.Options[int, string]{MaxSize: 5})
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
	c, _ := concurrent.New(concurrent.Options[string, int]{MaxSize: 1})
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
	c, _ := concurrent.New(concurrent.Options[string, int]{
		OnEvict: func(k string, _ int, cause concurrent.Cause) { fmt.Println(k, cause) },
	})
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
