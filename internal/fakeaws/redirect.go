package fakeaws

import (
	"net/http"
	"sync"
)

// Redirect is an endpoint that answers with redirects, for tests of where a
// client's credentials go. A request for a routed path is answered with the
// route's status and Location; any other request with 200 and no body. It
// records which credential headers each request carried, never their values.
type Redirect struct {
	*Server

	mu     sync.Mutex
	routes map[string]route
	seen   []Seen
}

type route struct {
	status   int
	location string
}

// Seen is one request a Redirect endpoint received.
type Seen struct {
	Path string
	// SessionToken and Authorization report whether the request carried an
	// X-Amz-Security-Token header and an Authorization header.
	SessionToken, Authorization bool
}

// NewRedirect starts a Redirect endpoint with no routes.
func NewRedirect() *Redirect {
	r := &Redirect{routes: map[string]route{}}
	r.Server = newServer(http.HandlerFunc(r.serve))
	return r
}

// Route answers every later request for path with status (such as 307) and
// a Location header of location.
func (r *Redirect) Route(path string, status int, location string) {
	r.mu.Lock()
	r.routes[path] = route{status, location}
	r.mu.Unlock()
}

// Seen returns the requests received so far, in order.
func (r *Redirect) Seen() []Seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Seen(nil), r.seen...)
}

func (r *Redirect) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.seen = append(r.seen, Seen{
		Path:          req.URL.Path,
		SessionToken:  req.Header.Get("X-Amz-Security-Token") != "",
		Authorization: req.Header.Get("Authorization") != "",
	})
	rt, ok := r.routes[req.URL.Path]
	r.mu.Unlock()
	if !ok {
		return
	}
	w.Header().Set("Location", rt.location)
	w.WriteHeader(rt.status)
}
