package clientcache_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/keys"
)

// TestCallerBuildableClientsRootCAsStayTheCallers pins a change of the
// caller's HTTP client, and a CA bundle reaching identities it was not given
// for: the SDK adds a key's CABundle to a BuildableClient by appending it, in
// place, to the RootCAs its transport has, and a BuildableClient's copies
// share that pool. A BuildableClient of the caller's with RootCAs of its own,
// brought by named load options, so came out of one identity's load trusting
// that identity's CA bundle, and so did every other identity using it.
func TestCallerBuildableClientsRootCAsStayTheCallers(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(srv.Close)
	callers := x509.NewCertPool() // the caller's own trust: not srv's CA
	mine := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = &tls.Config{RootCAs: callers, MinVersion: tls.VersionTLS12}
	})
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"mine": {config.WithHTTPClient(mine)},
	}})
	ctx := context.Background()
	withCA, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Name: "mine", CABundle: caOf(srv), Credentials: keys.AnonymousCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Config(ctx, withCA)
	if err != nil {
		t.Fatal(err)
	}
	// The identity given the CA bundle trusts srv.
	resp, err := cfg.HTTPClient.Do(mustRequest(t, srv.URL))
	if err != nil {
		t.Fatalf("the identity given srv's CA bundle does not trust srv: %v", err)
	}
	_ = resp.Body.Close()
	if !callers.Equal(x509.NewCertPool()) {
		t.Error("loading an identity with a CABundle added it to the RootCAs of the caller's BuildableClient")
	}
	// Another identity of the same caller's client, given no CA bundle,
	// does not.
	without, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Name: "mine", Credentials: keys.AnonymousCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.Config(ctx, without)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := other.HTTPClient.Do(mustRequest(t, srv.URL)); err == nil {
		_ = resp.Body.Close()
		t.Fatal("an identity given no CA bundle trusts the CA bundle of another identity using the same caller's HTTP client")
	}
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestCallerBuildableClientsRootCAsKeepAProfilesCABundleOut is the same for
// the load that resolves a profile's credentials, to which the SDK adds the
// profile's own ca_bundle: it was given the caller's BuildableClient as is.
func TestCallerBuildableClientsRootCAsKeepAProfilesCABundleOut(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(srv.Close)
	callers := x509.NewCertPool()
	mine := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = &tls.Config{RootCAs: callers, MinVersion: tls.VersionTLS12}
	})
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"mine": {config.WithHTTPClient(mine)},
	}})
	cfgFile, creds := profileWithCABundle(t, caOf(srv))
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Name: "mine", SharedConfigFiles: []string{cfgFile}, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Config(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPClient != mine {
		t.Errorf("the caller's BuildableClient was replaced by a %T", cfg.HTTPClient)
	}
	if !callers.Equal(x509.NewCertPool()) {
		t.Error("a profile's ca_bundle was added to the RootCAs of the caller's BuildableClient")
	}
}

// TestCallerBuildableClientWithCABundleLeavesNoConnectionAfterClose: a key's
// CABundle with a caller's BuildableClient makes the SDK build a copy of that
// client, whose pool is neither the caller's (who never sees it) nor, until
// it was made the identity's, one the cache closed: its connection stayed
// open, idle, after Close.
func TestCallerBuildableClientWithCABundleLeavesNoConnectionAfterClose(t *testing.T) {
	srv, err := fakeaws.NewS3("bucket")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.AddUser("AKIDMINE", baseSecret)
	mine := awshttp.NewBuildableClient().WithTimeout(time.Minute)
	c := newUnclosedCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"mine": {config.WithHTTPClient(mine)},
	}})
	creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDMINE", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Name: "mine", Credentials: creds, CABundle: srv.CABundle(),
		RequestChecksumCalculation: keys.ChecksumWhenRequired, ResponseChecksumValidation: keys.ChecksumWhenRequired})
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.NewClient(keys.ClientInput{Config: cfgKey, Service: "s3", Endpoint: srv.URL(), S3: keys.S3Options{UsePathStyle: true}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cl, err := clientcache.Client(ctx, c, k, s3.NewFromConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := put(ctx, cl, "x", "x"); err != nil {
		t.Fatal(err)
	}
	closeLeavesNoConnection(t, c, srv, "S3")
}

// TestCallerBuildableClientProfileRoleLeavesNoConnectionAfterClose: a
// profile's credential calls (here the AssumeRole of a profile with a
// ca_bundle of its own) through a caller's BuildableClient go through a copy
// of it, which the caller never sees: it keeps no idle connection, so that
// none stays open after Close.
func TestCallerBuildableClientProfileRoleLeavesNoConnectionAfterClose(t *testing.T) {
	stssrv, cfgFile := roleProfile(t, true)
	creds, err := keys.ProfileCredentials("tenant")
	if err != nil {
		t.Fatal(err)
	}
	mine := awshttp.NewBuildableClient().WithTimeout(time.Minute)
	c := newUnclosedCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"mine": {config.WithHTTPClient(mine)},
	}})
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Name: "mine", SharedConfigFiles: []string{cfgFile}, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	retrieve(t, c, cfgKey, "")
	if n := stssrv.CallsFor(fakeaws.RoleARN(1)); n != 1 {
		t.Fatalf("AssumeRole calls for the profile's role: %d, want 1", n)
	}
	closeLeavesNoConnection(t, c, stssrv, "STS")
}

// TestCallerBuildableClientWithCABundleIsNotGivenToTheContainerProvider:
// the container credentials provider, to which the SDK never gives the
// config's HTTP client, gets an HTTP client of the cache's, not the
// caller's (TestCallersHTTPClientIsNotGivenToTheContainerProvider). With a
// key's CABundle, the copy the SDK made of a caller's BuildableClient became
// the identity's pool, and the container provider was given a copy of it:
// the endpoint's authorization token went through the caller's transport
// (its proxy, here).
func TestCallerBuildableClientWithCABundleIsNotGivenToTheContainerProvider(t *testing.T) {
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-identity-token")
	srv := fakeaws.NewPodIdentityCredentials("pod-identity-token", "AKIDCONTAINER", baseSecret, "container-token")
	t.Cleanup(srv.Close)
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL()+"/creds")
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(tlsSrv.Close)

	var proxied atomic.Int64 // requests the caller's transport saw
	mine := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.Proxy = func(*http.Request) (*url.URL, error) { proxied.Add(1); return nil, nil }
	})
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"mine": {config.WithHTTPClient(mine)},
	}})
	for _, ca := range []struct {
		name   string
		bundle []byte
	}{{"without a CABundle", nil}, {"with a CABundle", caOf(tlsSrv)}} {
		cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Credentials: keys.DefaultCredentials(), Name: "mine", CABundle: ca.bundle})
		if err != nil {
			t.Fatal(err)
		}
		proxied.Store(0)
		retrieve(t, c, cfgKey, "AKIDCONTAINER")
		if n := proxied.Load(); n != 0 {
			t.Errorf("%s: %d container credential requests (with their authorization token) went through the caller's transport", ca.name, n)
		}
	}
}
