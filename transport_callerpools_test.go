package clientcache_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/fakeaws"
	"github.com/clientcache/clientcache/keys"
)

// TestDefaultsModeAutoWithCallersBuildableClientLeavesNoConnectionAfterClose:
// DefaultsMode auto makes LoadDefaultConfig ask IMDS for the instance's
// region through an IMDS client built from the load's HTTP client. With a
// BuildableClient of the caller's (named load options), the load was given a
// copy of it that kept idle connections, and the IMDS client copied that into
// a pool neither the caller nor the cache can reach: its connection to IMDS
// stayed open after Close, as the cache's own copies (which keep no idle
// connection) do not.
func TestDefaultsModeAutoWithCallersBuildableClientLeavesNoConnectionAfterClose(t *testing.T) {
	srv := imdsEndpoint(t)
	mine := awshttp.NewBuildableClient()
	c := newUnclosedCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"mine": {config.WithHTTPClient(mine)},
	}})
	creds, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDSTATIC", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", DefaultsMode: keys.DefaultsModeAuto, Credentials: creds, Name: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Config(context.Background(), cfgKey)
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	if cfg.HTTPClient != mine {
		t.Fatalf("the identity's HTTP client is a %T, not the caller's", cfg.HTTPClient)
	}
	if srv.Requests() == 0 {
		t.Fatal("DefaultsMode auto did not ask IMDS: the test proves nothing")
	}
	closeLeavesNoConnection(t, c, srv, "IMDS")
}

// TestCallersBuildableClientWithCABundleKeepsItsConnectionsAlive: the copy
// of a caller's BuildableClient that a key's CABundle makes the identity's
// pool keeps the caller's keep-alive setting, though the copy the load is
// given keeps no idle connection.
func TestCallersBuildableClientWithCABundleKeepsItsConnectionsAlive(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	cfg := callersClientTrusting(t, awshttp.NewBuildableClient(), srv)
	for range 2 {
		resp, err := cfg.HTTPClient.Do(mustRequest(t, srv.URL))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("two requests in a row opened %d connections, want 1 (kept alive)", n)
	}
}

// TestAssumedRoleWithCallersBuildableClientLeavesNoConnectionAfterClose: the
// STS client the cache builds for an assumed role, from a config whose HTTP
// client is a BuildableClient of the caller's, copies it into a pool of its
// own, which neither the caller nor the cache can reach.
func TestAssumedRoleWithCallersBuildableClientLeavesNoConnectionAfterClose(t *testing.T) {
	stssrv := fakeaws.NewSTS()
	t.Cleanup(stssrv.Close)
	stssrv.AddUser("AKIDBASE", baseSecret)
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(stssrv.CABundle()) {
		t.Fatal("the fake STS's CA bundle does not parse")
	}
	mine := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	})
	c := newUnclosedCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"mine": {config.WithHTTPClient(mine)},
	}})
	static, err := keys.StaticCredentials(keys.StaticInput{AccessKeyID: "AKIDBASE", SecretAccessKey: keys.NewSecret(baseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	role, err := keys.AssumeRoleCredentials(keys.AssumeRoleInput{Source: static, RoleARN: roleARN(1), SessionName: "mine",
		STSRegion: "us-east-1", STSEndpoint: stssrv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	cfgKey, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Name: "mine", Credentials: role})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Config(context.Background(), cfgKey); err != nil {
		t.Fatalf("Config: %v", err)
	}
	if n := stssrv.CallsFor(roleARN(1)); n != 1 {
		t.Fatalf("AssumeRole calls: %d, want 1", n)
	}
	closeLeavesNoConnection(t, c, stssrv, "STS")
}

// TestCallersDeprecatedDialIsKept: a caller's BuildableClient whose
// transport dials through the deprecated Dial field (no DialContext), made
// the identity's pool by a key's CABundle, kept its settings but not its
// dialer: the pool's DialContext, which tracks its connections, dialed with
// net's default instead, and net/http never called the caller's Dial.
func TestCallersDeprecatedDialIsKept(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	var dials atomic.Int64
	mine := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.DialContext = nil
		//lint:ignore SA1019 the deprecated field is what this test is about
		tr.Dial = func(network, addr string) (net.Conn, error) {
			dials.Add(1)
			return net.Dial(network, addr)
		}
	})
	cfg := callersClientTrusting(t, mine, srv)
	resp, err := cfg.HTTPClient.Do(mustRequest(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if dials.Load() == 0 {
		t.Fatal("the request was dialed without the caller's Dial")
	}
}

// callersClientTrusting loads, in a new cache, the config of an anonymous
// identity whose named load options set the caller's client mine and whose
// CABundle is srv's: the cache makes a copy of mine the identity's pool.
func callersClientTrusting(t *testing.T, mine *awshttp.BuildableClient, srv *httptest.Server) aws.Config {
	t.Helper()
	c := newClientCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
		"mine": {config.WithHTTPClient(mine)},
	}})
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Name: "mine", CABundle: caOf(srv), Credentials: keys.AnonymousCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Config(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
