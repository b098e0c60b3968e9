package clientcache_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/keys"
)

// TestEndpointTrailingSlashReachesTheSDK sends AssumeRole, whose operation
// path is "/", through clients cached for the endpoints ".../p" and
// ".../p/", which the SDK sends to "/p" and "/p/": each cached client must
// send where an SDK client built for its endpoint sends. The two endpoints
// were once one identity, and the client cached for the first was handed to
// callers of the second.
func TestEndpointTrailingSlashReachesTheSDK(t *testing.T) {
	w := newWorld(t)
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSLASH", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", RetryMaxAttempts: 1, CABundle: w.ca, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Config(ctx, cfgKey)
	if err != nil {
		t.Fatal(err)
	}
	lastPath := func() string {
		log := w.sts.Log()
		if len(log) == 0 {
			t.Fatal("STS saw no request")
		}
		return log[len(log)-1].Path
	}
	assume := func(cl *sts.Client) {
		t.Helper()
		if _, err := cl.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN(1)), RoleSessionName: aws.String("slash")}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []keys.Client
	for _, tc := range []struct{ suffix, path string }{{"/p", "/p"}, {"/p/", "/p/"}, {"/", "/"}, {"", "/"}} {
		endpoint := w.sts.URL() + tc.suffix
		// What the SDK itself does with the endpoint.
		assume(sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(endpoint) }))
		if got := lastPath(); got != tc.path {
			t.Fatalf("an SDK client for %q sent to %q, want %q (the SDK changed: revisit keys' endpoint normalisation)", endpoint, got, tc.path)
		}
		k, cl := cachedSTSClient(t, c, cfgKey, endpoint)
		assume(cl)
		if got := lastPath(); got != tc.path {
			t.Errorf("the client cached for %q (key endpoint %q) sent to %q, want %q", endpoint, k.Endpoint(), got, tc.path)
		}
		seen = append(seen, k)
	}
	// "/p" and "/p/" are two identities; "/" and no path are one.
	if seen[0] == seen[1] || seen[2] != seen[3] {
		t.Errorf("keys of .../p, .../p/, .../ and ...: %v", seen)
	}
}

// TestEndpointPortReachesTheSDK sends GetCallerIdentity through clients
// cached for endpoints that differ in how their port is written, and
// compares the Host header each sends (the header SigV4 signs) with the one
// an SDK client built for the same endpoint sends. The SDK drops the
// scheme's default port written as such (":80" for http), but sends a port
// with leading zeros as written ("Host: 127.0.0.1:0<port>", signed so): it
// does not treat it as the same port, nor ":080" as the default one.
func TestEndpointPortReachesTheSDK(t *testing.T) {
	var mu sync.Mutex
	var last string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		last = r.Host
		mu.Unlock()
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	c := newClientCache(t, clientcache.Options{})
	ctx := context.Background()
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", RetryMaxAttempts: 1, Credentials: keys.AnonymousCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Config(ctx, cfgKey)
	if err != nil {
		t.Fatal(err)
	}
	hostOf := func(cl *sts.Client) string {
		t.Helper()
		mu.Lock()
		last = ""
		mu.Unlock()
		_, _ = cl.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}) // the server answers 403
		mu.Lock()
		defer mu.Unlock()
		if last == "" {
			t.Fatal("the server saw no request")
		}
		return last
	}
	for _, endpoint := range []string{"http://127.0.0.1:" + port, "http://127.0.0.1:0" + port, "http://127.0.0.1:00" + port} {
		want := hostOf(sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(endpoint) }))
		k, cl := cachedSTSClient(t, c, cfgKey, endpoint)
		if got := hostOf(cl); got != want {
			t.Errorf("the client cached for %q (key endpoint %q) sent Host %q; an SDK client for it sends %q", endpoint, k.Endpoint(), got, want)
		}
	}
}

// cachedSTSClient returns the key of an STS client of cfgKey sending to
// endpoint, and the client c caches for it.
func cachedSTSClient(t *testing.T, c *clientcache.Cache, cfgKey keys.Config, endpoint string) (keys.Client, *sts.Client) {
	t.Helper()
	k, err := keys.NewClient(keys.ClientInput{Config: cfgKey, Service: "sts", Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := clientcache.Client(context.Background(), c, k, sts.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	return k, cl
}
