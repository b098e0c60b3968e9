package clientcache

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/clientcache/clientcache/internal/testwait"
)

// TestSealedGenerationClosesALateConnection: net/http goes on dialing for a
// request that got another connection or gave up, and keeps what it dials.
// A connection a sealed generation finishes dialing is closed at once (no
// request of it can be in flight), not kept, idle, for the idle timeout.
func TestSealedGenerationClosesALateConnection(t *testing.T) {
	var closes atomic.Int64
	tr := newTransport(awshttp.NewBuildableClient(), true, &closes)
	g := tr.gen.Load()
	tr.release()
	if g.state.Load() != sealed {
		t.Fatalf("a released pool with no request in flight: generation state %d, want sealed", g.state.Load())
	}
	mine, theirs := net.Pipe()
	defer theirs.Close()
	c, err := g.track(mine)
	if !errors.Is(err, errSealed) || c != nil {
		t.Fatalf("a connection dialed after the seal: %v, %v", c, err)
	}
	if _, err := mine.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("the late connection is open: writing to it gave %v", err)
	}
}

// TestGenerationIsSealedByTheLastRequestInFlight: a pool released with a
// request in flight keeps its generation (and its connections) until that
// request is done, then seals it; a request entering a sealed generation
// opens a new one, which its own exit seals.
func TestGenerationIsSealedByTheLastRequestInFlight(t *testing.T) {
	var closes atomic.Int64
	tr := newTransport(awshttp.NewBuildableClient(), true, &closes)
	g0 := tr.enter()
	tr.release()
	if s := g0.state.Load(); s != inFlight {
		t.Fatalf("released with a request in flight: state %d, want %d (not sealed)", s, inFlight)
	}
	if g := tr.enter(); g != g0 {
		t.Fatal("a request entering while another is in flight opened a new generation")
	} else {
		tr.exit(g)
	}
	tr.exit(g0)
	if s := g0.state.Load(); s != sealed {
		t.Fatalf("the last request in flight done: state %d, want sealed", s)
	}
	g1 := tr.enter()
	if g1 == g0 {
		t.Fatal("a request entered a sealed generation")
	}
	tr.exit(g1)
	if s := g1.state.Load(); s != sealed {
		t.Fatalf("the new generation's last request done: state %d, want sealed", s)
	}
	if n := closes.Load(); n != 1 {
		t.Fatalf("%d releases counted, want 1", n)
	}
}

// TestUnreleasedPoolForgetsClosedConnections: a long-lived pool's
// generation lists only the connections open, whatever closed them.
func TestUnreleasedPoolForgetsClosedConnections(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		_, _ = w.Write([]byte("x"))
	}))
	defer plain.Close()
	untrusted := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer untrusted.Close()
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden) // refuses CONNECT
	}))
	defer proxy.Close()
	var closes atomic.Int64
	tr := newTransport(awshttp.NewBuildableClient(), true, &closes)
	defer tr.release()
	proxied := newTransport(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		pu, _ := url.Parse(proxy.URL)
		tr.Proxy = http.ProxyURL(pu)
	}), true, &closes)
	defer proxied.release()
	for range 50 {
		if resp, err := tr.client.Get(plain.URL); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if resp, err := tr.client.Get(untrusted.URL); err == nil {
			resp.Body.Close()
			t.Fatal("an untrusted certificate was accepted")
		}
		if resp, err := proxied.client.Get("https://example.invalid/"); err == nil {
			resp.Body.Close()
		}
	}
	for _, p := range []*transport{tr, proxied} {
		g := p.gen.Load()
		g.mu.Lock()
		n := len(g.conns)
		g.mu.Unlock()
		if n > 1 {
			t.Errorf("the generation lists %d connections", n)
		}
	}
}

// TestUnreleasedPoolForgetsClosedTLSDialerConnections: the connections a
// TLS dialer of the caller's gives, which the generation holds weakly (see
// generation.tls), leave its list once net/http has dropped them, over
// HTTP/1.1 (the server closes each) and HTTP/2 (the pool closes each, idle):
// a long-lived pool's list does not grow with every connection it dialed.
func TestUnreleasedPoolForgetsClosedTLSDialerConnections(t *testing.T) {
	for _, http2 := range []bool{false, true} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ProtoMajor == 1 {
				w.Header().Set("Connection", "close")
			}
			_, _ = w.Write([]byte("x"))
		}))
		srv.EnableHTTP2 = http2
		srv.StartTLS()
		defer srv.Close()
		roots := x509.NewCertPool()
		roots.AddCert(srv.Certificate())
		dialer := &tls.Dialer{Config: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}}
		var closes atomic.Int64
		tr := newTransport(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.DialTLSContext = dialer.DialContext
		}), true, &closes)
		defer tr.release()
		g := tr.gen.Load()
		listed := func() int {
			g.mu.Lock()
			defer g.mu.Unlock()
			return len(g.tls)
		}
		const n = 50
		for range n {
			resp, err := tr.client.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			if resp.ProtoMajor != map[bool]int{false: 1, true: 2}[http2] {
				t.Fatalf("http2=%v: the response came over HTTP/%d", http2, resp.ProtoMajor)
			}
			if listed() == 0 { // its connection is in use
				t.Fatalf("http2=%v: the generation does not list the connection of the TLS dialer in use", http2)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			tr.CloseIdleConnections()
		}
		testwait.Until(t, "the generation to forget the closed connections of a TLS dialer", func() bool {
			runtime.GC()
			return listed() <= n/10
		})
	}
}

// TestReqBodiesCountOnce: however net/http's Close of a request body (its
// own, or one GetBody gave) and the request's cancellation (its context
// done before or after RoundTrip returned) interleave, the request is
// counted done exactly once, and nothing watching the context is left
// running.
func TestReqBodiesCountOnce(t *testing.T) {
	var closes atomic.Int64
	tr := newTransport(awshttp.NewBuildableClient(), true, &closes)
	defer tr.release()
	before := runtime.NumGoroutine()
	for i := range 400 {
		g := tr.enter()
		rb := &reqBodies{t: tr, g: g}
		first := rb.track(&rb.first, io.NopCloser(strings.NewReader("x")))
		var second *trackedReqBody
		if i%2 == 1 { // a retry: net/http took a body of GetBody
			second = rb.track(new(trackedReqBody), io.NopCloser(strings.NewReader("x")))
		}
		ctx, cancel := context.WithCancel(context.Background())
		if i%4 >= 2 {
			cancel() // done before RoundTrip returned
		}
		rb.returned.Store(true)
		var wg sync.WaitGroup
		wg.Add(3)
		go func() { defer wg.Done(); first.Close() }()
		go func() {
			defer wg.Done()
			if second != nil {
				second.Close()
			}
		}()
		go func() { defer wg.Done(); cancel() }()
		rb.abandonWhenDone(ctx)
		wg.Wait()
		tr.exit(g) // the response's
		testwait.Until(t, "the request to be counted done", func() bool {
			s := g.state.Load()
			if s < 0 {
				t.Fatalf("generation state %d: counted done twice", s)
			}
			return s == 0
		})
	}
	testwait.Until(t, "no goroutine left watching a context", func() bool { return runtime.NumGoroutine() <= before })
}
