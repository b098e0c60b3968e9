// Package fakeaws starts real AWS-protocol endpoints in-process, on loopback,
// for the tests and the demo: S3 (github.com/johannesboyne/gofakes3, in
// memory) and an STS AssumeRole endpoint of its own, both speaking HTTPS with
// httptest's certificate (trusted through [Server.CABundle]); and, over plain
// HTTP as the SDK expects of them on loopback, the credential endpoints of
// containers ([NewContainerCredentials]) and EC2 instances ([NewIMDS]). They
// count what a client cache is meant to save: TLS handshakes, open
// connections, credential calls, and which access key signed each request.
//
// Neither verifies signatures; the access key id is read from the
// Authorization header's Credential= field, which is enough to prove which
// identity signed a request.
package fakeaws

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"sync/atomic"
)

// Server is an HTTPS test endpoint with connection accounting.
type Server struct {
	srv        *httptest.Server
	handshakes atomic.Int64 // TLS handshakes started
	open       atomic.Int64 // connections currently open
	requests   atomic.Int64

	mu    sync.Mutex
	byKey map[string]int64 // requests by signing access key id
	log   []Request
}

// Request is one request the endpoint served.
type Request struct {
	Method, Path string
	SignedBy     string // access key id from the Authorization header
	// TokenDigest is the SHA-256 of the X-Amz-Security-Token header (zero
	// if absent): see Assumption.CarriesItsSessionToken.
	TokenDigest [32]byte
}

func newServer(h http.Handler) *Server { return startServer(h, true) }

// startServer starts an endpoint speaking HTTPS (useTLS) or plain HTTP.
func startServer(h http.Handler, useTLS bool) *Server {
	s := &Server{byKey: map[string]int64{}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		id := SigningKeyID(r)
		s.mu.Lock()
		if id != "" {
			s.byKey[id]++
		}
		req := Request{Method: r.Method, Path: r.URL.Path, SignedBy: id}
		if tok := r.Header.Get("X-Amz-Security-Token"); tok != "" {
			req.TokenDigest = sha256.Sum256([]byte(tok))
		}
		s.log = append(s.log, req)
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	s.srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		switch state {
		case http.StateNew:
			s.open.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.open.Add(-1)
		}
	}
	s.srv.Config.ErrorLog = discardLog
	if !useTLS {
		s.srv.Start()
		return s
	}
	s.srv.TLS = &tls.Config{
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			s.handshakes.Add(1)
			return nil, nil
		},
	}
	s.srv.StartTLS()
	return s
}

// URL is the endpoint's base URL (https://127.0.0.1:port, or http:// for a
// plain endpoint).
func (s *Server) URL() string { return s.srv.URL }

// CABundle is the PEM of the certificate the endpoint presents, for a
// client's custom CA bundle; nil for a plain HTTP endpoint.
func (s *Server) CABundle() []byte {
	cert := s.srv.Certificate()
	if cert == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

// Handshakes returns the TLS handshakes clients started with the endpoint.
func (s *Server) Handshakes() int64 { return s.handshakes.Load() }

// OpenConnections returns the connections currently open to the endpoint
// (idle ones in clients' pools included).
func (s *Server) OpenConnections() int64 { return s.open.Load() }

// Requests returns the requests served.
func (s *Server) Requests() int64 { return s.requests.Load() }

// RequestsSignedBy returns the requests signed with the access key id.
func (s *Server) RequestsSignedBy(accessKeyID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byKey[accessKeyID]
}

// Log returns every request served so far, in order.
func (s *Server) Log() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// SigningKeys returns how many requests each access key id signed.
func (s *Server) SigningKeys() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int64, len(s.byKey))
	for k, v := range s.byKey {
		m[k] = v
	}
	return m
}

// CloseClientConnections closes every connection to the endpoint, as a
// server restart would.
func (s *Server) CloseClientConnections() { s.srv.CloseClientConnections() }

// Close shuts the endpoint down.
func (s *Server) Close() { s.srv.Close() }

var credentialRE = regexp.MustCompile(`Credential=([^/,\s]+)/`)

// SigningKeyID returns the access key id in a SigV4 Authorization header, or
// "" if the request is not signed.
func SigningKeyID(r *http.Request) string {
	m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return ""
	}
	return m[1]
}
