package clientcache_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/internal/testwait"
	"github.com/clientcache/clientcache/keys"
)

// sessionToken is the session token of redirectIdentity; no output may
// contain it.
const sessionToken = "session-token-5be1c0de"

// redirectIdentity is an S3 client identity signing with a session token,
// trusting the endpoints' certificate, sending to endpoint.
func redirectIdentity(t *testing.T, ca []byte, endpoint string) keys.Client {
	t.Helper()
	creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "ASIAREDIRECT", SecretAccessKey: keys.NewSecret(baseSecret), SessionToken: keys.NewSecret(sessionToken)})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", CABundle: ca, RetryMaxAttempts: 1, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.NewClient(keys.ClientInput{Config: cfg, Service: "s3", Endpoint: endpoint, S3: keys.S3Options{UsePathStyle: true}})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRedirectNeverSendsTheSessionTokenToAnotherHost pins a leak: the
// redirect policy compared each hop with the previous one, while net/http
// builds every hop's headers from the original request, so on A -> B -> B
// the session token dropped on the first hop reached B on the second. A real
// S3 client follows both chains; B must never see a credential header.
func TestRedirectNeverSendsTheSessionTokenToAnotherHost(t *testing.T) {
	a, b := fakeaws.NewRedirect(), fakeaws.NewRedirect()
	t.Cleanup(func() { a.Close(); b.Close() })
	a.Route("/bucket/to-b", http.StatusTemporaryRedirect, b.URL()+"/first")
	b.Route("/first", http.StatusTemporaryRedirect, b.URL()+"/second") // A -> B -> B
	a.Route("/bucket/round-trip", http.StatusPermanentRedirect, b.URL()+"/bounce")
	b.Route("/bounce", http.StatusTemporaryRedirect, a.URL()+"/home") // A -> B -> A

	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	cl, err := clientcache.Client(ctx, c, redirectIdentity(t, a.CABundle(), a.URL()), s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range []string{"to-b", "round-trip"} {
		out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(obj)})
		if err != nil {
			assertNoSecret(t, err.Error())
			t.Fatalf("GetObject %s through the redirects: %v", obj, err)
		}
		out.Body.Close()
	}
	if first := a.Seen()[0]; !first.SessionToken || !first.Authorization {
		t.Fatalf("the request to A carried no credentials (session token %v, Authorization %v): the test proves nothing", first.SessionToken, first.Authorization)
	}
	seen := b.Seen()
	if len(seen) != 3 {
		t.Fatalf("B received %d requests, want 3 (/first, /second, /bounce)", len(seen))
	}
	for _, s := range seen {
		if s.SessionToken || s.Authorization {
			t.Errorf("B received %s with credential headers of a request sent to A (session token %v, Authorization %v)", s.Path, s.SessionToken, s.Authorization)
		}
	}
}

// TestRedirectPolicyComparesEveryHopWithTheOriginalRequest checks the policy
// hop by hop: the credential headers go only where the original request
// went (same scheme, host and port, the default port written or not); an
// https -> http downgrade on the same host, another port or a subdomain all
// lose them.
func TestRedirectPolicyComparesEveryHopWithTheOriginalRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		hops []string // the original request first, the redirect target last
		keep bool
	}{
		{"same origin", []string{"https://s3.example.com/a", "https://s3.example.com/b"}, true},
		{"host case differs", []string{"https://S3.Example.com/a", "https://s3.example.com/b"}, true},
		{"another host", []string{"https://s3.example.com/a", "https://other.example.com/b"}, false},
		{"a subdomain", []string{"https://example.com/a", "https://s3.example.com/b"}, false},
		{"another port", []string{"https://s3.example.com/a", "https://s3.example.com:8443/b"}, false},
		{"the default port written", []string{"https://s3.example.com/a", "https://s3.example.com:443/b"}, true},
		{"the default port written first", []string{"http://s3.example.com:80/a", "http://s3.example.com/b"}, true},
		{"another scheme's default port", []string{"https://s3.example.com/a", "https://s3.example.com:80/b"}, false},
		{"https to http on the same host", []string{"https://s3.example.com/a", "http://s3.example.com/b"}, false},
		{"second hop on the other host", []string{"https://a.example/x", "https://b.example/y", "https://b.example/z"}, false},
		{"back to the original host", []string{"https://a.example/x", "https://b.example/y", "https://a.example/z"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var via []*http.Request
			for _, u := range tc.hops[:len(tc.hops)-1] {
				r, err := http.NewRequest(http.MethodGet, u, nil)
				if err != nil {
					t.Fatal(err)
				}
				via = append(via, r)
			}
			r, err := http.NewRequest(http.MethodGet, tc.hops[len(tc.hops)-1], nil)
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("X-Amz-Security-Token", sessionToken)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=ASIAREDIRECT/...")
			r.Response = &http.Response{StatusCode: http.StatusTemporaryRedirect}
			if err := clientcache.LimitedRedirect(r, via); err != nil {
				t.Fatalf("a 307 redirect was refused: %v", err)
			}
			token, auth := r.Header.Get("X-Amz-Security-Token") != "", r.Header.Get("Authorization") != ""
			if token != tc.keep || auth != tc.keep {
				t.Fatalf("%v: session token kept %v, Authorization kept %v; want both %v", tc.hops, token, auth, tc.keep)
			}
		})
	}
	r, _ := http.NewRequest(http.MethodGet, "https://s3.example.com/b", nil)
	r.Response = &http.Response{StatusCode: http.StatusFound}
	if err := clientcache.LimitedRedirect(r, []*http.Request{r}); !errors.Is(err, http.ErrUseLastResponse) {
		t.Fatalf("a 302 redirect was followed (%v): only 307 and 308 keep the method and body", err)
	}
}

// TestRedirectLoopStops pins a hang: a CheckRedirect replaces net/http's
// limit of 10 redirects, and the cache's policy had none, so an endpoint
// redirecting to itself kept a request (and its goroutine) looping until the
// caller's deadline.
func TestRedirectLoopStops(t *testing.T) {
	a := fakeaws.NewRedirect()
	t.Cleanup(a.Close)
	a.Route("/bucket/loop", http.StatusTemporaryRedirect, a.URL()+"/bucket/loop")
	c := newClientCache(t, clientcache.Options{})
	cl, err := clientcache.Client(context.Background(), c, redirectIdentity(t, a.CABundle(), a.URL()), s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("loop")})
	if err == nil || ctx.Err() != nil {
		t.Fatalf("a redirect loop ended with %v (deadline: %v), want the policy's error", err, ctx.Err())
	}
	assertNoSecret(t, err.Error())
	if !strings.Contains(err.Error(), "redirects") {
		t.Fatalf("error %v does not say the redirects stopped", err)
	}
	if n := len(a.Seen()); n != 10 {
		t.Fatalf("%d requests, want 10 (as net/http's own policy: the original and 9 redirects)", n)
	}
}

// TestEveryIdentityOwnsOnePool pins a leak of pools: LoadDefaultConfig leaves
// aws.Config.HTTPClient nil unless a CA bundle is set, so without one the
// cache owned no pool: every client of the identity built its own (and so
// did every client of a DefaultsMode identity), and eviction closed nothing.
// Whatever the load options (short of a caller's HTTP client), the clients
// of one identity share one pool, which Close releases.
func TestEveryIdentityOwnsOnePool(t *testing.T) {
	for _, tc := range []struct {
		name        string
		tls         bool
		in          func(*keys.ConfigInput)
		loadOptions map[string][]func(*config.LoadOptions) error
	}{
		{name: "no CA bundle"},
		{name: "DefaultsMode standard", in: func(in *keys.ConfigInput) { in.DefaultsMode = keys.DefaultsModeStandard }},
		{name: "named options without an HTTP client", in: func(in *keys.ConfigInput) { in.Name = "app" },
			loadOptions: map[string][]func(*config.LoadOptions) error{"app": {func(o *config.LoadOptions) error { o.AppID = "named"; return nil }}}},
		{name: "CA bundle", tls: true},
		{name: "CA bundle and DefaultsMode in-region", tls: true, in: func(in *keys.ConfigInput) { in.DefaultsMode = keys.DefaultsModeInRegion }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			newS3 := fakeaws.NewPlainS3
			if tc.tls {
				newS3 = fakeaws.NewS3
			}
			srv, err := newS3("bucket")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			srv.AddUser("AKIDPOOL", baseSecret)
			c := newClientCache(t, clientcache.Options{LoadOptions: tc.loadOptions})
			ctx := context.Background()
			creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDPOOL", SecretAccessKey: keys.NewSecret(baseSecret)})
			if err != nil {
				t.Fatal(err)
			}
			in := keys.ConfigInput{Region: "us-east-1", CABundle: srv.CABundle(), RetryMaxAttempts: 1, Credentials: creds,
				RequestChecksumCalculation: keys.ChecksumWhenRequired, ResponseChecksumValidation: keys.ChecksumWhenRequired}
			if tc.in != nil {
				tc.in(&in)
			}
			cfgKey, err := keys.NewConfig(in)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := c.Config(ctx, cfgKey)
			if err != nil {
				t.Fatal(err)
			}
			var s3Clients []*s3.Client
			for _, region := range []string{"", "us-west-2"} { // two clients of one identity
				k, err := keys.NewClient(keys.ClientInput{Config: cfgKey, Service: "s3", Region: region, Endpoint: srv.URL(), S3: keys.S3Options{UsePathStyle: true}})
				if err != nil {
					t.Fatal(err)
				}
				cl, err := clientcache.Client(ctx, c, k, s3.NewFromConfig)
				if err != nil {
					t.Fatal(err)
				}
				s3Clients = append(s3Clients, cl)
			}
			ddb, err := clientcache.Client(ctx, c, serviceKey(t, cfgKey, "dynamodb"), dynamodb.NewFromConfig)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.HTTPClient == nil {
				t.Fatal("the identity's aws.Config has no HTTP client: the cache owns no pool")
			}
			for i, hc := range []aws.HTTPClient{s3Clients[0].Options().HTTPClient, s3Clients[1].Options().HTTPClient, ddb.Options().HTTPClient} {
				if hc != cfg.HTTPClient {
					t.Fatalf("client %d uses its own HTTP client (%T), not the identity's", i, hc)
				}
			}
			// Each client signs for its own region, which S3 requires to be
			// its bucket's.
			if err := srv.CreateBucketIn("us-west-2", "bucket-us-west-2"); err != nil {
				t.Fatal(err)
			}
			for i, cl := range s3Clients {
				bucket := []string{"bucket", "bucket-us-west-2"}[i]
				if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprint("object-", i)), Body: strings.NewReader("x")}); err != nil {
					t.Fatal(err)
				}
			}
			if n := srv.OpenConnections(); n != 1 {
				t.Fatalf("two clients of one identity, sequential requests: %d connections, want 1 (one shared pool)", n)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			testwait.Until(t, "Close to close the identity's connections", func() bool { return srv.OpenConnections() == 0 })
			if n := c.Stats().PoolsReleased; n != 1 {
				t.Fatalf("%d pools released, want 1", n)
			}
		})
	}
}

// TestCallerBuildableHTTPClientIsKept pins a silent change of the caller's
// HTTP client: a BuildableClient brought by named load options was replaced
// by a plain http.Client over a copy of its transport, dropping its timeout
// (and counted as a pool of the cache's). It is the caller's: used as given,
// its connections left alone.
func TestCallerBuildableHTTPClientIsKept(t *testing.T) {
	srv, err := fakeaws.NewPlainS3("bucket")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.AddUser("AKIDMINE", baseSecret)
	mine := awshttp.NewBuildableClient().WithTimeout(250 * time.Millisecond)
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"timeout-250ms": {config.WithHTTPClient(mine)},
	}})
	ctx := context.Background()
	creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDMINE", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Name: "timeout-250ms", Credentials: creds,
		RequestChecksumCalculation: keys.ChecksumWhenRequired, ResponseChecksumValidation: keys.ChecksumWhenRequired})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Config(ctx, cfgKey)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPClient != mine {
		t.Fatalf("the caller's BuildableClient was replaced by a %T", cfg.HTTPClient)
	}
	k, err := keys.NewClient(keys.ClientInput{Config: cfgKey, Service: "s3", Endpoint: srv.URL(), S3: keys.S3Options{UsePathStyle: true}})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := clientcache.Client(ctx, c, k, s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	// The SDK's constructor copies a BuildableClient, settings included.
	if b, ok := cl.Options().HTTPClient.(*awshttp.BuildableClient); !ok || b.GetTimeout() != 250*time.Millisecond {
		t.Fatalf("the client's HTTP client is a %T, not a copy of the caller's with its 250ms timeout", cl.Options().HTTPClient)
	}
	if err := put(ctx, cl, "x", "x"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().PoolsReleased; n != 0 {
		t.Fatalf("the cache released %d pools, none of them its own", n)
	}
}

// TestDefaultsModeTimeoutsReachTheIdentityPool pins a dropped setting: every
// SDK client constructor applies the defaults mode's connect and TLS
// negotiation timeouts to a BuildableClient, but the identity's pool is a
// plain http.Client (so that constructors share it rather than copy it), and
// the cache applied none: a "standard" identity kept the 10 s TLS timeout
// instead of 3.1 s. The pool's transport must get what the SDK gives a client
// of the same config.
func TestDefaultsModeTimeoutsReachTheIdentityPool(t *testing.T) {
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	for _, mode := range []keys.DefaultsMode{"", keys.DefaultsModeLegacy, keys.DefaultsModeStandard, keys.DefaultsModeInRegion,
		keys.DefaultsModeCrossRegion, keys.DefaultsModeMobile, keys.DefaultsModeAuto} {
		t.Run(string(mode), func(t *testing.T) {
			key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", DefaultsMode: mode, Credentials: keys.AnonymousCredentials()})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := c.Config(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			// What the SDK alone gives a client of the same inputs.
			direct, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"), config.WithDefaultsMode(aws.DefaultsMode(mode)))
			if err != nil {
				t.Fatal(err)
			}
			want := s3.NewFromConfig(direct).Options().HTTPClient.(*awshttp.BuildableClient).GetTransport().TLSHandshakeTimeout

			tr := clientcache.PoolTransport(cfg.HTTPClient)
			if tr == nil {
				t.Fatalf("the identity's HTTP client is a %T, not the cache's pool", cfg.HTTPClient)
			}
			if got := tr.TLSHandshakeTimeout; got != want {
				t.Fatalf("TLS handshake timeout %v, the SDK applies %v", got, want)
			}
		})
	}
}

// A role T assumed from a role S refreshes its credentials through S's
// credentials, whose refreshes use S's pool. Evicting S used to release that
// pool while cached T still used it: T's next refresh opened a connection on
// the released pool, which Close never closed. T's pool now holds S's until
// it is released itself. Whether net/http pools the new connection depends
// on timing, so the scenario runs five times.
func TestRoleChainHoldsItsSourceIdentitysPool(t *testing.T) {
	for run := range 5 {
		w := newWorld(t)
		base, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSERVICEBASE", SecretAccessKey: keys.NewSecret(baseSecret)})
		if err != nil {
			t.Fatal(err)
		}
		role := func(src keys.Credentials, n int) keys.Credentials {
			r, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: src, RoleARN: roleARN(n), SessionName: "clientcache-test",
				STSRegion: "us-east-1", STSEndpoint: w.sts.URL()})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		identity := func(creds keys.Credentials) keys.Config {
			k, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", CABundle: w.ca, RetryMaxAttempts: 1, Credentials: creds})
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		r1 := role(base, 1)
		sKey, tKey := identity(r1), identity(role(r1, 2))
		c := newClientCache(t, clientcache.Options{})
		ctx := context.Background()
		tCfg, err := c.Config(ctx, tKey) // loads S, its source identity, too
		if err != nil {
			t.Fatal(err)
		}
		loads := c.Stats().Configs.Loads
		sCfg, err := c.Config(ctx, sKey)
		if err != nil {
			t.Fatal(err)
		}
		if c.Stats().Configs.Loads != loads {
			t.Fatal("S is not the source identity T loaded: the test proves nothing")
		}
		if !c.DeleteConfig(sKey) { // S evicted, its pool released; T stays cached
			t.Fatal("S was not cached")
		}
		// Time passes: both sessions expire, and T refreshes through S.
		sCfg.Credentials.(*aws.CredentialsCache).Invalidate()
		tCfg.Credentials.(*aws.CredentialsCache).Invalidate()
		calls := w.sts.Calls()
		if _, err := tCfg.Credentials.Retrieve(ctx); err != nil {
			t.Fatal(err)
		}
		if n := w.sts.Calls() - calls; n != 2 {
			t.Fatalf("T's refresh through S made %d AssumeRole calls, want 2 (S's, then T's): the test proves nothing", n)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		// A connection left in a pool nobody closes stays open for the
		// transport's idle timeout (90 s): far beyond testwait's bound.
		testwait.Until(t, fmt.Sprintf("run %d: every connection to STS to close after Close", run), func() bool { return w.sts.OpenConnections() == 0 })
	}
}

// crossOriginRedirect starts the origins of redirectingOrigins and returns a
// cached S3 client (static credentials, path-style addressing as s3o says)
// whose endpoint is A, B's URL, and a function returning what B received.
func crossOriginRedirect(t *testing.T, s3o keys.S3Options, serveA func(http.ResponseWriter, *http.Request) bool) (*s3.Client, string, func() []http.Header) {
	t.Helper()
	aURL, bURL, atB := redirectingOrigins(t, serveA)
	creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDREDIRECT", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", RetryMaxAttempts: 1, Credentials: creds,
		RequestChecksumCalculation: keys.ChecksumWhenRequired, ResponseChecksumValidation: keys.ChecksumWhenRequired})
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.NewClient(keys.ClientInput{Config: cfg, Service: "s3", Endpoint: aURL, S3: s3o})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := clientcache.Client(context.Background(), newClientCache(t, clientcache.Options{}), key, s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	return cl, bURL, atB
}

// redirectingOrigins starts origin B, which records the headers of every
// request it receives, and origin A, which hands each request to serveA (if
// not nil) and, unless serveA answered it, redirects it (307) to B. It
// returns A's and B's URLs and a function returning what B received, which
// fails the test if B received nothing (the redirect was not followed).
func redirectingOrigins(t *testing.T, serveA func(http.ResponseWriter, *http.Request) bool) (aURL, bURL string, atB func() []http.Header) {
	t.Helper()
	var mu sync.Mutex
	var received []http.Header
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		received = append(received, r.Header.Clone())
		mu.Unlock()
	}))
	t.Cleanup(b.Close)
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if serveA != nil && serveA(w, r) {
			return
		}
		w.Header().Set("Location", b.URL+"/elsewhere")
		w.WriteHeader(http.StatusTemporaryRedirect)
	}))
	t.Cleanup(a.Close)
	return a.URL, b.URL, func() []http.Header {
		mu.Lock()
		defer mu.Unlock()
		if len(received) == 0 {
			t.Fatal("the redirect was not followed")
		}
		return slices.Clone(received)
	}
}

// TestRedirectNeverSendsTheS3ExpressSessionTokenToAnotherOrigin: a real S3
// client of the cache, reading from an S3 Express directory bucket, is
// redirected (307) to another origin; that origin must not receive the S3
// Express session token (x-amz-s3session-token), a credential like
// X-Amz-Security-Token.
func TestRedirectNeverSendsTheS3ExpressSessionTokenToAnotherOrigin(t *testing.T) {
	const expressToken = "s3express-session-token-7d1e"
	var sawTokenAtA atomic.Bool
	cl, bURL, atB := crossOriginRedirect(t, keys.S3Options{}, func(w http.ResponseWriter, r *http.Request) bool {
		if _, ok := r.URL.Query()["session"]; ok { // CreateSession
			w.Header().Set("Content-Type", "application/xml")
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><CreateSessionResult><Credentials><SessionToken>` + expressToken +
				`</SessionToken><SecretAccessKey>express-secret</SecretAccessKey><AccessKeyId>ASIAEXPRESS</AccessKeyId><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></CreateSessionResult>`))
			return true
		}
		sawTokenAtA.Store(r.Header.Get("X-Amz-S3session-Token") == expressToken)
		return false
	})
	out, err := cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bucket--use1-az4--x-s3"), Key: aws.String("obj")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	out.Body.Close()
	if !sawTokenAtA.Load() {
		t.Fatal("A never received the S3 Express session token: the test proves nothing")
	}
	for _, h := range atB() {
		for name, v := range h {
			if strings.Contains(strings.Join(v, ","), expressToken) {
				t.Errorf("another origin (%s) received the S3 Express session token in header %s", bURL, name)
			}
		}
		if h.Get("Authorization") != "" {
			t.Errorf("another origin received Authorization")
		}
	}
}

// TestRedirectNeverSendsTheSSECustomerKeyToAnotherOrigin: a GetObject with an
// SSE-C key (a secret of the caller's) is redirected (307) to another origin;
// the key must not follow it, as the credential headers do not.
func TestRedirectNeverSendsTheSSECustomerKeyToAnotherOrigin(t *testing.T) {
	const sseKey = "0123456789abcdef0123456789abcdef" // 32 bytes
	cl, bURL, atB := crossOriginRedirect(t, keys.S3Options{UsePathStyle: true}, nil)
	out, err := cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("obj"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(sseKey)})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	out.Body.Close()
	for _, h := range atB() {
		if v := h.Get("X-Amz-Server-Side-Encryption-Customer-Key"); v != "" {
			t.Errorf("another origin (%s) received the SSE-C key header (%d bytes)", bURL, len(v))
		}
	}
}

// TestReleasedPoolLeavesNoConnectionOpen: a pool released (the cache
// closed) while a request is in flight, before or after its response's head
// arrived, and a client the caller kept using after that: a released pool
// keeps no connection open once its requests are done, over HTTP/1.1 and
// HTTP/2. Over HTTP/1.1, the connection of a request made after the release
// stayed open, idle, for the transport's idle timeout (90 s); over HTTP/2,
// so did that of the request in flight (net/http closes an HTTP/1.1
// connection that goes idle after CloseIdleConnections, but not an HTTP/2
// one).
func TestReleasedPoolLeavesNoConnectionOpen(t *testing.T) {
	for _, http2 := range []bool{false, true} {
		for _, afterHead := range []bool{false, true} {
			t.Run(fmt.Sprintf("http2=%v/afterHead=%v", http2, afterHead), func(t *testing.T) {
				releasedPoolLeavesNoConnectionOpen(t, http2, afterHead)
			})
		}
	}
}

func releasedPoolLeavesNoConnectionOpen(t *testing.T, http2, afterHead bool) {
	arrived, finish := make(chan struct{}), make(chan struct{})
	var first sync.Once
	var protos sync.Map
	srv, open := startConnCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
		slow := false
		first.Do(func() { slow = true })
		if slow {
			// The response's head first, its body later: the request is
			// still in flight when RoundTrip returns.
			if !afterHead {
				close(arrived)
				<-finish
			}
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			if afterHead {
				<-finish
			} else {
				time.Sleep(20 * time.Millisecond)
			}
		}
		_, _ = w.Write([]byte("x"))
	}, http2)
	ca, proto := caOf(srv), "HTTP/1.1"
	if http2 {
		proto = "HTTP/2.0"
	}
	c, err := clientcache.New(clientcache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cl := pathStyleS3Client(t, c, "AKIDINFLIGHT", ca, srv.URL)
	get := func(head func()) error {
		out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("object")})
		if err == nil {
			head()
			_, err = io.Copy(io.Discard, out.Body)
			out.Body.Close()
		}
		return err
	}
	done := make(chan error, 1)
	go func() {
		done <- get(func() {
			if afterHead {
				close(arrived)
			}
		})
	}()
	<-arrived
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	close(finish)
	if err := <-done; err != nil {
		t.Fatalf("the request in flight during Close: %v", err)
	}
	if _, ok := protos.Load(proto); !ok {
		t.Fatalf("the request did not use %s: the test proves nothing", proto)
	}
	testwait.Until(t, "the connection of a request in flight during Close to close once it is done", func() bool { return open.Load() == 0 })

	// The caller kept the client: its requests still work, and leave no
	// connection open.
	if err := get(func() {}); err != nil {
		t.Fatalf("a request through a client kept after Close: %v", err)
	}
	testwait.Until(t, "the connection of a request made after Close to close once it is done", func() bool { return open.Load() == 0 })
}

// A request in flight when the pool is released, and another request made
// through the kept client before the first is done: the later request's
// connection attempt undid CloseIdleConnections in net/http (a Transport
// stops closing newly idle connections once asked for one), so the
// connection of the request in flight went idle when it finished, and stayed
// open for the idle timeout.
func TestReleasedPoolClosesInFlightConnectionAfterALaterRequest(t *testing.T) {
	arrived, finish := make(chan struct{}), make(chan struct{})
	srv, open := connCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(arrived)
			<-finish
		}
		_, _ = w.Write([]byte("x"))
	})
	hc, release := identityHTTPClient(t, nil) // the identity's pool, kept by the caller
	get := func(path string) error {
		resp, err := hc.Get(srv.URL + path)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return err
	}
	done := make(chan error, 1)
	go func() { done <- get("/slow") }()
	<-arrived
	release()
	if err := get("/fast"); err != nil {
		t.Fatalf("a request after the release: %v", err)
	}
	close(finish)
	if err := <-done; err != nil {
		t.Fatalf("the request in flight during the release: %v", err)
	}
	testwait.Until(t, "every connection of a released pool to close once its requests are done", func() bool { return open.Load() == 0 })
}

// caOf is the PEM of a TLS server's certificate, for a key's CABundle (nil
// for a plain HTTP server).
func caOf(srv *httptest.Server) []byte {
	if srv.TLS == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// connCountingServer starts a plain HTTP server with handler h and returns
// it with the count of its connections currently open.
func connCountingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	return startConnCountingServer(t, h, false)
}

// connCountingHTTP2Server is connCountingServer over TLS with HTTP/2
// enabled (httptest's own certificate, which the worlds' CA bundle trusts).
func connCountingHTTP2Server(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	return startConnCountingServer(t, h, true)
}

func startConnCountingServer(t *testing.T, h http.HandlerFunc, http2 bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	srv, open := unstartedConnCountingServer(h)
	if http2 {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, open
}

// unstartedConnCountingServer returns an unstarted server with handler h
// and the count of its connections currently open.
func unstartedConnCountingServer(h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	open := new(atomic.Int64)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	return srv, open
}

// pathStyleS3Client returns the cached S3 client (path-style, one attempt)
// of a static identity signing as accessKeyID, trusting ca (nil: the
// system's roots) and sending to endpoint.
func pathStyleS3Client(t *testing.T, c *clientcache.Cache, accessKeyID string, ca []byte, endpoint string) *s3.Client {
	t.Helper()
	creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: accessKeyID, SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", CABundle: ca, RetryMaxAttempts: 1, Credentials: creds,
		RequestChecksumCalculation: keys.ChecksumWhenRequired, ResponseChecksumValidation: keys.ChecksumWhenRequired})
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.NewClient(keys.ClientInput{Config: cfgKey, Service: "s3", Endpoint: endpoint, S3: keys.S3Options{UsePathStyle: true}})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := clientcache.Client(context.Background(), c, k, s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// TestRedirectNeverSendsTheSSOBearerTokenToAnotherOrigin pins a credential
// header the redirect policy did not know: the SSO portal API (sso's
// GetRoleCredentials, ListAccounts, ListAccountRoles, Logout) sends the
// caller's access token in x-amz-sso_bearer_token, not in Authorization.
// An sso client built on an identity's pool, redirected (307) to another
// origin, sent that token there. The request is made the way the sso
// client makes it, through the identity's HTTP client.
func TestRedirectNeverSendsTheSSOBearerTokenToAnotherOrigin(t *testing.T) {
	assertHeaderStaysAtItsOrigin(t, "x-amz-sso_bearer_token", "sso-access-token-41c9e2")
}

// TestRedirectNeverSendsTheConnectParticipantTokenToAnotherOrigin pins
// another credential header the redirect policy did not know: the Amazon
// Connect Participant Service (connectparticipant) sends its participant
// and connection tokens in X-Amz-Bearer and does not sign with SigV4.
func TestRedirectNeverSendsTheConnectParticipantTokenToAnotherOrigin(t *testing.T) {
	assertHeaderStaysAtItsOrigin(t, "X-Amz-Bearer", "participant-token-0b7a55")
}

// assertHeaderStaysAtItsOrigin sends a request carrying header through an
// identity's HTTP client to origin A, which redirects it (307) to origin B,
// and fails if B receives the header.
func assertHeaderStaysAtItsOrigin(t *testing.T, header, value string) {
	t.Helper()
	var sawAtA atomic.Bool
	aURL, bURL, atB := redirectingOrigins(t, func(_ http.ResponseWriter, r *http.Request) bool {
		sawAtA.Store(r.Header.Get(header) == value)
		return false // redirect it
	})
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: keys.AnonymousCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := newClientCache(t, clientcache.Options{}).Config(context.Background(), cfgKey)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, aURL+"/operation", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(header, value) // as the service client's serializer sets it
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !sawAtA.Load() {
		t.Fatalf("the request to A carried no %s header: the test proves nothing", header)
	}
	for _, h := range atB() {
		if v := h.Get(header); v != "" {
			t.Errorf("another origin (%s) received the %s header (%d bytes)", bURL, header, len(v))
		}
	}
}

// TestReleasedPoolClosesHTTP2ConnectionOfAFinishedUpload: a request with a
// body (an upload: PutObject) over HTTP/2 whose response has none returns
// from RoundTrip before net/http has retired its stream (it closes the
// request body, then forgets the stream, in a goroutine of its own). A pool
// released then (the config evicted right after the upload returned) had
// CloseIdleConnections skip the connection, whose stream was still listed,
// and nothing closed it once the stream was gone: it stayed open for the
// idle timeout (90 s). The request body's Close is held here to make that
// window certain.
func TestReleasedPoolClosesHTTP2ConnectionOfAFinishedUpload(t *testing.T) {
	var protos sync.Map
	srv, open := connCountingHTTP2Server(t, func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK) // no body: END_STREAM on the head
	})
	hc, release := identityHTTPClient(t, caOf(srv))
	closing, proceed := make(chan struct{}), make(chan struct{})
	body := &heldCloseBody{Reader: strings.NewReader("payload"), closing: closing, proceed: proceed}
	req, err := http.NewRequest(http.MethodPut, srv.URL+"/bucket/object", body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("the request used %s: the test proves nothing", resp.Proto)
	}
	<-closing // net/http is retiring the stream
	release()
	close(proceed)
	testwait.Until(t, "the HTTP/2 connection of an upload done before the release to close", func() bool { return open.Load() == 0 })
}

// heldCloseBody is a request body whose Close closes closing, then waits
// until proceed is closed.
type heldCloseBody struct {
	io.Reader
	once             sync.Once
	closing, proceed chan struct{}
}

func (b *heldCloseBody) Close() error {
	b.once.Do(func() { close(b.closing); <-b.proceed })
	return nil
}

// TestKeptClientUploadsOverHTTP2AfterRelease: uploads (PutObject, whose body
// net/http cannot rewind) made concurrently through an S3 client the caller
// kept after its pool was released, to an endpoint speaking HTTP/2. Each
// request asked for its connection to be closed (Request.Close), which marks
// a shared HTTP/2 connection as not to be reused: an upload that had
// reserved a stream on it failed ("cannot rewind body after connection
// loss"). Every upload must succeed, and the released pool must leave no
// connection open once they are done.
func TestKeptClientUploadsOverHTTP2AfterRelease(t *testing.T) {
	var protos sync.Map
	srv, open := connCountingHTTP2Server(t, func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
	ca := caOf(srv)
	c, err := clientcache.New(clientcache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl := pathStyleS3Client(t, c, "AKIDKEPTH2", ca, srv.URL)
	if err := c.Close(); err != nil { // the pool's last holder lets go
		t.Fatal(err)
	}
	workers, uploads := 8, 40
	if testing.Short() {
		uploads = 10
	}
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr sync.Once
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range uploads {
				_, err := cl.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("bucket"),
					Key: aws.String(fmt.Sprintf("object-%d-%d", w, i)), Body: strings.NewReader("payload")})
				if err != nil {
					failed.Add(1)
					firstErr.Do(func() { t.Errorf("an upload through the kept client: %v", err) })
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d uploads failed", n, workers*uploads)
	}
	if _, ok := protos.Load("HTTP/2.0"); !ok {
		t.Fatal("the uploads did not use HTTP/2: the test proves nothing")
	}
	testwait.Until(t, "the released pool's HTTP/2 connections to close once the uploads are done", func() bool { return open.Load() == 0 })
}

// TestProtocolSwitchThroughTheIdentityPool: the identity's HTTP client is
// the caller's to use for anything, a protocol switch (101) included, whose
// response body net/http makes the connection itself, written to through
// io.ReadWriteCloser. The pool's wrapping of response bodies (to know when a
// request is done) must keep that.
func TestProtocolSwitchThroughTheIdentityPool(t *testing.T) {
	url := switchingServer(t, "", func(_ net.Conn, brw *bufio.ReadWriter) {
		line, err := brw.ReadString('\n')
		if err != nil {
			return
		}
		_, _ = brw.WriteString(strings.ToUpper(line))
		_ = brw.Flush()
	})
	hc, _ := identityHTTPClient(t, nil)
	rw := switchProtocols(t, hc, url)
	if _, err := io.WriteString(rw, "hello\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len("HELLO\n"))
	if _, err := io.ReadFull(rw, buf); err != nil {
		t.Fatal(err)
	}
	if string(buf) != "HELLO\n" {
		t.Fatalf("echoed %q", buf)
	}
}

// identityHTTPClient returns the HTTP client of an anonymous identity's
// pool (trusting ca, if not nil) in a cache of its own, closed at the end of
// the test, and a func releasing that pool (DeleteConfig: its last holder).
func identityHTTPClient(t testing.TB, ca []byte) (*http.Client, func()) {
	t.Helper()
	c, err := clientcache.New(clientcache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", CABundle: ca, Credentials: keys.AnonymousCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Config(context.Background(), cfgKey)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.HTTPClient.(*http.Client), func() {
		if !c.DeleteConfig(cfgKey) {
			t.Fatal("the config was not cached")
		}
	}
}

// switchingServer starts a plain HTTP server that switches the connection
// of every request to the "echo" protocol (101), sends greeting on it, and
// hands it to serve, and returns the server's URL.
func switchingServer(t *testing.T, greeting string, serve func(conn net.Conn, brw *bufio.ReadWriter)) string {
	t.Helper()
	srv, _ := connCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n" + greeting)
		_ = brw.Flush()
		serve(conn, brw)
	})
	return srv.URL
}

// switchProtocols asks the server at url to switch hc's connection to the
// "echo" protocol and returns the switched connection (the response body).
func switchProtocols(t *testing.T, hc *http.Client, url string) io.ReadWriteCloser {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "echo")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	rw, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		t.Fatalf("the body of a protocol switch is a %T, which cannot be written to", resp.Body)
	}
	return rw
}

// TestReleasedPoolKeepsAProtocolSwitchOpenAfterItsReadSideEnds: the body of
// a protocol switch (101) is the connection, and reading it to its end (the
// peer half-closed its side) does not end the exchange: the caller may still
// write. A kept client's switched connection must not be closed because the
// pool was released and the read side ended.
func TestReleasedPoolKeepsAProtocolSwitchOpenAfterItsReadSideEnds(t *testing.T) {
	got := make(chan string, 1)
	url := switchingServer(t, "bye\n", func(conn net.Conn, brw *bufio.ReadWriter) {
		_ = conn.(*net.TCPConn).CloseWrite() // the server is done talking, still listening
		line, _ := brw.ReadString('\n')
		got <- line
	})
	hc, release := identityHTTPClient(t, nil)
	release() // the caller kept hc
	rw := switchProtocols(t, hc, url)
	all, err := io.ReadAll(rw)
	if err != nil || string(all) != "bye\n" {
		t.Fatalf("read %q, %v", all, err)
	}
	time.Sleep(20 * time.Millisecond)
	if _, err := io.WriteString(rw, "last words\n"); err != nil {
		t.Fatalf("writing to a switched connection after its read side ended: %v", err)
	}
	select {
	case line := <-got:
		if line != "last words\n" {
			t.Fatalf("the server received %q", line)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server received nothing")
	}
}

// TestKeptClientUnderReleaseStress: uploads and downloads of a kept
// client running on while the pool is released, over HTTP/1.1 and HTTP/2:
// none may fail, and nothing stays open once they are done.
func TestKeptClientUnderReleaseStress(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("http2=%v", h2), func(t *testing.T) {
			h := func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if r.Method == http.MethodGet {
					_, _ = w.Write(bytes.Repeat([]byte("x"), 3000))
				}
			}
			srv, open := startConnCountingServer(t, h, h2)
			ca := caOf(srv)
			c, err := clientcache.New(clientcache.Options{})
			if err != nil {
				t.Fatal(err)
			}
			cl := pathStyleS3Client(t, c, "AKIDSTRESS", ca, srv.URL)
			ctx := context.Background()
			var wg sync.WaitGroup
			var failed atomic.Int64
			start := make(chan struct{})
			for w := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for i := range 30 {
						var err error
						if (w+i)%2 == 0 {
							_, err = cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"),
								Key: aws.String("k"), Body: strings.NewReader(strings.Repeat("p", 5000))})
						} else {
							var out *s3.GetObjectOutput
							out, err = cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("k")})
							if err == nil {
								_, err = io.Copy(io.Discard, out.Body)
								out.Body.Close()
							}
						}
						if err != nil {
							if failed.Add(1) == 1 {
								t.Errorf("a request of the kept client: %v", err)
							}
						}
					}
				}()
			}
			close(start)
			time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			testwait.Until(t, "no connection open", func() bool { return open.Load() == 0 })
		})
	}
}

// TestReleasedPoolOddRequests: after release, a kept HTTP client's HEAD,
// 204, 304, 307-with-body, body read to EOF but never closed, and
// cancelled-mid-body requests succeed (or fail only by their own cancel)
// and leave nothing open, over HTTP/1.1 and HTTP/2.
func TestReleasedPoolOddRequests(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("http2=%v", h2), func(t *testing.T) {
			srv, open := startConnCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				switch r.URL.Path {
				case "/204":
					w.WriteHeader(http.StatusNoContent)
				case "/304":
					w.WriteHeader(http.StatusNotModified)
				case "/307":
					w.Header().Set("Location", "/echo")
					w.WriteHeader(http.StatusTemporaryRedirect)
				case "/echo":
					_, _ = w.Write(b)
				case "/slow":
					w.WriteHeader(http.StatusOK)
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
				default:
					_, _ = w.Write([]byte("hello"))
				}
			}, h2)
			hc, release := identityHTTPClient(t, caOf(srv))
			release()
			do := func(method, path string, body io.Reader) (*http.Response, error) {
				req, err := http.NewRequest(method, srv.URL+path, body)
				if err != nil {
					t.Fatal(err)
				}
				return hc.Do(req)
			}
			for _, p := range []string{"/204", "/304", "/"} {
				for _, m := range []string{http.MethodHead, http.MethodGet} {
					resp, err := do(m, p, nil)
					if err != nil {
						t.Fatalf("%s %s: %v", m, p, err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					testwait.Until(t, m+" "+p+": no connection open", func() bool { return open.Load() == 0 })
				}
			}
			resp, err := do(http.MethodPut, "/307", strings.NewReader("payload"))
			if err != nil {
				t.Fatalf("307: %v", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "payload" {
				t.Fatalf("307: echoed %q (%d)", b, resp.StatusCode)
			}
			testwait.Until(t, "307: no connection open", func() bool { return open.Load() == 0 })

			resp, err = do(http.MethodGet, "/", nil)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.ReadAll(resp.Body) // never closed
			testwait.Until(t, "read to EOF, not closed: no connection open", func() bool { return open.Load() == 0 })

			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/slow", nil)
			resp, err = hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if h2 != (resp.ProtoMajor == 2) {
				t.Fatalf("the request used %s: the test proves nothing", resp.Proto)
			}
			cancel()
			_, err = io.ReadAll(resp.Body)
			if err == nil {
				t.Fatal("cancelled read: no error")
			}
			testwait.Until(t, "cancelled mid-body: no connection open", func() bool { return open.Load() == 0 })
			resp.Body.Close()
		})
	}
}

// fullDuplexH2Server is a minimal HTTP/2 server that answers each request
// (200, END_STREAM on the head) as soon as its head arrives, then goes on
// reading the request body (full duplex, as golang.org/issue/13444 allows),
// and sends on got the body bytes each stream carried once it ends or the
// connection fails. It refuses the first request it receives as refuse says:
// "" (it does not), "refuse" (RST_STREAM REFUSED_STREAM) or "goaway" (GOAWAY
// naming no stream processed, the connection left open), both of which
// net/http retries, rewinding the body with Request.GetBody. open counts
// the server's connections open.
func fullDuplexH2Server(t *testing.T, refuse string) (url string, ca []byte, got <-chan string, open *atomic.Int64) {
	t.Helper()
	cert := httptest.NewUnstartedServer(nil)
	cert.StartTLS()
	certs := cert.TLS.Certificates
	ca = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate().Raw})
	cert.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: certs, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan string, 10)
	open = new(atomic.Int64)
	var refused atomic.Bool
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			open.Add(1)
			go func() {
				defer open.Add(-1)
				defer conn.Close()
				bodies := map[uint32]*bytes.Buffer{}
				defer func() {
					for _, b := range bodies {
						ch <- b.String()
					}
				}()
				frame := func(typ, flags byte, stream uint32, payload []byte) {
					h := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), typ, flags,
						byte(stream >> 24), byte(stream >> 16), byte(stream >> 8), byte(stream)}
					_, _ = conn.Write(append(h, payload...))
				}
				preface := make([]byte, 24)
				if _, err := io.ReadFull(conn, preface); err != nil {
					return
				}
				frame(4, 0, 0, nil) // SETTINGS
				for {
					h := make([]byte, 9)
					if _, err := io.ReadFull(conn, h); err != nil {
						return
					}
					n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
					typ, flags := h[3], h[4]
					stream := (uint32(h[5])<<24 | uint32(h[6])<<16 | uint32(h[7])<<8 | uint32(h[8])) &^ (1 << 31)
					p := make([]byte, n)
					if _, err := io.ReadFull(conn, p); err != nil {
						return
					}
					switch typ {
					case 4: // SETTINGS
						if flags&1 == 0 {
							frame(4, 1, 0, nil)
						}
					case 1: // HEADERS: answer at once, 200 with END_STREAM
						if refuse != "" && refused.CompareAndSwap(false, true) {
							if refuse == "refuse" {
								frame(3, 0, stream, []byte{0, 0, 0, 7}) // RST_STREAM REFUSED_STREAM
							} else {
								frame(7, 0, 0, make([]byte, 8)) // GOAWAY, last stream 0, NO_ERROR
							}
							continue
						}
						bodies[stream] = new(bytes.Buffer)
						frame(1, 0x4|0x1, stream, []byte{0x88})
					case 0: // DATA
						if b := bodies[stream]; b != nil {
							b.Write(p)
							if flags&1 != 0 {
								ch <- b.String()
								delete(bodies, stream)
							}
						}
					case 6: // PING
						if flags&1 == 0 {
							frame(6, 1, 0, p)
						}
					}
				}
			}()
		}
	}()
	return "https://" + ln.Addr().String(), ca, ch, open
}

// TestReleasedPoolLetsAFullDuplexUploadFinish: over HTTP/2, a server may
// answer (2xx, its stream ended) before it has read the request body, and
// net/http goes on sending that body (full duplex). The request is not done
// until its body is sent: a released pool must not cut the upload of a
// kept client short.
func TestReleasedPoolLetsAFullDuplexUploadFinish(t *testing.T) {
	for _, released := range []bool{false, true} {
		t.Run(fmt.Sprintf("released=%v", released), func(t *testing.T) {
			url, ca, got, _ := fullDuplexH2Server(t, "")
			hc, release := identityHTTPClient(t, ca)
			if released {
				release()
			}
			pr, pw := io.Pipe()
			req, err := http.NewRequest(http.MethodPut, url+"/stream", pr)
			if err != nil {
				t.Fatal(err)
			}
			uploadFullDuplex(t, hc, req, pw, got)
		})
	}
}

// uploadFullDuplex sends req through hc to fullDuplexH2Server (which
// answers at once, then reads the body), its body reading pw's writes:
// "first," before the response, "second" after it. It fails t unless the
// server received both.
func uploadFullDuplex(t *testing.T, hc *http.Client, req *http.Request, pw *io.PipeWriter, got <-chan string) {
	t.Helper()
	go func() { _, _ = pw.Write([]byte("first,")) }()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
		t.Fatalf("%s %d: the test proves nothing", resp.Proto, resp.StatusCode)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	time.Sleep(50 * time.Millisecond) // the response is done: a seal would come now
	_, werr := pw.Write([]byte("second"))
	pw.Close()
	select {
	case b := <-got:
		if b != "first,second" {
			t.Fatalf("the server received %q (the last write: %v)", b, werr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server received nothing")
	}
}

// TestReleasedPoolLetsARetriedFullDuplexUploadFinish: net/http retries a
// request the server refused (RST_STREAM REFUSED_STREAM, or GOAWAY before
// the stream was processed), closing its body and sending one that
// Request.GetBody gives instead. The retried request is in flight until
// that body is sent: a released pool must not cut the upload short, and
// must close its connections once it is done.
func TestReleasedPoolLetsARetriedFullDuplexUploadFinish(t *testing.T) {
	for _, refuse := range []string{"refuse", "goaway"} {
		for _, released := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/released=%v", refuse, released), func(t *testing.T) {
				url, ca, got, open := fullDuplexH2Server(t, refuse)
				hc, release := identityHTTPClient(t, ca)
				if released {
					release()
				}
				first, _ := io.Pipe() // the first body, never written: the request is refused
				pr, pw := io.Pipe()   // what every body GetBody gives reads
				var rewound atomic.Int64
				req, err := http.NewRequest(http.MethodPut, url+"/stream", first)
				if err != nil {
					t.Fatal(err)
				}
				req.GetBody = func() (io.ReadCloser, error) {
					rewound.Add(1)
					return io.NopCloser(pr), nil
				}
				uploadFullDuplex(t, hc, req, pw, got)
				if rewound.Load() == 0 {
					t.Fatal("the body was not rewound: the test proves nothing")
				}
				t.Logf("the body rewound %d times", rewound.Load())
				if released {
					testwait.Until(t, "the released pool's connections to close once the upload is done", func() bool { return open.Load() == 0 })
				}
			})
		}
	}
}

// TestPoolRetriesAnUploadOnALostHTTP1Connection: over HTTP/1.1, net/http
// retries a replayable request (here a PUT with an Idempotency-Key) whose
// reused connection the server closed without answering, rewinding the body
// with Request.GetBody. The pool counts the retried request in flight once,
// until the retry's body is sent and its response read: once the pool is
// released (before the upload, the client kept, or after it), every
// connection closes. A slow download in flight throughout keeps the
// generation open, so that a kept client's upload, too, can reuse a
// connection (a sealed generation's are closed).
func TestPoolRetriesAnUploadOnALostHTTP1Connection(t *testing.T) {
	for _, releasedFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("releasedFirst=%v", releasedFirst), func(t *testing.T) {
			var puts atomic.Int64
			finish := make(chan struct{})
			srv, open := connCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/slow":
					w.WriteHeader(http.StatusOK)
					w.(http.Flusher).Flush()
					<-finish
					return
				case r.Method == http.MethodPut && puts.Add(1) == 1:
					// The whole request read first: a body written after
					// the close would fail the write, which net/http does
					// not retry.
					_, _ = io.Copy(io.Discard, r.Body)
					conn, _, err := w.(http.Hijacker).Hijack()
					if err != nil {
						t.Error(err)
						return
					}
					conn.Close() // lost before an answer
					return
				}
				b, _ := io.ReadAll(r.Body)
				_, _ = fmt.Fprintf(w, "%s %s", r.Method, b)
			})
			var once sync.Once
			done := func() { once.Do(func() { close(finish) }) }
			t.Cleanup(done) // before the server's Close, which waits for /slow
			hc, release := identityHTTPClient(t, nil)
			slow, err := hc.Get(srv.URL + "/slow")
			if err != nil {
				t.Fatal(err)
			}
			if releasedFirst {
				release()
			}
			resp, err := hc.Get(srv.URL) // the connection the upload reuses
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			req, err := http.NewRequest(http.MethodPut, srv.URL, strings.NewReader("payload"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Idempotency-Key", "upload-1")
			var rewound atomic.Int64
			getBody := req.GetBody
			req.GetBody = func() (io.ReadCloser, error) {
				rewound.Add(1)
				return getBody()
			}
			resp, err = hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(b) != "PUT payload" {
				t.Fatalf("the retried upload's response: %q, %v; want %q", b, err, "PUT payload")
			}
			if puts.Load() != 2 || rewound.Load() == 0 {
				t.Fatalf("%d PUTs reached the server, the body was rewound %d times: want a retry, or the test proves nothing", puts.Load(), rewound.Load())
			}
			done()
			_, _ = io.Copy(io.Discard, slow.Body)
			slow.Body.Close()
			if !releasedFirst {
				release()
			}
			testwait.Until(t, "the released pool's connections to close once the retried upload is done", func() bool { return open.Load() == 0 })
		})
	}
}

// TestReleasedPoolMoreOddRequests: after release, a kept HTTP client's
// Expect: 100-continue (accepted, and refused without reading the body),
// request trailers, a non-nil body of ContentLength 0 (empty and not),
// http.NoBody, and responses net/http decompresses (gzip, read to its end or
// closed early) succeed and leave nothing open, over HTTP/1.1 and HTTP/2.
func TestReleasedPoolMoreOddRequests(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("http2=%v", h2), func(t *testing.T) {
			srv, open := startConnCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/refuse":
					w.WriteHeader(http.StatusExpectationFailed)
					return
				case "/gzip":
					w.Header().Set("Content-Encoding", "gzip")
					zw := gzip.NewWriter(w)
					_, _ = zw.Write([]byte(strings.Repeat("z", 100000)))
					_ = zw.Close()
					return
				}
				b, _ := io.ReadAll(r.Body)
				_, _ = fmt.Fprintf(w, "%s|%s", b, r.Trailer.Get("X-T"))
			}, h2)
			hc, release := identityHTTPClient(t, caOf(srv))
			release()
			for _, tc := range []struct {
				name, method, path string
				body               io.Reader
				prep               func(*http.Request)
				want               string // "" : not checked
				readAll            bool
			}{
				{"100-continue", http.MethodPut, "/", strings.NewReader("payload"), func(r *http.Request) { r.Header.Set("Expect", "100-continue") }, "payload|", true},
				{"100-continue refused", http.MethodPut, "/refuse", io.MultiReader(strings.NewReader("payload")), func(r *http.Request) { r.Header.Set("Expect", "100-continue") }, "", true},
				{"trailers", http.MethodPut, "/", io.MultiReader(strings.NewReader("payload")), func(r *http.Request) {
					r.Trailer = http.Header{"X-T": {"tv"}}
					r.ContentLength = -1
				}, "payload|tv", true},
				{"GET, length 0, empty body", http.MethodGet, "/", io.MultiReader(), nil, "|", true},
				{"PUT, length 0, a body", http.MethodPut, "/", io.MultiReader(strings.NewReader("abc")), func(r *http.Request) { r.ContentLength = 0 }, "abc|", true},
				{"NoBody", http.MethodPut, "/", http.NoBody, nil, "|", true},
				{"gzip read", http.MethodGet, "/gzip", nil, nil, strings.Repeat("z", 100000), true},
				{"gzip closed early", http.MethodGet, "/gzip", nil, nil, "", false},
			} {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				req, err := http.NewRequestWithContext(ctx, tc.method, srv.URL+tc.path, tc.body)
				if err != nil {
					t.Fatal(err)
				}
				if tc.prep != nil {
					tc.prep(req)
				}
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if h2 != (resp.ProtoMajor == 2) {
					t.Fatalf("%s used %s", tc.name, resp.Proto)
				}
				if tc.readAll {
					b, err := io.ReadAll(resp.Body)
					if err != nil || (tc.want != "" && string(b) != tc.want) {
						t.Fatalf("%s: read %.40q, %v", tc.name, b, err)
					}
				}
				resp.Body.Close()
				cancel()
				testwait.Until(t, tc.name+": no connection open", func() bool { return open.Load() == 0 })
			}
		})
	}
}

// TestReleasedPoolCancelledUpload: a kept client's upload, its body a pipe
// the caller stops feeding, cancelled (before the response, or after a
// response the server sent early) while another connection of the pool is
// idle: once cancelled, nothing of the request is in flight, and the
// released pool's connections all close, without the caller closing its
// pipe. Not run: HTTP/1.1 cancelled before the response, where net/http's
// own RoundTrip does not return before the body's Read does (its write
// loop is blocked in it, cancelled or not), and the request is in flight
// until then.
func TestReleasedPoolCancelledUpload(t *testing.T) {
	for _, c := range []struct{ h2, early bool }{{false, true}, {true, false}, {true, true}} {
		h2, early := c.h2, c.early
		t.Run(fmt.Sprintf("http2=%v/early=%v", h2, early), func(t *testing.T) {
			srv, open := startConnCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/upload" {
					return
				}
				if early {
					_ = http.NewResponseController(w).EnableFullDuplex()
					w.WriteHeader(http.StatusOK)
					w.(http.Flusher).Flush()
				}
				_, _ = io.Copy(io.Discard, r.Body)
			}, h2)
			hc, release := identityHTTPClient(t, caOf(srv))
			release()
			pr, pw := io.Pipe()
			t.Cleanup(func() { pw.Close() })
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL+"/upload", pr)
			go func() { _, _ = pw.Write([]byte("some")) }()
			type result struct {
				resp *http.Response
				err  error
			}
			done := make(chan result, 1)
			go func() {
				resp, err := hc.Do(req)
				done <- result{resp, err}
			}()
			if early {
				// The caller has the response (its body never ends: the
				// server reads the upload to its end) and closes it.
				res := <-done
				if res.err != nil {
					t.Fatal(res.err)
				}
				res.resp.Body.Close()
			} else {
				time.Sleep(100 * time.Millisecond)
			}
			if !h2 {
				// Another connection of the pool, idle.
				resp, err := hc.Get(srv.URL + "/other")
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			cancel()
			if !early {
				if res := <-done; res.err == nil {
					t.Fatal("the cancelled upload succeeded")
				}
			}
			testwait.Until(t, "no connection open once the upload is cancelled", func() bool { return open.Load() == 0 })
		})
	}
}

// TestReleasedPoolSurvivesAPanickingGetBody: a panic in the caller's
// Request.GetBody (net/http calls it to retry a refused HTTP/2 stream)
// unwinds through RoundTrip to the caller, who may recover (as net/http's
// server does for a handler). The request is over then: a released pool
// must still close its connections.
func TestReleasedPoolSurvivesAPanickingGetBody(t *testing.T) {
	url, ca, _, open := fullDuplexH2Server(t, "refuse")
	hc, release := identityHTTPClient(t, ca)
	release()
	first, _ := io.Pipe() // never written: the request is refused
	req, err := http.NewRequest(http.MethodPut, url+"/stream", first)
	if err != nil {
		t.Fatal(err)
	}
	var rewound atomic.Int64
	req.GetBody = func() (io.ReadCloser, error) {
		rewound.Add(1)
		panic("GetBody")
	}
	recovered := func() (p any) {
		defer func() { p = recover() }()
		_, _ = hc.Do(req)
		return nil
	}()
	if recovered != "GetBody" || rewound.Load() == 0 {
		t.Fatalf("recovered %v, GetBody called %d times: the test proves nothing", recovered, rewound.Load())
	}
	testwait.Until(t, "the released pool's connections to close after the panic", func() bool { return open.Load() == 0 })
}

// TestReleasedPoolResponseEndsWithItsContext pins a broken promise of the
// package doc: a request is in flight "until its response body has been
// read to the end or closed, and its request body sent, or until its
// context is done". A response whose body the caller neither read nor
// closed stayed in flight after its context was done, so a released pool
// kept its HTTP/2 connection open (net/http resets the stream, not the
// connection) until its idle timeout, 90 s.
func TestReleasedPoolResponseEndsWithItsContext(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("http2=%v", h2), func(t *testing.T) {
			srv, open := startConnCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush()
				<-r.Context().Done() // the body never ends on its own
			}, h2)
			hc, release := identityHTTPClient(t, caOf(srv))
			release()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/slow", nil)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if h2 != (resp.ProtoMajor == 2) {
				t.Fatalf("the request used %s: the test proves nothing", resp.Proto)
			}
			t.Cleanup(func() { resp.Body.Close() })
			cancel() // the body is neither read nor closed
			testwait.Until(t, "no connection open once the request's context is done", func() bool { return open.Load() == 0 })
		})
	}
}
