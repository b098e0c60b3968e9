package main

import (
	"bytes"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/testwait"
)

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("CLIENTCACHE_ENGINE_ARGS"); ok {
		// Run as the program itself (TestRunRejectsStrayArguments).
		os.Args = append([]string{"engine"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	testwait.Main(m)
}

// The README shows `go run ./examples/engine`; keep it working.
func TestRunSmallWorkload(t *testing.T) {
	for _, policy := range []string{"LRU", "LFU"} {
		if err := run(io.Discard, 50, 8, 4, 4000, 1.2, policy); err != nil {
			t.Fatalf("%s: %v", policy, err)
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	if err := run(io.Discard, 50, 8, 4, 4000, 1.2, "FIFO"); err == nil {
		t.Fatal("an unknown policy must be an error")
	}
	if err := run(io.Discard, 0, 8, 4, 4000, 1.2, "LRU"); err == nil {
		t.Fatal("zero tenants must be an error")
	}
	if err := run(io.Discard, 50, -1, 4, 4000, 1.2, "LRU"); err == nil || !strings.Contains(err.Error(), "-size") {
		t.Fatalf("a negative size must be an error naming -size, got %v", err)
	}
	if err := run(io.Discard, 50, concurrent.MaxLFUSize+1, 4, 4000, 1.2, "LFU"); err == nil || !strings.Contains(err.Error(), "-size") {
		t.Fatalf("a size above MaxLFUSize with LFU must be an error naming -size, got %v", err)
	}
	// Workers beyond the requests have none to run, yet each was started:
	// -workers 1000000000 -requests 10 started a billion goroutines (10
	// requests from 10,000,000 took 42 s) instead of naming the flag, as
	// the demo does.
	if err := run(io.Discard, 50, 8, 100_000, 10, 1.2, "LRU"); err == nil || !strings.Contains(err.Error(), "-workers") {
		t.Fatalf("-workers above -requests must be an error naming -workers, got %v", err)
	}
	// NaN and +Inf passed "skew <= 1" and the program hung in rand.Zipf;
	// just above 1, rand.Zipf draws beyond its range.
	for _, skew := range []float64{math.NaN(), math.Inf(1), math.Nextafter(1, 2)} {
		if err := run(io.Discard, 50, 8, 4, 4000, skew, "LRU"); err == nil || !strings.Contains(err.Error(), "-skew") {
			t.Fatalf("-skew %v: got %v", skew, err)
		}
	}
}

// TestRunPrintsTheBoundInForceAndEveryRequest pins two wrong figures: with
// -size 0 the engine's bound is its default (10), but the program printed
// "MaxSize 0" and "bound 0" next to a largest size of 10; and it ran
// requests/workers requests per goroutine, dropping the remainder of
// -requests (999 of 1000 on 3 goroutines).
func TestRunPrintsTheBoundInForceAndEveryRequest(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, 50, 0, 3, 1000, 1.2, "LRU"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1000 requests from 3 goroutines", "MaxSize 10,", "(bound 10,"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRunRejectsStrayArguments: flag parsing stops at the first argument
// that is not a flag, and the program ignored what was left, so a value
// typed without its flag made every flag after it ignored: "-requests 1000
// 200 -policy LFU" ran LRU, printed "LRU" and exited 0 (the demo,
// cmd/clientcache-demo, refuses such an argument).
func TestRunRejectsStrayArguments(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CLIENTCACHE_ENGINE_ARGS=-tenants 5 -workers 1 -requests 10 200 -policy LFU")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `unexpected argument "200"`) {
		t.Fatalf("the program ran with a stray argument (err %v):\n%s", err, out)
	}
}

// TestRunAcceptsTheLargestSize: the bound check after the run computed
// bound+workers in int, which overflows for a -size near math.MaxInt:
// "-size 9223372036854775807" failed every run with "the cache held 230
// resources, above its bound 9223372036854775807 plus 8 writers".
func TestRunAcceptsTheLargestSize(t *testing.T) {
	if err := run(io.Discard, 50, math.MaxInt, 4, 1000, 1.2, "LRU"); err != nil {
		t.Fatal(err)
	}
}
