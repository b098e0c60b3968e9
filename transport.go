package clientcache

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"weak"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// transport is an HTTP connection pool the cache owns: one per loaded config
// identity, shared by every client built from that config. It counts its
// holders (the config entry, and each cached client and derived object built
// on it) and closes its connections when the last one lets go, so that
// evicting a tenant releases its sockets instead of leaving them idle for 90
// seconds.
//
// Requests go through a generation: a net/http Transport of the pool's
// settings that knows the connections it dialed and counts its requests in
// flight. Until the pool is released there is one generation. Once it is
// released, a generation with no request in flight is sealed: it takes no
// new request, and every connection it dialed is closed, idle or not, since
// no request is using it. A request that finds the generation sealed (one of
// a client the caller kept) opens a new one, which is sealed in turn when
// its requests are done. So a released pool keeps no connection open while
// none of its requests is in flight, over HTTP/1.1 and HTTP/2 alike, without
// asking a request to close its connection (which, over HTTP/2, failed
// other requests sharing that connection) and without waiting for net/http
// to find a connection idle (an HTTP/2 stream is retired in a goroutine of
// its own, after its response body was closed).
type transport struct {
	client *http.Client
	refs   atomic.Int64
	// released is set when the last holder lets go. A client the caller
	// kept goes on working, through generations of their own (see the
	// type's comment).
	released atomic.Bool
	closes   *atomic.Int64 // the cache's count of pools released
	// sources are the pools of the source identities this identity's
	// credentials refresh through (an assumed role's), held until this
	// pool is released: the identity's clients refresh through them.
	// Written before the pool is published.
	sources []*transport

	// template holds the pool's settings; it sends nothing itself: each
	// generation is a clone of it. dial is its DialContext, and dialTLS
	// its DialTLSContext (or DialTLS), if any, through which net/http
	// dials HTTPS connections instead: each generation wraps them to know
	// its connections.
	template *http.Transport
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	dialTLS  func(ctx context.Context, network, addr string) (net.Conn, error)
	gen      atomic.Pointer[generation]
	genMu    sync.Mutex // held to replace a sealed generation
}

// newTransport takes the transport out of a buildable client of the
// cache's (whose own transport is a private clone nobody could close),
// keeping everything configured on it: a custom CA bundle, the defaults
// mode's timeouts, its request timeout. keepAlive turns keep-alive back on:
// the cache's buildable client, and its copy of the caller's, keep none,
// for the copies the SDK makes of them; keepAlive is then true for the
// cache's own, and the caller's setting for a copy of the caller's (see
// loadConfig).
func newTransport(from *awshttp.BuildableClient, keepAlive bool, closes *atomic.Int64) *transport {
	tr := from.GetTransport()
	if keepAlive {
		tr.DisableKeepAlives = false
	}
	t := &transport{template: tr, dial: tr.DialContext, closes: closes}
	//lint:ignore SA1019 a caller's transport may still dial through the deprecated Dial, which net/http uses when DialContext is nil
	if dial := tr.Dial; t.dial == nil && dial != nil {
		// The generations set DialContext, which net/http prefers to Dial:
		// without this the caller's dialer was left unused.
		t.dial = func(_ context.Context, network, addr string) (net.Conn, error) { return dial(network, addr) }
	}
	if t.dial == nil {
		t.dial = new(net.Dialer).DialContext // net/http's own default
	}
	// A TLS dialer of the caller's: net/http dials HTTPS through it alone,
	// never through DialContext.
	t.dialTLS = tr.DialTLSContext
	//lint:ignore SA1019 a caller's transport may still dial TLS through the deprecated DialTLS, which net/http uses when DialTLSContext is nil
	if dial := tr.DialTLS; t.dialTLS == nil && dial != nil {
		t.dialTLS = func(_ context.Context, network, addr string) (net.Conn, error) { return dial(network, addr) }
	}
	t.gen.Store(t.newGeneration())
	t.client = &http.Client{Transport: t, CheckRedirect: limitedRedirect, Timeout: from.GetTimeout()}
	t.refs.Store(1) // the config entry's
	return t
}

// acquire adds a holder and reports whether it could. A pool whose last
// holder let go is released for good (counted, its connections closed once
// none of its requests is in flight) and never held again, so that it is released once: the caller
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

// RoundTrip sends r through the pool's generation, counted in flight until
// its response body has been read to its end, failed, or been closed, or
// the request's context is done (or until RoundTrip fails; a protocol
// switch's body, the connection, until it is closed), and until net/http
// has closed its request body
// (the last one it took: a retry sends one of Request.GetBody), or the
// request's context is done: over HTTP/2, a server may answer (2xx, its
// stream ended) before it has read the request body, and net/http goes on
// sending it (full duplex). (Not watched: the deprecated Request.Cancel.
// A request cancelled through it alone, whose body net/http never closes
// because the caller stopped feeding it, stays in flight; watching it
// would cost a goroutine for every request with a body that an
// http.Client with a Timeout sends, since the Client sets Cancel then, and
// also ends the context at the timeout.)
//
// The cost, besides a few small allocations (a context.AfterFunc for a
// request whose context can end): net/http writes the headers of
// a request whose body is a *bytes.Reader, *bytes.Buffer or *strings.Reader
// together with its body, and those of any other body (the wrapped one
// included) first, in a write of their own (BenchmarkPoolRequest). The
// SDK's request bodies are of the second kind already.
func (t *transport) RoundTrip(orig *http.Request) (*http.Response, error) {
	g := t.enter()
	r := orig
	var rb *reqBodies
	if r.Body != nil && r.Body != http.NoBody {
		rb = &reqBodies{t: t, g: g}
		r = new(http.Request)
		*r = *orig // a RoundTripper does not modify its request
		r.Body = rb.track(&rb.first, orig.Body)
		if orig.GetBody != nil {
			// net/http retries a request (HTTP/2 REFUSED_STREAM or
			// GOAWAY, a reused HTTP/1.1 connection lost) with a body
			// GetBody gives: the request is in flight until that
			// one is sent.
			r.GetBody = func() (io.ReadCloser, error) {
				b, err := orig.GetBody()
				if err != nil || b == nil || b == http.NoBody || rb.returned.Load() {
					return b, err // (net/http's response may hand r on)
				}
				return rb.track(new(trackedReqBody), b), nil
			}
		}
	}
	sent := false
	defer func() {
		if !sent {
			// A panic (of the caller's GetBody, Proxy or trace hook)
			// unwinds to the caller: the request is over.
			if rb != nil {
				rb.returned.Store(true)
				rb.abandon()
			}
			t.exit(g)
		}
	}()
	resp, err := g.tr.RoundTrip(r)
	sent = true
	if resp != nil && resp.Request == r {
		resp.Request = orig
	}
	if rb != nil {
		rb.returned.Store(true)
		if err != nil {
			rb.abandon() // the request failed: nothing of it is sent on
		} else {
			rb.abandonWhenDone(orig.Context())
		}
	}
	if err != nil || resp.Body == nil || resp.Body == http.NoBody {
		t.exit(g)
		return resp, err
	}
	tb := &trackedBody{ReadCloser: resp.Body, t: t, g: g}
	if w, ok := resp.Body.(io.Writer); ok {
		// A protocol switch (101): the body is the connection, and
		// net/http's callers write to it.
		resp.Body = &trackedRWBody{trackedBody: tb, w: w}
	} else {
		resp.Body = tb
		// A request whose context is done reads nothing more: net/http
		// ends its body (over HTTP/2 it resets the stream, over HTTP/1.1
		// it closes the connection), but a caller that neither reads nor
		// closes it would keep it in flight, and a released pool's
		// HTTP/2 connection open, for ever.
		if ctx := orig.Context(); ctx.Done() != nil {
			stop := context.AfterFunc(ctx, tb.exit)
			tb.stop.Store(&stop)
		}
	}
	return resp, nil
}

// enter counts a request in flight in the pool's generation and returns it,
// opening a new generation if that one is sealed.
func (t *transport) enter() *generation {
	for {
		g := t.gen.Load()
		if s := g.state.Load(); s&sealed == 0 {
			if g.state.CompareAndSwap(s, s+inFlight) {
				return g
			}
			continue
		}
		t.genMu.Lock()
		if t.gen.Load() == g {
			t.gen.Store(t.newGeneration())
		}
		t.genMu.Unlock()
	}
}

// exit counts a request of g done, and seals g if it was the last in flight
// and the pool is released.
func (t *transport) exit(g *generation) {
	if g.state.Add(-inFlight) == 0 && t.released.Load() {
		g.seal()
	}
}

// newGeneration clones the template into a generation of its own, whose
// connections are dialed through dial and known to it.
func (t *transport) newGeneration() *generation {
	g := &generation{conns: make(map[*trackedConn]struct{})}
	g.tr = t.template.Clone()
	g.tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := t.dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return g.track(c)
	}
	if dialTLS := t.dialTLS; dialTLS != nil {
		g.tls = make(map[weak.Pointer[tls.Conn]]struct{})
		g.tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialTLS(ctx, network, addr)
			if err != nil || c == nil {
				return c, err // (net/http fails a nil conn itself)
			}
			if tc, ok := c.(*tls.Conn); ok {
				return g.trackTLS(tc)
			}
			return g.track(c)
		}
	}
	return g
}

// The bits of generation.state.
const (
	sealed   = 1 // set once: the generation takes no new request
	inFlight = 2 // one request in flight
)

// generation is a run of a pool's requests through one net/http Transport
// (see transport).
type generation struct {
	tr *http.Transport
	// state is the requests in flight (times inFlight), plus sealed once
	// sealed: one word, so that no request can enter a generation after
	// the check that none is in flight.
	state atomic.Int64

	mu    sync.Mutex
	conns map[*trackedConn]struct{} // the connections open, nil once closed
	// tls are the connections a TLS dialer of the caller's gave as a
	// *tls.Conn, nil once closed (or if there is no such dialer). net/http
	// negotiates HTTP/2 only over a *tls.Conn, so they cannot be wrapped
	// in a trackedConn, which would know when they close: each is held
	// weakly instead, and its entry deleted once net/http has dropped it
	// and it is collected, so that a long-lived pool's list does not grow
	// with every connection it ever dialed.
	tls    map[weak.Pointer[tls.Conn]]struct{}
	closed bool // closeAll ran: a connection dialed later is closed at once
}

// seal seals g if no request is in flight, and then closes every connection
// it dialed.
func (g *generation) seal() {
	if g.state.CompareAndSwap(0, sealed) {
		g.closeAll()
	}
}

// closeAll closes every connection of g, idle or not: g is sealed with no
// request in flight, so none is in use, and none will be.
func (g *generation) closeAll() {
	g.tr.CloseIdleConnections()
	g.mu.Lock()
	conns, tlsConns := g.conns, g.tls
	g.conns, g.tls, g.closed = nil, nil, true
	g.mu.Unlock()
	for c := range conns {
		_ = c.Conn.Close()
	}
	for wp := range tlsConns {
		if c := wp.Value(); c != nil {
			// The socket, as for a trackedConn: no close_notify, whose
			// write could wait for one of net/http's.
			_ = c.NetConn().Close()
		}
	}
}

// errSealed fails a connection that finished dialing after its generation
// was sealed: net/http dials on for a request that got another connection,
// or gave up, and no request can use this one.
var errSealed = errors.New("clientcache: connection dialed after its pool was released")

// track lists c as a connection of g, or closes it if g is closed already.
func (g *generation) track(c net.Conn) (net.Conn, error) {
	tc := &trackedConn{Conn: c, g: g}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		_ = c.Close()
		return nil, errSealed
	}
	g.conns[tc] = struct{}{}
	g.mu.Unlock()
	return tc, nil
}

// trackTLS lists c, a connection a TLS dialer of the caller's gave, as a
// connection of g, or closes it if g is closed already. It returns c itself
// (see generation.tls).
func (g *generation) trackTLS(c *tls.Conn) (net.Conn, error) {
	wp := weak.Make(c)
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		_ = c.Close()
		return nil, errSealed
	}
	g.tls[wp] = struct{}{}
	g.mu.Unlock()
	runtime.AddCleanup(c, g.untrackTLS, wp)
	return c, nil
}

// untrackTLS deletes the entry of a connection that was collected.
func (g *generation) untrackTLS(wp weak.Pointer[tls.Conn]) {
	g.mu.Lock()
	delete(g.tls, wp) // (a no-op on the nil map of a closed generation)
	g.mu.Unlock()
}

// trackedConn is a connection a generation dialed: closing it takes it off
// the generation's list.
type trackedConn struct {
	net.Conn
	g *generation
}

func (c *trackedConn) Close() error {
	c.g.mu.Lock()
	delete(c.g.conns, c)
	c.g.mu.Unlock()
	return c.Conn.Close()
}

// ReadFrom keeps the connection's own ReadFrom (sendfile or splice on a
// TCP connection) for net/http's writes of a plain HTTP request body.
func (c *trackedConn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }

// trackedBody is the body of a response of the generation g of the pool t:
// the request is in flight until the body has been read to its end, failed,
// or been closed, or the request's context is done, whichever comes first.
type trackedBody struct {
	io.ReadCloser
	t    *transport
	g    *generation
	done atomic.Bool
	stop atomic.Pointer[func() bool] // stops the watch of the request's context, if any
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.exit()
	}
	return n, err
}

func (b *trackedBody) Close() error {
	err := b.ReadCloser.Close()
	b.exit()
	return err
}

func (b *trackedBody) exit() {
	if b.done.CompareAndSwap(false, true) {
		if stop := b.stop.Load(); stop != nil {
			(*stop)()
		}
		b.t.exit(b.g)
	}
}

// reqBodies are the request bodies of one request of the generation g of
// the pool t: its own, and those Request.GetBody gave net/http to retry it.
// The request is in flight until net/http has closed the last of them it
// took (which it does once it has sent it, or given up, even after
// RoundTrip returned): a body it took before is one it gave up, and one
// it took and dropped (net/http's HTTP/2 retry, when the connection went
// away, rewinds the body, then leaves the retry to the Transport, which
// rewinds it again) is never closed.
type reqBodies struct {
	t    *transport
	g    *generation
	cur  atomic.Pointer[trackedReqBody] // the last body taken, nil once closed
	stop atomic.Pointer[func() bool]    // stops abandonWhenDone's watch
	// returned is set once RoundTrip returned: no retry takes a body
	// of GetBody then.
	returned atomic.Bool
	first    trackedReqBody
}

// track makes b, wrapping body, the request's current body, counting the
// request in flight in g if its body was closed (or none was taken yet).
// It runs within RoundTrip, which holds g: g is not sealed.
func (rb *reqBodies) track(b *trackedReqBody, body io.ReadCloser) *trackedReqBody {
	b.ReadCloser, b.rb = body, rb
	if rb.cur.Swap(b) == nil {
		rb.g.state.Add(inFlight)
	}
	return b
}

// abandon ends the request's body: RoundTrip failed.
func (rb *reqBodies) abandon() {
	if rb.cur.Swap(nil) != nil {
		rb.t.exit(rb.g)
	}
}

// abandonWhenDone ends the request's body once ctx is done, if net/http
// has not closed it by then: a request cancelled sends nothing more (over
// HTTP/2 its stream is reset, over HTTP/1.1 its connection closed), but
// net/http closes its body only once a Read it is blocked in returns,
// which, for a body the caller stopped feeding, may be never.
func (rb *reqBodies) abandonWhenDone(ctx context.Context) {
	if ctx.Done() == nil || rb.cur.Load() == nil {
		return
	}
	stop := context.AfterFunc(ctx, rb.abandon)
	rb.stop.Store(&stop)
	if rb.cur.Load() == nil { // closed meanwhile
		stop()
	}
}

// trackedReqBody is a request body of reqBodies.
type trackedReqBody struct {
	io.ReadCloser
	rb *reqBodies
}

func (b *trackedReqBody) Close() error {
	err := b.ReadCloser.Close()
	if b.rb.cur.CompareAndSwap(b, nil) {
		if stop := b.rb.stop.Load(); stop != nil {
			(*stop)()
		}
		b.rb.t.exit(b.rb.g)
	}
	return err
}

// trackedRWBody is a trackedBody that can be written to (that of a protocol
// switch, the connection itself), in flight until it is closed.
type trackedRWBody struct {
	*trackedBody
	w io.Writer
}

func (b *trackedRWBody) Write(p []byte) (int, error) { return b.w.Write(p) }

// Read reads the connection. Its read side ending (the peer half-closed it)
// or failing does not end the exchange, which the caller may go on writing
// to: the request is in flight until the body is closed.
func (b *trackedRWBody) Read(p []byte) (int, error) { return b.ReadCloser.Read(p) }

// CloseIdleConnections closes the idle connections of the pool's generation
// (for http.Client.CloseIdleConnections).
func (t *transport) CloseIdleConnections() { t.gen.Load().tr.CloseIdleConnections() }

// release lets go of a holder of t. The last one releases the pool: it is
// counted, and its generation is sealed, and its connections closed, as soon
// as no request is in flight (now, or when the last one is done).
func (t *transport) release() {
	// A nil transport is an HTTP client of the caller's: not ours to close.
	if t != nil && t.refs.Add(-1) == 0 {
		// Counted first, so that whoever sees a connection of the pool
		// closed (here, or by its last request in flight once released
		// is set) sees the release counted in Stats.PoolsReleased.
		t.closes.Add(1)
		t.released.Store(true)
		t.gen.Load().seal()
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
