package clientcache

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

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
	tr := newTransport(awshttp.NewBuildableClient(), &closes)
	defer tr.release()
	proxied := newTransport(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		pu, _ := url.Parse(proxy.URL)
		tr.Proxy = http.ProxyURL(pu)
	}), &closes)
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
