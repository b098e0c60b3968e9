package clientcache_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/clientcache/clientcache"
	"github.com/clientcache/clientcache/internal/testwait"
	"github.com/clientcache/clientcache/keys"
)

// TestReleasedPoolClosesConnectionsOfCallersTLSDialer: a caller's
// BuildableClient whose transport dials HTTPS through DialTLSContext, made
// the identity's pool by a key's CABundle. net/http dials an HTTPS
// connection through DialTLSContext alone, never through the DialContext
// the pool's generations wrap to know their connections, so a released
// pool closed those only through CloseIdleConnections: over HTTP/2, the
// connection of a request in flight at the release (whose stream net/http
// retires after its body is done, in a goroutine of its own) could stay
// open. Each case checks the connection is still HTTP/2 (net/http
// negotiates it only with a *tls.Conn from the dialer).
func TestReleasedPoolClosesConnectionsOfCallersTLSDialer(t *testing.T) {
	for _, http2 := range []bool{false, true} {
		for _, tc := range []string{"idle", "inFlight", "kept"} {
			t.Run(fmt.Sprintf("http2=%v/%s", http2, tc), func(t *testing.T) {
				releasedPoolWithTLSDialer(t, http2, tc, false)
			})
		}
	}
	// The deprecated DialTLS, which net/http uses when DialTLSContext is nil.
	t.Run("http2=true/inFlight/DialTLS", func(t *testing.T) { releasedPoolWithTLSDialer(t, true, "inFlight", true) })
}

func releasedPoolWithTLSDialer(t *testing.T, http2 bool, tc string, deprecated bool) {
	arrived := make(chan chan struct{}) // a /slow request's head is sent: close the channel given to finish it
	stop := make(chan struct{})         // the test is over: a handler it failed to finish returns
	srv, open := tlsConnCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			finish := make(chan struct{})
			select {
			case arrived <- finish:
				select {
				case <-finish:
				case <-stop:
				}
			case <-stop:
			}
		}
		_, _ = w.Write([]byte("x"))
	}, http2)
	t.Cleanup(func() { close(stop) }) // before the server's Close
	var tlsDials atomic.Int64
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	dialer := &tls.Dialer{Config: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}}
	mine := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		if deprecated {
			//lint:ignore SA1019 the deprecated field is what this case is about
			tr.DialTLS = func(network, addr string) (net.Conn, error) {
				tlsDials.Add(1)
				return dialer.Dial(network, addr)
			}
			return
		}
		tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			tlsDials.Add(1)
			return dialer.DialContext(ctx, network, addr)
		}
	})
	key, err := keys.NewConfig(keys.ConfigInput{Region: "us-east-1", Name: "mine", CABundle: caOf(srv), Credentials: keys.AnonymousCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	for range tlsDialerRounds {
		c := newUnclosedCache(t, clientcache.Options{LoadOptions: map[string][]func(*config.LoadOptions) error{
			"mine": {config.WithHTTPClient(mine)},
		}})
		cfg, err := c.Config(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		hc := cfg.HTTPClient
		if hc == mine {
			t.Fatal("the identity's HTTP client is the caller's, not a pool of the cache's: the test proves nothing")
		}
		send := func(path string) *http.Response {
			t.Helper()
			resp, err := hc.Do(mustRequest(t, srv.URL+path))
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{false: 1, true: 2}[http2]; resp.ProtoMajor != want || resp.TLS == nil {
				t.Fatalf("the response came over HTTP/%d (TLS state: %v), want HTTP/%d over TLS", resp.ProtoMajor, resp.TLS != nil, want)
			}
			return resp
		}
		drain := func(resp *http.Response) {
			t.Helper()
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
		}
		release := func() {
			if !c.DeleteConfig(key) {
				t.Fatal("DeleteConfig found no entry")
			}
		}
		switch tc {
		case "idle":
			drain(send("/"))
			release()
		case "inFlight":
			resp := send("/slow")
			finish := <-arrived
			release()
			close(finish)
			drain(resp)
		case "kept":
			drain(send("/"))
			release()
			testwait.Until(t, "the idle connection of a released pool to close", func() bool { return open.Load() == 0 })
			drain(send("/"))
		}
		testwait.Until(t, "every connection of a released pool to close once its requests are done", func() bool { return open.Load() == 0 })
	}
	if tlsDials.Load() == 0 {
		t.Fatal("no connection was dialed through the caller's DialTLSContext: the test proves nothing")
	}
}

// tlsDialerRounds is how many times each case of
// TestReleasedPoolClosesConnectionsOfCallersTLSDialer runs: the leak it
// pins lost a race, about one round in ten.
const tlsDialerRounds = 30

// tlsConnCountingServer starts a TLS server (HTTP/1.1 only, or with HTTP/2)
// with handler h and returns it with the count of its connections open.
func tlsConnCountingServer(t *testing.T, h http.HandlerFunc, http2 bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	srv, open := unstartedConnCountingServer(h)
	srv.EnableHTTP2 = http2
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, open
}
