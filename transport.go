package clientcache

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
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
	// released is set when the last holder lets go. A client the caller
	// kept goes on working, but each of its requests then closes its
	// connection when done (see RoundTrip), so that a released pool never
	// keeps one open.
	released atomic.Bool
	closes   *atomic.Int64 // the cache's count of pools released
	// sources are the pools of the source identities this identity's
	// credentials refresh through (an assumed role's), held until this
	// pool is released: the identity's clients refresh through them.
	// Written before the pool is published.
	sources []*transport
}

// newTransport takes the transport out of the cache's own buildable client
// (whose own transport is a private clone nobody could close), keeping
// everything configured on it: a custom CA bundle, the defaults mode's
// timeouts, its request timeout. Only keep-alive is turned back on: the
// buildable client keeps none, for the copies the SDK makes of it (see
// loadConfig).
func newTransport(from *awshttp.BuildableClient, closes *atomic.Int64) *transport {
	tr := from.GetTransport()
	tr.DisableKeepAlives = false
	t := &transport{tr: tr, closes: closes}
	t.client = &http.Client{Transport: t, CheckRedirect: limitedRedirect, Timeout: from.GetTimeout()}
	t.refs.Store(1) // the config entry's
	return t
}

// acquire adds a holder and reports whether it could. A pool whose last
// holder let go is released for good (its idle connections closed and
// counted) and never held again, so that it is released once: the caller
// then looks its holder up again, which loads a new one.
func (t *transport) acquire() bool {
	if t == nil {
		return true // an HTTP client of the caller's: nothing to hold
	}
	for {
		n := t.refs.Load()
		if n <= 0 {
			return false
		}
		if t.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// held looks an entry up and holds the pool pool(e) gives (see acquire):
// whatever was looked up can be evicted, and let go of its pool, at any time
// after the lookup, so a pool released since then sends held back to the
// lookup (which loads a new entry) until ctx is done.
func held[E any](ctx context.Context, lookup func() (E, error), pool func(E) *transport) (E, error) {
	for {
		e, err := lookup()
		if err != nil || pool(e).acquire() {
			return e, err
		}
		if err := ctx.Err(); err != nil {
			var zero E
			return zero, err
		}
	}
}

// buildHolding runs build for a new holder of t that has acquired it, and
// lets go of t if build fails or panics.
func buildHolding[V any](t *transport, build func() (V, error)) (v V, err error) {
	built := false
	defer func() {
		if !built {
			t.release()
		}
	}()
	v, err = build()
	built = err == nil
	return v, err
}

// RoundTrip sends r through the pool. Once the pool is released, r asks for
// its connection to be closed after the response (Request.Close, on a copy):
// CloseIdleConnections closed the connections idle at release, and net/http
// those of requests then in flight as they finish, but a request made later
// would leave its connection idle, and open, for the idle timeout.
//
// A later request also undoes that CloseIdleConnections: net/http stops
// closing newly idle connections as soon as a request asks the Transport for
// one, so the connection of a request in flight at release would go idle,
// and stay open, once done. So every request that finds the pool released,
// before or after it was sent (one racing release), closes the idle
// connections again once it has its connection: a connection that went idle
// meanwhile is closed, and the Transport goes back to closing those that
// become idle later.
//
// That holds for HTTP/1.1 only. An HTTP/2 connection (the SDK's transport
// attempts HTTP/2 with endpoints that offer it) is closed by
// CloseIdleConnections only if it has no stream open at that moment, and
// nothing closes it when its last stream ends later: so the body of an
// HTTP/2 response closes the idle connections again when it is closed (its
// stream is then done), if the pool is released by then.
func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	released := t.released.Load()
	if released && !r.Close {
		c := *r
		c.Close = true
		r = &c
	}
	resp, err := t.tr.RoundTrip(r)
	if released || t.released.Load() {
		t.tr.CloseIdleConnections()
	}
	if err == nil && resp.ProtoMajor == 2 && resp.Body != nil && resp.Body != http.NoBody {
		// An HTTP/2 connection has no "close newly idle connections"
		// state: one whose streams were in flight at release goes idle,
		// and stays open for the idle timeout, when its last stream ends.
		// Its stream is done once its body is closed: close the idle
		// connections again then, if the pool is released by that time.
		resp.Body = &releasedBody{ReadCloser: resp.Body, t: t}
	}
	return resp, err
}

// releasedBody is the body of an HTTP/2 response of the pool t: closing it
// closes t's idle connections, its own's included, if t is released.
type releasedBody struct {
	io.ReadCloser
	t *transport
}

func (b *releasedBody) Close() error {
	err := b.ReadCloser.Close()
	if b.t.released.Load() {
		b.t.tr.CloseIdleConnections()
	}
	return err
}

// CloseIdleConnections closes the pool's idle connections (for
// http.Client.CloseIdleConnections).
func (t *transport) CloseIdleConnections() { t.tr.CloseIdleConnections() }

func (t *transport) release() {
	// A nil transport is an HTTP client of the caller's: not ours to close.
	if t != nil && t.refs.Add(-1) == 0 {
		t.released.Store(true)
		// Counted first, so that whoever sees a connection closed here
		// sees the release counted in Stats.PoolsReleased.
		t.closes.Add(1)
		t.tr.CloseIdleConnections()
		for _, s := range t.sources {
			s.release()
		}
	}
}

// maxRedirects is net/http's own limit.
const maxRedirects = 10

var errTooManyRedirects = fmt.Errorf("clientcache: stopped after %d redirects", maxRedirects)

// credentialHeaders are the request headers that carry secrets: the SigV4
// signature, the session token, S3 Express's session token, the SSO portal
// API's access token, the Connect Participant Service's participant and
// connection tokens, and the S3 SSE-C customer keys (with their digests) of
// the object and of a copy source.
var credentialHeaders = [...]string{
	"Authorization",
	"X-Amz-Security-Token",
	"X-Amz-S3session-Token",
	"X-Amz-Sso_bearer_token",
	"X-Amz-Bearer",
	"X-Amz-Server-Side-Encryption-Customer-Key",
	"X-Amz-Server-Side-Encryption-Customer-Key-Md5",
	"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key",
	"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key-Md5",
}

// limitedRedirect follows only 307 and 308 redirects (which keep the method
// and body), like the SDK's own HTTP client, and drops the credential headers
// on every hop whose scheme or host (port included) differs from the original
// request's. The comparison is with the original request (via[0]), not the
// previous hop: net/http builds each hop's headers afresh from the original
// request, so a header dropped on one hop would come back on the next (A -> B
// -> B), and a downgrade from https to http on the same host counts as
// another origin. Like net/http's default policy (which a CheckRedirect
// replaces), it stops after maxRedirects, so a redirect loop fails instead of
// running until the caller's deadline.
func limitedRedirect(r *http.Request, via []*http.Request) error {
	switch r.Response.StatusCode {
	case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return http.ErrUseLastResponse
	}
	if len(via) >= maxRedirects {
		return errTooManyRedirects
	}
	if len(via) > 0 && !sameOrigin(via[0].URL, r.URL) {
		for _, h := range credentialHeaders {
			r.Header.Del(h)
		}
	}
	return nil
}

// sameOrigin reports whether a and b have the same scheme, host and port,
// ignoring case, with the scheme's default port written or not (443 for
// https, 80 for http).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) &&
		originPort(a) == originPort(b)
}

// originPort is u's port, or its scheme's default port if none is written.
func originPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}
