package clientcache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/concurrent"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/internal/testclock"
	"github.com/clientcache/clientcache/internal/testwait"
	"github.com/clientcache/clientcache/keys"
)

// stressIdentity is one config identity of the lifecycle stress test, with
// its S3 client key and the object prefix its requests write under.
type stressIdentity struct {
	name   string
	cfg    keys.Config
	s3     keys.Client
	prefix string
}

// stressIdentities returns, against w: two tenants' roles assumed from the
// service's static credentials, those static credentials themselves (the
// tenants' source identity), and a role chained from tenant 1's role (whose
// source identity is that role, unlabelled). With named set, every key names
// the load options "refresh" (which the caller registers).
func stressIdentities(t *testing.T, w *world, named string) []stressIdentity {
	t.Helper()
	base, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSERVICEBASE", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	role := func(source keys.Credentials, arn, ext string) keys.Credentials {
		in := keys.AssumeRoleInput{Source: source, RoleARN: arn, SessionName: "stress", STSRegion: "us-east-1", STSEndpoint: w.sts.URL()}
		if ext != "" {
			in.ExternalID = keys.NewSecret(ext)
		}
		r, err := keys.AssumeRoleCredentials(in)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tenant1 := role(base, roleARN(1), externalIDOf+"1")
	creds := []struct {
		name  string
		creds keys.Credentials
		label string
	}{
		{"tenant-0", role(base, roleARN(0), externalIDOf+"0"), "0"},
		{"tenant-1", tenant1, "1"},
		{"base", base, ""},
		{"chained", role(tenant1, "arn:aws:iam::123456789012:role/chained", ""), ""},
	}
	var ids []stressIdentity
	for _, c := range creds {
		in := keys.ConfigInput{
			Region:                     "us-east-1",
			CABundle:                   w.ca,
			RetryMaxAttempts:           1,
			RequestChecksumCalculation: keys.ChecksumWhenRequired,
			ResponseChecksumValidation: keys.ChecksumWhenRequired,
			Credentials:                c.creds,
			Name:                       named,
		}
		if c.label != "" {
			in.Labels = []keys.Label{{Key: "tenant", Value: c.label}}
		}
		cfg, err := keys.NewConfig(in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, stressIdentity{c.name, cfg, w.s3Key(t, cfg), c.name + "/"})
	}
	return ids
}

// lockedBuffer is a bytes.Buffer safe for the cache's concurrent logging.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLifecycleUnderStress: goroutines mix every call of the root package
// (Client, Derived, Config with a client built on it, GetClient, AddClient,
// PopClient, DeleteClient, DeleteConfig) with real S3 requests through the
// clients they get and through clients they kept from earlier rounds
// (evicted since, maybe), for assumed roles, their source identity and a
// chained role, with bounds of 2 or 3 so that evictions happen all the
// time, and Close comes while they run. No call hangs; before Close nothing
// fails; after it, a call fails only with ErrClosed (or the Close-cancelled
// load's context.Canceled), and a request only with ErrClosed (a refresh
// that began while Close ran); no error and no log line holds a secret;
// once everything is done no connection to S3 or STS stays open and every
// pool loaded is released once. The seed is fixed per run
// (CLIENTCACHE_STRESS_SEED overrides it).
func TestLifecycleUnderStress(t *testing.T) {
	seed := uint64(1)
	if s := os.Getenv("CLIENTCACHE_STRESS_SEED"); s != "" {
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name    string
		http2   bool
		policy  clientcache.Policy
		refresh bool // every use of a role's credentials refreshes them
		flaky   bool // STS fails or stalls some calls, under a LoadTimeout
	}{
		{"HTTP1/LRU", false, clientcache.LRU, false, false},
		{"HTTP2/LFU", true, clientcache.LFU, false, false},
		{"HTTP1/LRU/refresh", false, clientcache.LRU, true, false},
		{"HTTP2/LRU/refresh", true, clientcache.LRU, true, false},
		{"HTTP1/LFU/refresh/flaky", false, clientcache.LFU, true, true},
		{"HTTP2/LRU/refresh/flaky", true, clientcache.LRU, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lifecycleUnderStress(t, seed, tc.http2, tc.policy, tc.refresh, tc.flaky)
		})
	}
}

// stressBody is a request body that waits, before its first read, until
// Close has begun or a moment has passed, so that requests are in flight
// when Close comes.
type stressBody struct {
	r       *strings.Reader
	closing <-chan struct{}
	wait    time.Duration
	waited  bool
}

func (b *stressBody) Read(p []byte) (int, error) {
	if !b.waited {
		b.waited = true
		select {
		case <-b.closing:
		case <-time.After(b.wait):
		}
	}
	return b.r.Read(p)
}

// cutByCancel reports whether err is S3's answer to a request whose body
// was cut (IncompleteBody): what a caller that gives up on a request
// before its body is sent may get instead of its context's error. net/http
// cancels an HTTP/1.1 request by closing its connection; over TLS the close
// sends a close_notify alert first, the server reads the end of the body
// there and answers at once, and if that answer comes in before the
// connection is shut net/http returns it ("The pconn closing raced with
// the response to the request": persistConn.roundTrip in
// net/http/transport.go). Seen in the HTTP1/LFU/refresh/flaky case under
// -race (6 times in about 150 runs beside other work, once in about 290 on
// a quiet machine).
func cutByCancel(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "IncompleteBody"
}

func lifecycleUnderStress(t *testing.T, seed uint64, http2 bool, policy clientcache.Policy, refresh, flaky bool) {
	rounds := 40
	if testing.Short() || raceEnabled {
		rounds = 15
	}
	const workers = 6
	t.Logf("seed %d (CLIENTCACHE_STRESS_SEED)", seed)
	w := newWorldOver(t, http2)
	var logs lockedBuffer
	o := clientcache.Options{
		MaxConfigs: 2 + int(seed%2), MaxClients: 2 + int(seed/2%2), MaxDerived: 2,
		Policy: policy,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	named := ""
	if refresh {
		// Credentials whose expiry window is longer than their life: each
		// request through a role's client refreshes them (an AssumeRole).
		named = "refresh"
		o.LoadOptions = map[string][]func(*config.LoadOptions) error{named: {
			config.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 2 * time.Hour }),
		}}
	}
	if flaky {
		o.LoadTimeout = 300 * time.Millisecond
		var mu sync.Mutex
		rng := mathrand.New(mathrand.NewPCG(seed, 99))
		w.sts.SetBehavior(func(fakeaws.AssumeRoleRequest) fakeaws.Behavior {
			mu.Lock()
			defer mu.Unlock()
			switch rng.IntN(10) {
			case 0:
				return fakeaws.Behavior{Fail: "Throttling"}
			case 1:
				return fakeaws.Behavior{Fail: "AccessDenied"}
			case 2:
				return fakeaws.Behavior{Delay: time.Second}
			}
			return fakeaws.Behavior{}
		})
	}
	const idle = time.Minute
	clock := testclock.New()
	if seed%3 == 0 {
		// Evictions of the idle too, as the workers move the clock.
		o = clientcache.WithClock(o, clock)
		o.IdleTimeout = idle
	}
	c := newUnclosedCache(t, o)
	ids := stressIdentities(t, w, named)
	hold := func(cl *s3.Client) (*s3Holder, error) { return &s3Holder{cl}, nil }
	s3Opts := func(o *s3.Options) {
		o.BaseEndpoint = aws.String(w.s3.URL())
		o.UsePathStyle = true
	}

	var (
		closing, closed atomic.Bool
		roundsDone      atomic.Int64
		closeAfter      = int64(workers*rounds/2) + int64(seed%uint64(workers*rounds/3))
		closeErr        = make(chan error, 1)
		added           atomic.Uint64 // clients AddClient cached
		failures        sync.Map      // first failure of each kind, named, without secrets
	)
	// leaked names the secret text holds: the world's own, or one its STS
	// issued (never the secret itself).
	leaked := func(text string) string {
		if s := secretIn(text); s != "" {
			return s
		}
		if w.sts.HoldsIssuedSecret(text) {
			return "a secret STS issued"
		}
		return ""
	}
	fail := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if s := leaked(msg); s != "" {
			msg = "(a failure message holding " + s + ")"
		}
		t.Error(msg)
	}
	// check judges err from a call (what) made before or after Close began.
	check := func(g, i int, what string, err error, closingBefore, closedBefore bool) bool {
		if err == nil {
			return true
		}
		text := err.Error()
		if s := leaked(text); s != "" {
			fail("worker %d round %d: %s: an error of %d bytes holds %s", g, i, what, len(text), s)
			return false
		}
		if text == "" {
			fail("worker %d round %d: %s: an error with no text (%T)", g, i, what, err)
			return false
		}
		request := strings.HasPrefix(what, "a ")
		if closing.Load() && (errors.Is(err, clientcache.ErrClosed) && !(request && closedBefore) || !closingBefore && errors.Is(err, context.Canceled)) {
			return false
		}
		if flaky {
			// STS's refusals, and the calls it stalled past the bound.
			timedOut := errors.Is(err, context.DeadlineExceeded) && strings.Contains(text, "Options.LoadTimeout")
			if timedOut || strings.Contains(text, "Throttling") || strings.Contains(text, "AccessDenied") {
				return false
			}
		}
		if _, dup := failures.LoadOrStore(what, true); !dup {
			fail("worker %d round %d: %s (closing %v): %v", g, i, what, closing.Load(), err)
		}
		return false
	}

	closingCh := make(chan struct{})
	startClose := func() {
		closing.Store(true)
		close(closingCh)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rng := mathrand.New(mathrand.NewPCG(seed, uint64(g)))
			ctx := context.Background()
			var kept []*s3.Client
			// A few rounds more after Close: the kept clients go on.
			for i := range rounds + 4 {
				if i >= rounds && !closed.Load() {
					break
				}
				id := ids[rng.IntN(len(ids))]
				wasClosing, wasClosed := closing.Load(), closed.Load()
				var cl *s3.Client
				var err error
				var what string
				switch op := rng.IntN(20); {
				case op < 6:
					what = "Client"
					cl, err = clientcache.Client(ctx, c, id.s3, s3.NewFromConfig)
				case op < 8 && rng.IntN(2) == 0:
					// A build that sends a request through its client.
					what = "Derived (a request)"
					obj := fmt.Sprintf("%sbuild-w%d-r%d", id.prefix, g, i)
					var h *s3Holder
					if h, err = clientcache.Derived(ctx, c, id.s3, s3.NewFromConfig, "checked-holder", func(cl *s3.Client) (*s3Holder, error) {
						return &s3Holder{cl}, put(ctx, cl, obj, obj)
					}); err == nil {
						cl = h.c
					}
				case op < 10:
					what = "Derived"
					var h *s3Holder
					if h, err = clientcache.Derived(ctx, c, id.s3, s3.NewFromConfig, "holder", hold); err == nil {
						cl = h.c
					}
				case op < 12:
					what = "Config"
					var cfg aws.Config
					if cfg, err = c.Config(ctx, id.cfg); err == nil {
						cl = s3.NewFromConfig(cfg, s3Opts)
						if rng.IntN(2) == 0 {
							what = "AddClient"
							if err = clientcache.AddClient(c, id.s3, cl); err == nil {
								added.Add(1)
							} else if errors.Is(err, clientcache.ErrExists) {
								err = nil
							}
						}
					}
				case op < 14:
					what = "GetClient"
					cl, _ = clientcache.GetClient[*s3.Client](c, id.s3)
				case op < 15:
					what = "PopClient"
					if cl, err = clientcache.PopClient[*s3.Client](c, id.s3); errors.Is(err, clientcache.ErrNotFound) {
						err = nil
					}
				case op < 16:
					clientcache.DeleteClient[*s3.Client](c, id.s3)
				case op < 17:
					c.DeleteConfig(id.cfg)
				case op < 18:
					// A caller whose wait ends: the load goes on for the others.
					what = "Client (cancelled)"
					cctx, cancel := context.WithCancel(ctx)
					if rng.IntN(2) == 0 {
						cancel()
					}
					cl, err = clientcache.Client(cctx, c, id.s3, s3.NewFromConfig)
					cancel()
					if errors.Is(err, context.Canceled) {
						err = nil
					}
				case op < 19:
					clock.Advance(idle / 2)
				default:
					_ = c.Len() + c.ConfigLen()
					for range c.Keys() {
					}
					for range c.ConfigKeys() {
					}
					_ = c.Stats()
					_ = c.String()
				}
				if !check(g, i, what, err, wasClosing, wasClosed) {
					cl = nil
				}
				if wasClosed && cl != nil {
					fail("worker %d round %d: %s handed out a client after Close returned", g, i, what)
				}
				if cl != nil && rng.IntN(3) == 0 {
					kept = append(kept, cl)
				}
				use := []*s3.Client{cl}
				if len(kept) > 0 {
					use = append(use, kept[rng.IntN(len(kept))])
				}
				for j, u := range use {
					if u == nil {
						continue
					}
					obj := fmt.Sprintf("%sw%d-r%d-%d", id.prefix, g, i, j)
					wasClosing, wasClosed := closing.Load(), closed.Load()
					rctx, cancel := ctx, context.CancelFunc(func() {})
					var body io.Reader = strings.NewReader(obj)
					switch rng.IntN(8) {
					case 0: // a request in flight when Close comes, maybe
						body = &stressBody{r: strings.NewReader(obj), closing: closingCh, wait: time.Duration(rng.IntN(20)) * time.Millisecond}
					case 1: // a caller that gives up on its request
						body = &stressBody{r: strings.NewReader(obj), closing: make(chan struct{}), wait: 20 * time.Millisecond}
						rctx, cancel = context.WithCancel(ctx)
						time.AfterFunc(time.Duration(rng.IntN(20))*time.Millisecond, cancel)
					}
					_, err := u.PutObject(rctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(obj), Body: body, ContentLength: aws.Int64(int64(len(obj)))})
					cancel()
					if rctx != ctx && (errors.Is(err, context.Canceled) || cutByCancel(err)) {
						continue
					}
					if !check(g, i, "a PutObject", err, wasClosing, wasClosed) {
						continue
					}
					got, err := get(ctx, u, obj)
					if check(g, i, "a GetObject", err, wasClosing, wasClosed) && got != obj {
						fail("worker %d round %d: read %q back, wrote %q", g, i, got, obj)
					}
				}
				if roundsDone.Add(1) == closeAfter {
					go func() {
						startClose()
						closeErr <- c.Close()
						closed.Store(true)
					}()
				}
			}
		}()
	}
	close(start)
	done := make(chan struct{})
	go func() { wg.Wait(); done <- struct{}{} }()
	select {
	case <-done:
	case <-time.After(6 * testwait.Hang):
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("the workers hang; goroutines:\n%s", buf[:n])
	}
	if !closing.Load() {
		startClose()
		closeErr <- c.Close()
		closed.Store(true)
	}
	select {
	case err := <-closeErr:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(6 * testwait.Hang):
		t.Fatal("Close hangs")
	}
	if err := c.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	if t.Failed() {
		return
	}
	if c.Len() != 0 || c.ConfigLen() != 0 {
		t.Fatalf("after Close: %d clients, %d configs cached", c.Len(), c.ConfigLen())
	}
	st := c.Stats()
	t.Logf("configs %d loads %d errors, clients %d loads, derived %d loads, %d pools released, %d credential calls",
		st.Configs.Loads, st.Configs.LoadErrors, st.Clients.Loads, st.Derived.Loads, st.PoolsReleased, st.CredentialCalls)
	if st.PoolsReleased < int64(st.Configs.Loads) || st.PoolsReleased > int64(st.Configs.Loads+st.Configs.LoadErrors) {
		t.Errorf("%d configs loaded (one pool each) and %d failed, %d pools released", st.Configs.Loads, st.Configs.LoadErrors, st.PoolsReleased)
	}
	// Every value that entered an engine (a load's, an added client) left
	// it once, for some cause, by now.
	removed := func(s concurrent.Stats) (n uint64) {
		for cause := concurrent.Explicit; cause <= concurrent.Discarded; cause++ {
			n += s.Removed(cause)
		}
		return n
	}
	for _, e := range []struct {
		name    string
		s       concurrent.Stats
		entered uint64
	}{{"configs", st.Configs, st.Configs.Loads}, {"clients", st.Clients, st.Clients.Loads + added.Load()}, {"derived", st.Derived, st.Derived.Loads}} {
		if removed(e.s) != e.entered || e.s.Len != 0 {
			t.Errorf("%s: %d entered (loads, adds), %d removed, %d left", e.name, e.entered, removed(e.s), e.s.Len)
		}
	}
	if st.ClientBuilds != st.Clients.Loads {
		t.Errorf("%d client builds counted, %d client loads", st.ClientBuilds, st.Clients.Loads)
	}
	testwait.Until(t, "every S3 connection to close after Close, once every request is done", func() bool { return w.s3.OpenConnections() == 0 })
	testwait.Until(t, "every STS connection to close after Close", func() bool { return w.sts.OpenConnections() == 0 })
	if s := leaked(logs.String()); s != "" {
		t.Errorf("the cache's debug log holds %s", s)
	}
}
