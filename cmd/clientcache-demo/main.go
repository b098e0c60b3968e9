// Command clientcache-demo runs one multi-tenant workload three ways and
// prints what each costs: a client per request, a hand-rolled cache (a map
// under one lock, keyed by tenant and service), and clientcache.
//
// It needs no AWS account: S3 (gofakes3, in memory) and an STS AssumeRole
// endpoint are started in-process on loopback, over TLS, fresh for each
// strategy so that every count is that strategy's own. Each request picks a
// tenant (Zipf-skewed), gets the tenant's clients for the chosen services
// (S3, DynamoDB, SQS) through the strategy, uses each client's credentials
// (as a request to that service would), and stores an object with the S3
// client. Tenants assume their own role from the service's base credentials.
// The AWS settings of the environment it runs in (AWS_ variables, the shared
// config and credentials files, the instance metadata service) are set
// aside first (fakeaws.IsolateEnv): they are the caller's, not the demo's.
//
//	go run ./cmd/clientcache-demo [-tenants 200] [-services 3] [-workers 16] [-requests 10000]
//	        [-skew 1.1] [-policy LRU] [-size 256] [-sts-latency 10ms] [-naive-requests 500]
//
// A -size below the number of busy tenants shows the price of a bound: evicted
// tenants are loaded again (try -size 64, and -policy LFU).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/fakeaws"
)

type settings struct {
	tenants, services, workers, requests, naiveRequests, size int
	skew                                                      float64
	policy                                                    clientcache.Policy
	stsLatency                                                time.Duration
	progress                                                  io.Writer // nil: no progress bar
}

func main() {
	var s settings
	var policy string
	flag.IntVar(&s.tenants, "tenants", 200, "distinct tenants")
	flag.IntVar(&s.services, "services", 3, "service clients per request: 1 (S3), 2 (+DynamoDB) or 3 (+SQS)")
	flag.IntVar(&s.workers, "workers", 16, "concurrent goroutines")
	flag.IntVar(&s.requests, "requests", 10_000, "requests per strategy")
	flag.IntVar(&s.naiveRequests, "naive-requests", 500, "requests for the client-per-request strategy (each leaves connections idle for 90 s)")
	flag.Float64Var(&s.skew, "skew", 1.1, "Zipf exponent of tenant popularity (> 1: at least 1.000000001)")
	flag.StringVar(&policy, "policy", "LRU", "clientcache eviction policy: LRU or LFU")
	flag.IntVar(&s.size, "size", 256, "clientcache MaxConfigs (MaxClients is size x services); the tenants' base identity, whose credentials their roles are assumed from, takes one of them")
	flag.DurationVar(&s.stsLatency, "sts-latency", 10*time.Millisecond, "time the STS endpoint takes per AssumeRole")
	flag.Parse()
	if flag.NArg() > 0 {
		// flag.Parse stops at the first argument that is not a flag: a
		// value without its flag ("-requests 100 200 -policy LFU") made it
		// ignore every flag after it, and the demo ran with their defaults.
		fail(fmt.Errorf("unexpected argument %q: the demo takes flags only (-h lists them); the flags after it would be ignored", flag.Arg(0)))
	}
	switch policy {
	case "LRU":
		s.policy = clientcache.LRU
	case "LFU":
		s.policy = clientcache.LFU
	default:
		fail(fmt.Errorf("-policy %q: must be LRU or LFU", policy))
	}
	if err := s.validate(); err != nil {
		fail(err) // before announcing a run
	}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		s.progress = os.Stderr // a terminal: draw progress bars
	} else {
		fmt.Fprintln(os.Stderr, "running the three strategies...")
	}
	results, err := run(context.Background(), s)
	if err != nil {
		fail(err)
	}
	printTable(os.Stdout, s, results)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "clientcache-demo:", err)
	os.Exit(1)
}

// minSkew is the smallest -skew: within about 1e-12 of 1, rand.Zipf loses
// its precision and draws tenants beyond -tenants (1.0000000000000002 drew
// tenant 2 of -tenants 2) from a distorted distribution.
const minSkew = 1 + 1e-9

func (s settings) validate() error {
	switch {
	case s.tenants < 1:
		return errors.New("-tenants must be at least 1")
	case s.services < 1 || s.services > 3:
		return errors.New("-services must be 1, 2 or 3")
	case s.workers < 1:
		return errors.New("-workers must be at least 1")
	case s.requests < 1 || s.naiveRequests < 0:
		return errors.New("-requests must be positive and -naive-requests not negative")
	case s.workers > s.requests:
		// Workers beyond the requests would have none to run, and the run
		// keeps a slot per worker: -workers 1000000000 died out of memory
		// (a 24 GB allocation) instead of naming the flag.
		return fmt.Errorf("-workers %d: must be at most -requests (%d)", s.workers, s.requests)
	case !(s.skew >= minSkew) || math.IsInf(s.skew, 1):
		// NaN and +Inf pass a plain "<= 1" test, and rand.Zipf then
		// loops for ever drawing the first tenant.
		return fmt.Errorf("-skew %v: must be a finite number of at least %v", s.skew, minSkew)
	case s.size < 1:
		return errors.New("-size must be at least 1")
	case s.size > math.MaxInt/s.services:
		// MaxClients is size x services: it must not overflow.
		return fmt.Errorf("-size %d: must be at most %d with -services %d", s.size, math.MaxInt/s.services, s.services)
	case s.policy == clientcache.LFU && s.size*s.services > concurrent.MaxLFUSize:
		return fmt.Errorf("-size %d: with -policy LFU, -size x -services must be at most %d (concurrent.MaxLFUSize)", s.size, concurrent.MaxLFUSize)
	case s.stsLatency < 0:
		return errors.New("-sts-latency must not be negative")
	}
	return nil
}

// result is what one strategy cost.
type result struct {
	name                                  string
	requests, credentialCalls, handshakes int64
	// openAtEnd counts the connections the servers still see open at the
	// end of the run (those of evicted entries closed), openAfterClose after
	// the strategy's own cleanup (clientcache: Cache.Close).
	clientsBuilt, openAtEnd, openAfterClose, peakHeapBytes int64
	p50, p99, elapsed                                      time.Duration
}

// strategy hands out a tenant's clients: S3 first, then the others asked for.
type strategy interface {
	clients(ctx context.Context, tenant int) ([]any, error)
	built() int64
	close()
	// closesPools reports whether close closes the strategy's connection
	// pools: the run then waits for the servers to see every connection
	// closed, instead of a fixed moment.
	closesPools() bool
}

// credentialsOf returns a client's credentials provider.
func credentialsOf(client any) aws.CredentialsProvider {
	switch c := client.(type) {
	case *s3.Client:
		return c.Options().Credentials
	case *dynamodb.Client:
		return c.Options().Credentials
	case *sqs.Client:
		return c.Options().Credentials
	}
	return nil
}

// run runs the three strategies. It first sets the AWS settings of the
// environment aside (fakeaws.IsolateEnv): they are the caller's, not the
// demo's.
func run(ctx context.Context, s settings) ([]result, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if err := fakeaws.IsolateEnv(); err != nil {
		return nil, err
	}
	type named struct {
		name     string
		requests int
		make     func(w *fakeaws.World) (strategy, error)
	}
	all := []named{
		{"client per request", s.naiveRequests, func(w *fakeaws.World) (strategy, error) { return &perRequest{w: w, services: s.services}, nil }},
		{"hand-rolled map", s.requests, func(w *fakeaws.World) (strategy, error) {
			return &handRolled{w: w, services: s.services, m: map[string]any{}}, nil
		}},
		{fmt.Sprintf("clientcache (%v, %d)", s.policy, s.size), s.requests, func(w *fakeaws.World) (strategy, error) {
			return newCached(w, s)
		}},
	}
	var out []result
	for _, n := range all {
		if n.requests == 0 {
			continue
		}
		r, err := runOne(ctx, s, n.name, n.requests, n.make)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// closeWait is how long a strategy that closes its pools is given for its
// connections to close (their readers noticing) before the demo fails.
var closeWait = 10 * time.Second

func runOne(ctx context.Context, s settings, name string, requests int, mk func(*fakeaws.World) (strategy, error)) (result, error) {
	w, err := fakeaws.NewWorld("bucket")
	if err != nil {
		return result{}, err
	}
	defer w.Close()
	w.STS.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior { return fakeaws.Behavior{Delay: s.stsLatency} })
	st, err := mk(w)
	if err != nil {
		return result{}, err
	}
	defer st.close()

	settleHeap()
	stopHeap := sampleHeap()
	var done atomic.Int64
	stopBar := progressBar(s.progress, name, &done, int64(requests))
	latencies := make([][]time.Duration, s.workers)
	errs := make(chan error, s.workers)
	start := time.Now()
	var wg sync.WaitGroup
	for wk := range s.workers {
		n := requests / s.workers
		if wk < requests%s.workers {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			zipf := rand.NewZipf(rand.New(rand.NewPCG(uint64(wk), 11)), s.skew, 1, uint64(s.tenants-1))
			for range n {
				tenant := int(zipf.Uint64())
				t0 := time.Now()
				clients, err := st.clients(ctx, tenant)
				// Each service's request would sign with its client's
				// credentials: fetch them (from its credentials cache).
				for _, cl := range clients {
					if err == nil {
						_, err = credentialsOf(cl).Retrieve(ctx)
					}
				}
				if err == nil {
					_, err = clients[0].(*s3.Client).PutObject(ctx, &s3.PutObjectInput{
						Bucket: aws.String("bucket"),
						// One object per tenant, overwritten: the fake S3
						// runs in this process, and a key per request
						// made its store grow by 16 MB over 10,000
						// requests, counted in the strategy's peak heap.
						Key:  aws.String(fmt.Sprintf("tenant-%d/object", tenant)),
						Body: strings.NewReader("hello"),
					})
				}
				if err != nil {
					errs <- err
					return
				}
				latencies[wk] = append(latencies[wk], time.Since(t0))
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopBar()
	peak := stopHeap()
	close(errs)
	if err := <-errs; err != nil {
		return result{}, err
	}
	time.Sleep(100 * time.Millisecond) // let the servers see closed connections
	openAtEnd := w.S3.OpenConnections() + w.STS.OpenConnections()
	st.close() // idempotent: the deferred call does nothing more
	openAfterClose := func() int64 { return w.S3.OpenConnections() + w.STS.OpenConnections() }
	if st.closesPools() {
		// However loaded the machine, until the servers have seen them
		// close (a bound only against a strategy that leaks).
		for deadline := time.Now().Add(closeWait); openAfterClose() != 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		// What the demo shows of such a strategy (and its footer says):
		// if it does not hold, say so and fail, rather than print the
		// count beside a footer claiming the pools were closed.
		if n := openAfterClose(); n != 0 {
			return result{}, fmt.Errorf("%d connections still open after closing its connection pools (waited %v)", n, closeWait)
		}
	} else {
		time.Sleep(100 * time.Millisecond)
	}
	all := slices.Concat(latencies...)
	slices.Sort(all)
	return result{
		name:            name,
		requests:        int64(len(all)),
		credentialCalls: w.STS.Calls(),
		handshakes:      w.S3.Handshakes() + w.STS.Handshakes(),
		clientsBuilt:    st.built(),
		openAtEnd:       openAtEnd,
		openAfterClose:  openAfterClose(),
		peakHeapBytes:   peak,
		p50:             nearestRank(all, 0.50),
		p99:             nearestRank(all, 0.99),
		elapsed:         elapsed,
	}, nil
}

// nearestRank returns the q-quantile of the sorted, non-empty latencies by
// the nearest-rank method: the smallest value with at least q of them at or
// below it.
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

var serviceNames = []string{"s3", "dynamodb", "sqs"}

// perRequest builds everything for every request, as code without a cache
// does: a config (with its own transport and credentials cache, so an
// AssumeRole call) and the service clients.
type perRequest struct {
	w        *fakeaws.World
	services int
	n        atomic.Int64
}

func (p *perRequest) clients(ctx context.Context, tenant int) ([]any, error) {
	cfg, err := p.w.TenantConfig(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []any
	for _, svc := range serviceNames[:p.services] {
		out = append(out, build(cfg, svc, p.w))
		p.n.Add(1)
	}
	return out, nil
}

func (p *perRequest) built() int64      { return p.n.Load() }
func (p *perRequest) close()            {}
func (p *perRequest) closesPools() bool { return false }

// handRolled is the cache found in public code: a map under one mutex, keyed
// by tenant and service, unbounded, each client loaded with its own config
// (so its own credentials: one AssumeRole per service), built while holding
// the lock.
type handRolled struct {
	w        *fakeaws.World
	services int
	mu       sync.Mutex
	m        map[string]any
	n        atomic.Int64
}

func (h *handRolled) clients(ctx context.Context, tenant int) ([]any, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []any
	for _, svc := range serviceNames[:h.services] {
		k := fmt.Sprint(tenant, "/", svc)
		c, ok := h.m[k]
		if !ok {
			cfg, err := h.w.TenantConfig(ctx, tenant)
			if err != nil {
				return nil, err
			}
			c = build(cfg, svc, h.w)
			h.m[k] = c
			h.n.Add(1)
		}
		out = append(out, c)
	}
	return out, nil
}

func (h *handRolled) built() int64      { return h.n.Load() }
func (h *handRolled) close()            {}
func (h *handRolled) closesPools() bool { return false }

func build(cfg aws.Config, service string, w *fakeaws.World) any {
	switch service {
	case "s3":
		return s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(w.S3.URL())
			o.UsePathStyle = true
		})
	case "dynamodb":
		return dynamodb.NewFromConfig(cfg)
	}
	return sqs.NewFromConfig(cfg)
}

// cached is clientcache.
type cached struct {
	w *fakeaws.World
	c *clientcache.Cache
	s settings
}

func newCached(w *fakeaws.World, s settings) (*cached, error) {
	c, err := clientcache.New(clientcache.Options{MaxConfigs: s.size, MaxClients: s.size * s.services, Policy: s.policy})
	if err != nil {
		return nil, err
	}
	return &cached{w: w, c: c, s: s}, nil
}

func (c *cached) clients(ctx context.Context, tenant int) ([]any, error) {
	keys, err := c.w.TenantKeys(tenant)
	if err != nil {
		return nil, err
	}
	s3c, err := clientcache.Client(ctx, c.c, keys.S3, s3.NewFromConfig)
	if err != nil {
		return nil, err
	}
	out := []any{s3c}
	if c.s.services > 1 {
		d, err := clientcache.Client(ctx, c.c, keys.DynamoDB, dynamodb.NewFromConfig)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if c.s.services > 2 {
		q, err := clientcache.Client(ctx, c.c, keys.SQS, sqs.NewFromConfig)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

func (c *cached) built() int64      { return int64(c.c.Stats().ClientBuilds) }
func (c *cached) close()            { _ = c.c.Close() }
func (c *cached) closesPools() bool { return true }

// settleHeap collects garbage until the live heap stops shrinking (at most
// 10 times), so that the peak of the next strategy starts from a heap that
// holds nothing of the previous one: what a strategy leaves (its pools,
// connections and buffers, dropped when its servers close) survives one
// collection (sync.Pool's victim cache, objects kept for finalizers), and a
// single runtime.GC left 12 to 24 MB of it live at the next one's first
// sample.
func settleHeap() {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	prev := uint64(math.MaxUint64)
	for range 10 {
		runtime.GC()
		metrics.Read(sample)
		v := sample[0].Value.Uint64()
		if v >= prev {
			return
		}
		prev = v
	}
}

// sampleHeap samples the live heap (as the last garbage collection found
// it: /gc/heap/live:bytes) until the returned function is called, which
// returns the peak in bytes. Not the heap's objects
// (/memory/classes/heap/objects:bytes), which count the garbage not yet
// collected too, and made the column mostly a measure of what a strategy
// allocates and throws away.
func sampleHeap() func() int64 {
	var peak atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := int64(sample[0].Value.Uint64()); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		return peak.Load()
	}
}

// progressBar draws the progress of one strategy on w until stopped.
func progressBar(w io.Writer, name string, done *atomic.Int64, total int64) func() {
	if w == nil {
		return func() {}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	draw := func() {
		const width = 30
		d := done.Load()
		filled := int(d * width / total)
		fmt.Fprintf(w, "\r  %-24s [%s%s] %6d/%d", name, strings.Repeat("#", filled), strings.Repeat(".", width-filled), d, total)
	}
	go func() {
		defer close(finished)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			draw()
			select {
			case <-stop:
				draw()
				fmt.Fprintln(w)
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(stop); <-finished }
}

func printTable(w io.Writer, s settings, results []result) {
	fmt.Fprintf(w, "\n%d tenants (Zipf %v), %d service clients per request, %d goroutines, STS latency %v, GOMAXPROCS %d\n\n",
		s.tenants, s.skew, s.services, s.workers, s.stsLatency, runtime.GOMAXPROCS(0))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "strategy\trequests\tcredential calls\tTLS handshakes\tclients built\tp50\tp99\tpeak live heap\topen conns at end\tafter close\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%v\t%v\t%.1f MB\t%d\t%d\t\n", r.name, r.requests, r.credentialCalls, r.handshakes,
			r.clientsBuilt, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), float64(r.peakHeapBytes)/(1<<20), r.openAtEnd, r.openAfterClose)
	}
	tw.Flush()
	fmt.Fprintln(w)
	switch {
	case s.naiveRequests == 0: // it did not run
	case s.naiveRequests < s.requests:
		fmt.Fprintln(w, "The client-per-request strategy runs fewer requests (-naive-requests): each leaves its connections idle for 90 s.")
	default:
		fmt.Fprintln(w, "The client-per-request strategy leaves the connections of each request idle for 90 s.")
	}
	fmt.Fprintln(w, "Open conns at end: seen open by the servers when the run ends; after close: once the strategy is shut down (only clientcache closes its pools).")
	fmt.Fprintln(w, "Peak live heap is the process's: it includes the fake S3 and STS servers running in it (their end of each open connection, and the requests they log).")
}
