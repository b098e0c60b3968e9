package clientcache

import (
	"net/http"
	"sync/atomic"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// transport is an HTTP connection pool the cache owns: one per loaded config
// identity, shared by every client built from that config. It counts its
// holders (the config entry, and each cached client and derived object built
// on it) and closes its idle connections when the last one lets go, so that
// evicting a tenant releases its sockets instead of leaving them idle for 90
// seconds.
type transport struct {
	tr     *http.Transport
	client *http.Client
	refs   atomic.Int64
	closes *atomic.Int64 // the cache's count of pools released
}

// newTransport takes the transport out of the SDK's buildable client (whose
// own transport is a private clone nobody could close), keeping everything
// LoadDefaultConfig configured on it, such as a custom CA bundle.
func newTransport(from *awshttp.BuildableClient, closes *atomic.Int64) *transport {
	tr := from.GetTransport()
	t := &transport{
		tr:     tr,
		client: &http.Client{Transport: tr, CheckRedirect: limitedRedirect},
		closes: closes,
	}
	t.refs.Store(1) // the config entry's
	return t
}

func (t *transport) acquire() {
	if t != nil {
		t.refs.Add(1)
	}
}

func (t *transport) release() {
	// A nil transport is an HTTP client of the caller's: not ours to close.
	if t != nil && t.refs.Add(-1) == 0 {
		t.tr.CloseIdleConnections()
		t.closes.Add(1)
	}
}

// limitedRedirect follows only 307 and 308 redirects (which keep the method
// and body), like the SDK's own HTTP client, and drops the session token
// header when a redirect changes host.
func limitedRedirect(r *http.Request, via []*http.Request) error {
	switch r.Response.StatusCode {
	case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		if len(via) > 0 && via[len(via)-1].URL.Host != r.URL.Host {
			r.Header.Del("X-Amz-Security-Token")
		}
		return nil
	}
	return http.ErrUseLastResponse
}
