// Package fakeaws starts real AWS-protocol endpoints in-process, on loopback,
// for the tests and the demo: S3 (github.com/johannesboyne/gofakes3, in
// memory) and an STS AssumeRole endpoint of its own, both speaking HTTPS with
// httptest's certificate (trusted through [Server.CABundle]); and, over plain
// HTTP as the SDK expects of them on loopback, the credential endpoints of
// containers ([NewContainerCredentials]) and EC2 instances ([NewIMDS]). They
// count what a client cache is meant to save: TLS handshakes, open
// connections, credential calls, and which access key signed each request.
//
// The access key id of a request is read from the Authorization header's
// Credential= field. The STS endpoint verifies the SigV4 signature of the
// keys whose secret it knows (those it issued, and those of [STS.AddUser]
// and [STS.AddSession]);
// S3 verifies the signature of every request, scoped to the region of the
// bucket it addresses ([S3Region] unless made by [S3.CreateBucketIn]), and
// serves only keys it knows (those of [S3.AddUser] and [S3.AddSession], and
// those a trusted STS endpoint issued: [S3.TrustIssuer]). STS issues
// credentials for a web identity token that is an unexpired JWT
// ([WebIdentityToken] makes one); IMDS issues its session token to a PUT
// naming a valid TTL; [NewPodIdentityCredentials] requires the pod's token.
package fakeaws

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
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
	Proto        string // "HTTP/1.1" or "HTTP/2.0"
	SignedBy     string // access key id from the Authorization header
	// TokenDigest is the SHA-256 of the X-Amz-Security-Token header (zero
	// if absent): see Assumption.CarriesItsSessionToken.
	TokenDigest [32]byte
}

func newServer(h http.Handler) *Server { return startServer(h, https) }

// protocol is what an endpoint speaks.
type protocol int

const (
	plainHTTP protocol = iota // HTTP/1.1 without TLS
	https                     // HTTP/1.1 over TLS
	https2                    // HTTP/2 over TLS, the one protocol offered in the handshake (ALPN)
)

// startServer starts an endpoint speaking proto.
func startServer(h http.Handler, proto protocol) *Server {
	s := &Server{byKey: map[string]int64{}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		id := SigningKeyID(r)
		s.mu.Lock()
		if id != "" {
			s.byKey[id]++
		}
		req := Request{Method: r.Method, Path: r.URL.Path, Proto: r.Proto, SignedBy: id}
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
	if proto == plainHTTP {
		s.srv.Start()
		return s
	}
	s.srv.TLS = &tls.Config{
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			s.handshakes.Add(1)
			return nil, nil
		},
	}
	s.srv.EnableHTTP2 = proto == https2
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

var scopeRE = regexp.MustCompile(`Credential=[^/,\s]+/[0-9]{8}/([^/,\s]*)/([^/,\s]*)/aws4_request`)

// credentialScope returns the region and service of the credential scope in
// a SigV4 Authorization header ("" for each if there is none).
func credentialScope(r *http.Request) (region, service string) {
	m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return "", ""
	}
	return m[1], m[2]
}

var signedHeadersRE = regexp.MustCompile(`SignedHeaders=([^,\s]+)`)

// signatureMatches reports whether r, whose body was body, carries the SigV4
// signature of accessKeyID and secretAccessKey: the one the SDK's signer
// computes of r's signed headers, body, credential scope and X-Amz-Date.
func signatureMatches(r *http.Request, body []byte, accessKeyID, secretAccessKey string) bool {
	region, service := credentialScope(r)
	signedAt, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return false
	}
	m := signedHeadersRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return false
	}
	again, err := http.NewRequest(r.Method, "https://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return false
	}
	for _, h := range strings.Split(m[1], ";") {
		if h != "host" && h != "content-length" { // the signer's own, from the URL and body
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), service, region, signedAt); err != nil {
		return false
	}
	return again.Header.Get("Authorization") == r.Header.Get("Authorization")
}

// SigningKeyID returns the access key id in a SigV4 Authorization header, or
// "" if the request is not signed.
func SigningKeyID(r *http.Request) string {
	m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return ""
	}
	return m[1]
}
