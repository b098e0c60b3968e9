package clientcache_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/keys"
)

// BenchmarkClientHit is Client for a client already cached, beside GetClient
// for the same key, the lookup alone: what Client's argument checks (nil
// cache, constructor, options, service of the constructor and of the client
// type, named load options, the key's value options) add to a hit.
//
//	go test -run '^$' -bench ClientHit -count 6 . | go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /impl -
func BenchmarkClientHit(b *testing.B) {
	c, key := cachedS3Client(b)
	ctx := context.Background()
	b.Run("impl=GetClient", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := clientcache.GetClient[*s3.Client](c, key); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("impl=Client", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := clientcache.Client(ctx, c, key, s3.NewFromConfig); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A key with value options (a region, an endpoint and four S3
	// options), whose fields a hit checks on the client's Options type.
	opts, err := keys.NewClient(keys.ClientInput{Config: staticIdentity(b, 1), Service: "s3", Region: "eu-west-1", Endpoint: "https://s3.example.com",
		S3: keys.S3Options{UsePathStyle: true, UseARNRegion: keys.Enabled, DisableS3Express: keys.Enabled, DisableMultiRegionAccessPoints: keys.Enabled}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := clientcache.Client(ctx, c, opts, s3.NewFromConfig); err != nil {
		b.Fatal(err)
	}
	b.Run("impl=Client+options", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := clientcache.Client(ctx, c, opts, s3.NewFromConfig); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestClientHitAllocations: a Client hit, and a Derived hit, for a key
// without value options allocate nothing. Client used to allocate its loader
// closure on every call, before the lookup (the engine's LoadMissed lets it
// make the closure on a miss only); earlier still, each call also built the
// function applying the key's value options (none), four strings naming its
// parameters, and two more from looking the client type's Options method up.
func TestClientHitAllocations(t *testing.T) {
	c, key := cachedS3Client(t)
	ctx := context.Background()
	if n := testing.AllocsPerRun(100, func() {
		if _, err := clientcache.Client(ctx, c, key, s3.NewFromConfig); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("a Client hit allocates %v times, want 0", n)
	}
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	if _, err := clientcache.Derived(ctx, c, key, s3.NewFromConfig, "presign", presign); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		if _, err := clientcache.Derived(ctx, c, key, s3.NewFromConfig, "presign", presign); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("a Derived hit allocates %v times, want 0", n)
	}
	// One miss each (cachedS3Client's Client, the first Derived, and the
	// Derived's own Client call, a hit), each counted once.
	if st := c.Stats(); st.Clients.Misses != 1 || st.Derived.Misses != 1 || st.Configs.Misses != 1 {
		t.Errorf("stats: %d config, %d client, %d derived misses; want 1 each", st.Configs.Misses, st.Clients.Misses, st.Derived.Misses)
	}
}

// TestClientHitWithClientOptionsAllocations: a Client hit, and a Derived
// hit, for keys with per-client value options (region, endpoint, the S3 and
// DynamoDB options) and named optFns, passed as a caller writes them, allocate
// nothing. Every call, hits included, used to build the function applying
// the key's value options, only to check the fields it sets and drop it:
// a slice of settings (grown by append), a path slice and a boxed value per
// option, and the closure (4 allocations for a region alone, 6 with
// DynamoDB's endpoint discovery, 14 with an endpoint and four S3 options);
// and optFns escaped through the loader closure, so the array of a variadic
// call was allocated on the heap (13 for the named key, Client or Derived).
func TestClientHitWithClientOptionsAllocations(t *testing.T) {
	c, err := clientcache.New(clientcache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	cfg := staticIdentity(t, 1)
	newKey := func(in keys.ClientInput) keys.Client {
		t.Helper()
		in.Config = cfg
		k, err := keys.NewClient(in)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	appID := func(o *s3.Options) { o.AppID = "alloc-test" }
	retries := func(o *s3.Options) { o.RetryMaxAttempts = 2 }
	presign := func(cl *s3.Client) (*s3.PresignClient, error) { return s3.NewPresignClient(cl), nil }
	s3Opts := keys.S3Options{UsePathStyle: true, UseARNRegion: keys.Enabled, DisableS3Express: keys.Enabled, DisableMultiRegionAccessPoints: keys.Enabled}
	region := newKey(keys.ClientInput{Service: "s3", Region: "eu-west-1"})
	all := newKey(keys.ClientInput{Service: "s3", Region: "eu-west-1", Endpoint: "https://s3.example.com", S3: s3Opts})
	named := newKey(keys.ClientInput{Service: "s3", Region: "eu-west-1", S3: s3Opts, Name: "app-id-and-retries"})
	ddb := newKey(keys.ClientInput{Service: "dynamodb", Region: "eu-west-1", DynamoDB: keys.DynamoDBOptions{EndpointDiscovery: keys.EndpointDiscoveryEnabled}})
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"Client/region", func() error { _, err := clientcache.Client(ctx, c, region, s3.NewFromConfig); return err }},
		{"Client/region+endpoint+s3", func() error { _, err := clientcache.Client(ctx, c, all, s3.NewFromConfig); return err }},
		{"Client/dynamodb", func() error { _, err := clientcache.Client(ctx, c, ddb, dynamodb.NewFromConfig); return err }},
		{"Client/named", func() error {
			_, err := clientcache.Client(ctx, c, named, s3.NewFromConfig, appID, retries)
			return err
		}},
		{"Derived/named", func() error {
			_, err := clientcache.Derived(ctx, c, named, s3.NewFromConfig, "presign", presign, appID, retries)
			return err
		}},
	} {
		if err := tc.call(); err != nil { // the miss
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n := testing.AllocsPerRun(100, func() {
			if err := tc.call(); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}); n != 0 {
			t.Errorf("a %s hit allocates %v times, want 0", tc.name, n)
		}
	}
	// The options reached the clients built.
	cl, err := clientcache.Client(ctx, c, named, s3.NewFromConfig, appID, retries)
	if err != nil {
		t.Fatal(err)
	}
	if o := cl.Options(); o.Region != "eu-west-1" || !o.UsePathStyle || !o.UseARNRegion || !o.DisableMultiRegionAccessPoints ||
		!aws.ToBool(o.DisableS3ExpressSessionAuth) || o.AppID != "alloc-test" || o.RetryMaxAttempts != 2 {
		t.Errorf("the named key's client options were not all applied: region %q, path style %t, ARN region %t, MRAP disabled %t, S3 Express disabled %t, app ID %q, max attempts %d",
			o.Region, o.UsePathStyle, o.UseARNRegion, o.DisableMultiRegionAccessPoints, aws.ToBool(o.DisableS3ExpressSessionAuth), o.AppID, o.RetryMaxAttempts)
	}
	if d, err := clientcache.Client(ctx, c, ddb, dynamodb.NewFromConfig); err != nil || d.Options().EndpointDiscovery.EnableEndpointDiscovery != aws.EndpointDiscoveryEnabled {
		t.Errorf("the DynamoDB key's endpoint discovery was not applied (error %v)", err)
	}
	if st := c.Stats(); st.Clients.Misses != 4 || st.Derived.Misses != 1 {
		t.Errorf("stats: %d client, %d derived misses; want 4 and 1", st.Clients.Misses, st.Derived.Misses)
	}
}

// cachedS3Client returns a cache holding the S3 client of a static identity,
// and its key.
func cachedS3Client(t testing.TB) (*clientcache.Cache, keys.Client) {
	c, err := clientcache.New(clientcache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	key := serviceKey(t, staticIdentity(t, 1), "s3")
	if _, err := clientcache.Client(context.Background(), c, key, s3.NewFromConfig); err != nil {
		t.Fatal(err)
	}
	return c, key
}

// BenchmarkPoolRequest is a GET (with a context that never ends, and one
// that can), and a PUT of 1 KiB, through an identity's
// pool (the HTTP client of a config the cache loaded) to a loopback HTTP/1.1
// server, the connection kept alive between requests, beside the same
// requests through a plain net/http Transport of the same settings: what the
// pool adds to a request (counting it in flight, wrapping its response body
// and, for a PUT, its request body). The PUT's body is a reader net/http
// does not know, as the SDK sends it (body=stream), or a *bytes.Reader
// (body=memory), whose headers and body net/http writes together, unless
// the body is wrapped, as the pool wraps it: then it writes the headers
// first.
//
//	go test -run '^$' -bench PoolRequest -count 6 . | go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /impl -row /method,/ctx,/body -
func BenchmarkPoolRequest(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte("x"))
	}))
	b.Cleanup(srv.Close)
	pool, _ := identityHTTPClient(b, nil)
	plainTransport := clientcache.PoolTransport(pool).Clone()
	plainTransport.DialContext = new(net.Dialer).DialContext // not the pool's, which tracks its connections
	b.Cleanup(plainTransport.CloseIdleConnections)
	plain := &http.Client{Transport: plainTransport}
	payload := bytes.Repeat([]byte("x"), 1024)
	// A request whose context can end (as an SDK operation's under a
	// caller's deadline) costs the pool a context.AfterFunc more.
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	for _, method := range []string{"GET", "GET/ctx=cancellable", "PUT/body=stream", "PUT/body=memory"} {
		for _, impl := range []struct {
			name string
			hc   *http.Client
		}{{"net/http", plain}, {"pool", pool}} {
			b.Run("method="+method+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					m, body, length := http.MethodGet, io.Reader(nil), int64(0)
					switch method {
					case "PUT/body=stream":
						m, body, length = http.MethodPut, struct{ io.Reader }{bytes.NewReader(payload)}, int64(len(payload))
					case "PUT/body=memory":
						m, body, length = http.MethodPut, bytes.NewReader(payload), int64(len(payload))
					}
					rctx := context.Background()
					if method == "GET/ctx=cancellable" {
						rctx = ctx
					}
					req, err := http.NewRequestWithContext(rctx, m, srv.URL, body)
					if err != nil {
						b.Fatal(err)
					}
					req.ContentLength = length // as the SDK sets it
					resp, err := impl.hc.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.Copy(io.Discard, resp.Body); err != nil {
						b.Fatal(err)
					}
					resp.Body.Close()
				}
			})
		}
	}
}
